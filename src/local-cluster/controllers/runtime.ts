import type {PodRuntime} from '../kubelet/pod-runtime.js'
import type {ObjectStore, ResourceRef, Subscription, WatchEvent} from '../store/types.js'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
/** Where controllers report trouble (one line each, e.g. "warn deployment: ..."); the daemon decides where it goes. */
export type ControllerLogger = (line: string) => void
/** The controllers' internal log call; only warn and error reach the ControllerLogger. */
export type LogFn = (level: LogLevel, message: string) => void

/** Simulated durations, all in milliseconds of the controllers' clock. */
export interface ControllerTiming {
  /** Scheduled -> containers running. */
  podStartupMs: number
  /** Running -> Ready (readiness probe passing). */
  readinessDelayMs: number
  /** How long a Job's pod runs before it terminates. */
  jobRunMs: number
  /** How often a crash-looping container restarts. */
  crashLoopRestartMs: number
  /** Multiplies progressDeadlineSeconds, so tests can hit ProgressDeadlineExceeded quickly. */
  progressDeadlineScale: number
}

export const DEFAULT_TIMING: ControllerTiming = {
  podStartupMs: 200,
  readinessDelayMs: 100,
  jobRunMs: 500,
  crashLoopRestartMs: 1000,
  progressDeadlineScale: 1,
}

export interface ControllerContext {
  store: ObjectStore
  clock: () => number
  log: LogFn
  timing: ControllerTiming
  /** What runs in the simulated containers (the data plane's mongod and database Jobs), if anything. */
  podRuntime?: PodRuntime
}

export interface WatchSpec {
  ref: ResourceRef
  /** The keys (`namespace/name`) to reconcile when this event arrives. */
  keys(event: WatchEvent): string[]
}

export interface ReconcileResult {
  /** Look again after this long even if nothing changes (timers: readiness, deadlines, schedules). */
  requeueAfterMs?: number
}

export interface ControllerDefinition {
  name: string
  watches: WatchSpec[]
  /**
   * Watches that depend on which types the store serves (the garbage collector watches every
   * type, CRDs included); asked again every second, new resources get a watch.
   */
  dynamicWatches?: () => WatchSpec[]
  reconcile(key: string): ReconcileResult | void
  /** Keys queued from outside the store's watches (the pod runtime); returns how to stop listening. */
  externalKeys?: (enqueue: (key: string) => void) => () => void
}

export interface RunningController {
  stop(): void
  /** Queue a key from outside (another controller, a test). */
  enqueue(key: string): void
  /** True when nothing is queued right now (timers may still be pending). */
  idle(): boolean
}

/** How an error thrown by the store reads: an HTTP-style status code when it has one. */
export function apiErrorCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const record = error as Record<string, unknown>
  for (const field of ['code', 'status', 'statusCode']) {
    if (typeof record[field] === 'number') return record[field] as number
  }
  const body = record.body ?? record.status
  if (typeof body === 'object' && body !== null && typeof (body as Record<string, unknown>).code === 'number') {
    return (body as Record<string, unknown>).code as number
  }
  return undefined
}

const MIN_RETRY_MS = 5
const MAX_RETRY_MS = 2000
/** Watches on types that may be registered later (CRDs, the Fault kind) are retried this often. */
const LATE_WATCH_RETRY_MS = 1000

/**
 * Runs one controller the way client-go's workqueue does: watch events only queue keys, a
 * separate turn of the event loop reconciles each queued key once (level-triggered, so a burst
 * of events costs one reconcile). Errors retry with backoff; 409 Conflict retries at once
 * because it only means we read a stale copy.
 */
export function runController(definition: ControllerDefinition, context: ControllerContext): RunningController {
  const {store, log} = context
  let queue = new Set<string>()
  let scheduled = false
  let stopped = false
  const timers = new Map<string, NodeJS.Timeout>()
  const failures = new Map<string, number>()
  const subscriptions: Subscription[] = []
  const pendingWatches = new Set<WatchSpec>(definition.watches)
  let lateWatchTimer: NodeJS.Timeout | undefined

  const schedule = (): void => {
    if (scheduled || stopped) return
    scheduled = true
    setImmediate(drain)
  }

  const enqueue = (key: string): void => {
    if (stopped) return
    queue.add(key)
    schedule()
  }

  const enqueueAfter = (key: string, ms: number): void => {
    if (stopped) return
    const existing = timers.get(key)
    if (existing) clearTimeout(existing)
    const timer = setTimeout(() => {
      timers.delete(key)
      enqueue(key)
    }, Math.max(0, Math.ceil(ms)))
    timer.unref?.()
    timers.set(key, timer)
  }

  function drain(): void {
    scheduled = false
    if (stopped) return
    const batch = queue
    queue = new Set()
    for (const key of batch) {
      if (stopped) return
      try {
        const result = definition.reconcile(key)
        failures.delete(key)
        if (result?.requeueAfterMs !== undefined) enqueueAfter(key, result.requeueAfterMs)
      } catch (error) {
        const count = (failures.get(key) ?? 0) + 1
        failures.set(key, count)
        const code = apiErrorCode(error)
        if (code === 409 && count < 20) {
          enqueue(key)
          continue
        }
        const delay = Math.min(MAX_RETRY_MS, MIN_RETRY_MS * 2 ** Math.min(count, 12))
        log(count > 3 ? 'warn' : 'debug', `${definition.name}: reconcile ${key} failed (retry in ${delay}ms): ${(error as Error)?.message ?? String(error)}`)
        enqueueAfter(key, delay)
      }
    }
  }

  const watched = new Set<string>()
  const startWatches = (): void => {
    for (const spec of definition.dynamicWatches?.() ?? []) {
      const id = `${spec.ref.group}/${spec.ref.resource}`
      if (watched.has(id)) continue
      watched.add(id)
      pendingWatches.add(spec)
    }
    for (const spec of [...pendingWatches]) {
      if (!store.typeFor(spec.ref)) continue
      pendingWatches.delete(spec)
      try {
        const listed = store.list(spec.ref)
        for (const object of listed.items) for (const key of spec.keys({type: 'ADDED', object})) enqueue(key)
        subscriptions.push(
          store.watch(spec.ref, {resourceVersion: listed.resourceVersion}, (event) => {
            if (event.type === 'BOOKMARK') return
            for (const key of spec.keys(event)) enqueue(key)
          }),
        )
      } catch (error) {
        pendingWatches.add(spec)
        log('warn', `${definition.name}: cannot watch ${spec.ref.resource}: ${(error as Error).message}`)
      }
    }
    if ((pendingWatches.size > 0 || definition.dynamicWatches) && !stopped) {
      lateWatchTimer = setTimeout(startWatches, LATE_WATCH_RETRY_MS)
      lateWatchTimer.unref?.()
    }
  }
  startWatches()
  const stopExternal = definition.externalKeys?.(enqueue)

  return {
    enqueue,
    idle: () => queue.size === 0 && !scheduled,
    stop() {
      stopped = true
      stopExternal?.()
      for (const subscription of subscriptions) subscription.stop()
      for (const timer of timers.values()) clearTimeout(timer)
      timers.clear()
      if (lateWatchTimer) clearTimeout(lateWatchTimer)
    },
  }
}
