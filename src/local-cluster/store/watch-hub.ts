import type {KubeObject} from '../../kube/types.js'
import {apiErrors} from './api-error.js'
import {compileFieldSelector, compileLabelSelector, type LabelMatcher, type ObjectMatcher} from './selectors.js'
import type {WatchEvent, WatchOptions} from './types.js'

/** One change as the store recorded it; `previous` lets selector watches see objects leave. */
export interface StoredEvent {
  rv: number
  typeKey: string
  type: 'ADDED' | 'MODIFIED' | 'DELETED'
  object: KubeObject
  previous?: KubeObject
}

interface Subscriber {
  typeKey: string
  namespace?: string
  matchLabels: LabelMatcher
  matchFields: ObjectMatcher
  onEvent: (event: WatchEvent) => void
  queue: WatchEvent[]
  scheduled: boolean
  stopped: boolean
  /** Deliver the shared frozen object (server path) instead of a private copy. */
  shared: boolean
}

export interface WatchHubOptions {
  /** How many events are kept for watches that resume from a resourceVersion. */
  historySize: number
  onCallbackError?: (error: unknown) => void
}

/**
 * Fans store changes out to watchers and keeps a bounded history so a watch can resume from a
 * resourceVersion. Events reach each watcher in order, asynchronously (a microtask after the
 * write), never inside the writer's call: a controller that writes from its watch callback
 * cannot reorder what other watchers see.
 */
export class WatchHub {
  private readonly history: StoredEvent[] = []
  private head = 0
  /** Every event with rv > historyStart is still in the history. */
  private historyStart: number
  private readonly subscribers = new Map<string, Set<Subscriber>>()

  constructor(
    private readonly options: WatchHubOptions,
    initialResourceVersion: number,
  ) {
    this.historyStart = initialResourceVersion
  }

  /** Forget history (after loading state from disk: older resourceVersions are gone). */
  resetHistory(resourceVersion: number): void {
    this.history.length = 0
    this.head = 0
    this.historyStart = resourceVersion
  }

  get oldestResumableVersion(): number {
    return this.historyStart
  }

  watcherCount(): number {
    let n = 0
    for (const set of this.subscribers.values()) n += set.size
    return n
  }

  publish(event: StoredEvent): void {
    if (this.history.length < this.options.historySize) {
      this.history.push(event)
    } else {
      this.historyStart = this.history[this.head].rv
      this.history[this.head] = event
      this.head = (this.head + 1) % this.options.historySize
    }
    const set = this.subscribers.get(event.typeKey)
    if (!set) return
    for (const subscriber of set) this.offer(subscriber, event)
  }

  /**
   * Registers a watcher. `initial` is the synthetic ADDED state for a watch without a
   * resourceVersion; otherwise history after `fromVersion` is replayed (410 when evicted).
   */
  subscribe(
    typeKey: string,
    options: WatchOptions,
    fromVersion: number | undefined,
    initial: KubeObject[],
    onEvent: (event: WatchEvent) => void,
    shared: boolean,
  ): {stop(): void} {
    const subscriber: Subscriber = {
      typeKey,
      namespace: options.namespace,
      matchLabels: compileLabelSelector(options.labelSelector),
      matchFields: compileFieldSelector(options.fieldSelector),
      onEvent,
      queue: [],
      scheduled: false,
      stopped: false,
      shared,
    }
    if (fromVersion !== undefined) {
      if (fromVersion < this.historyStart) {
        throw apiErrors.gone(`too old resource version: ${fromVersion} (${this.historyStart + 1})`)
      }
      for (const event of this.ordered()) if (event.rv > fromVersion && event.typeKey === typeKey) this.offer(subscriber, event)
    } else {
      for (const object of initial) if (this.matches(subscriber, object)) this.enqueue(subscriber, {type: 'ADDED', object})
    }
    let set = this.subscribers.get(typeKey)
    if (!set) this.subscribers.set(typeKey, (set = new Set()))
    set.add(subscriber)
    return {
      stop: () => {
        subscriber.stopped = true
        subscriber.queue.length = 0
        this.subscribers.get(typeKey)?.delete(subscriber)
      },
    }
  }

  private *ordered(): Iterable<StoredEvent> {
    for (let i = 0; i < this.history.length; i++) yield this.history[(this.head + i) % this.history.length]
  }

  private matches(subscriber: Subscriber, object: KubeObject | undefined): boolean {
    if (!object) return false
    if (subscriber.namespace !== undefined && object.metadata.namespace !== subscriber.namespace) return false
    return subscriber.matchLabels(object.metadata.labels) && subscriber.matchFields(object)
  }

  /** Selector watches see an object that stops matching as DELETED and one that starts as ADDED. */
  private offer(subscriber: Subscriber, event: StoredEvent): void {
    const now = this.matches(subscriber, event.object)
    if (event.type !== 'MODIFIED') {
      if (now) this.enqueue(subscriber, {type: event.type, object: event.object})
      return
    }
    const before = this.matches(subscriber, event.previous)
    if (now && before) this.enqueue(subscriber, {type: 'MODIFIED', object: event.object})
    else if (now) this.enqueue(subscriber, {type: 'ADDED', object: event.object})
    else if (before) this.enqueue(subscriber, {type: 'DELETED', object: event.object})
  }

  private enqueue(subscriber: Subscriber, event: WatchEvent): void {
    if (subscriber.stopped) return
    subscriber.queue.push(event)
    if (subscriber.scheduled) return
    subscriber.scheduled = true
    queueMicrotask(() => this.drain(subscriber))
  }

  private drain(subscriber: Subscriber): void {
    subscriber.scheduled = false
    const events = subscriber.queue.splice(0)
    for (const event of events) {
      if (subscriber.stopped) return
      try {
        subscriber.onEvent(subscriber.shared ? event : {type: event.type, object: structuredClone(event.object)})
      } catch (error) {
        this.options.onCallbackError?.(error)
      }
    }
  }
}
