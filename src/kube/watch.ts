import {setTimeout as sleep} from 'node:timers/promises'

import {isMygateError} from '../errors.js'
import {errorFromNetwork, errorFromStatus, parseStatus, type KubeStatus} from './api-error.js'
import type {ObjectList, WatchEvent, WatchHandle, WatchQuery} from './api.js'
import {backoffDelayMs, isRetryableNetworkError, nextRetry, parseRetryAfter, RETRYABLE_STATUSES, type RetryOptions} from './retry-policy.js'
import {StreamRefused, type KubeTransport} from './transport.js'
import type {KubeObject} from './types.js'

/**
 * A watch that lasts: one streaming GET, re-opened when the server drops it before its time, from
 * the last resourceVersion seen (events and bookmarks move it), as client-go's reflector does.
 * When that version is too old (410 Gone, as an HTTP status or an ERROR event in the stream), the
 * collection is listed again and the difference delivered: every listed object as MODIFIED (ADDED
 * when never seen), every object seen before and missing from the list as DELETED; the watch goes
 * on from the list's version. BOOKMARK and ERROR events are handled here, never delivered.
 *
 * Re-opening follows the retry policy (retry-policy.ts): a refused stream (429/5xx), a dropped or
 * refused connection of a server that answered before are retried with backoff until the
 * deadline, counted from the first failure in a row; anything else ends the watch (done rejects).
 */

export interface ResumingWatchOptions<T extends KubeObject> {
  transport: KubeTransport
  path: string
  query: WatchQuery
  onEvent: (event: WatchEvent<T>) => void
  /** Lists the watched collection (same selectors), for a relist after 410 Gone. */
  relist: () => Promise<ObjectList<T>>
  retry: RetryOptions | false
  what: string
}

const keyOf = (object: KubeObject) => `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`

export function resumingWatch<T extends KubeObject>(options: ResumingWatchOptions<T>): WatchHandle {
  const {transport, path, onEvent, retry, what} = options
  const {resourceVersion: startVersion, timeoutSeconds, ...selectors} = options.query
  const endsAt = timeoutSeconds === undefined ? undefined : Date.now() + timeoutSeconds * 1000
  const known = new Map<string, T>()
  let resourceVersion = startVersion
  let stopped = false
  // stop() cancels the stream (answered or not) and cuts short a wait between attempts.
  const stopping = new AbortController()
  const pause = (ms: number) => sleep(ms, undefined, {signal: stopping.signal}).catch(() => undefined)

  const deliver = (event: WatchEvent<T>) => {
    if (stopped) return
    if (event.type === 'DELETED') known.delete(keyOf(event.object))
    else known.set(keyOf(event.object), event.object)
    onEvent(event)
  }

  const relist = async () => {
    const list = await options.relist()
    const listed = new Set(list.items.map(keyOf))
    for (const [key, object] of [...known]) if (!listed.has(key)) deliver({type: 'DELETED', object})
    for (const item of list.items) deliver({type: known.has(keyOf(item)) ? 'MODIFIED' : 'ADDED', object: item})
    resourceVersion = list.resourceVersion
  }

  const done = (async () => {
    let failingSince: number | undefined
    let failures = 0
    let earlyEnds = 0
    while (!stopped) {
      const remainingSeconds = endsAt === undefined ? undefined : Math.ceil((endsAt - Date.now()) / 1000)
      if (remainingSeconds !== undefined && remainingSeconds <= 0) return
      let gone = false
      let delivered = 0
      try {
        const stream = await transport.openStream(
          {
            method: 'GET',
            path,
            query: {...selectors, watch: true, allowWatchBookmarks: true, resourceVersion, timeoutSeconds: remainingSeconds},
            what,
          },
          (line, abort) => {
            // An ERROR event carries a Status, every other one an object of the collection.
            let event: WatchEvent<T> | {type: 'ERROR'; object?: KubeStatus}
            try {
              event = JSON.parse(line) as typeof event
            } catch {
              // A torn line (a proxy cut the stream): re-open from the last version seen.
              abort()
              return
            }
            if (event.type === 'ERROR') {
              // The stream's end: 410 means our version is gone (relist); anything else, re-open.
              gone = event.object?.code === 410
              abort()
              return
            }
            const version = event.object?.metadata?.resourceVersion
            if (version !== undefined) resourceVersion = String(version)
            if (event.type === 'BOOKMARK') return
            delivered++
            deliver(event)
          },
          stopping.signal,
        )
        failingSince = undefined
        failures = 0
        await stream.ended
      } catch (error) {
        if (stopped) return
        if (isMygateError(error)) throw error
        if (error instanceof StreamRefused && error.status === 410) {
          gone = true
        } else {
          const retryable =
            retry !== false &&
            (error instanceof StreamRefused ? RETRYABLE_STATUSES.has(error.status) : isRetryableNetworkError((error as NodeJS.ErrnoException).code, transport.answeredBefore))
          failingSince ??= Date.now()
          failures++
          const retryAfterMs = error instanceof StreamRefused ? parseRetryAfter(error.headers['retry-after'], Date.now()) : undefined
          const decision = retryable ? nextRetry({retry: failures, elapsedMs: Date.now() - failingSince, retryAfterMs}, retry as RetryOptions) : {retry: false as const}
          if (!decision.retry) {
            throw error instanceof StreamRefused
              ? errorFromStatus(error.status, parseStatus(error.body), what)
              : errorFromNetwork(error as NodeJS.ErrnoException, transport.server, what)
          }
          await pause(decision.delayMs)
          continue
        }
      }
      if (stopped) return
      if (gone) {
        await relist()
        continue
      }
      if (endsAt !== undefined && Date.now() >= endsAt - 1000) return
      // Dropped before its time: re-open at once, backing off only if streams keep ending empty.
      earlyEnds = delivered > 0 ? 0 : earlyEnds + 1
      if (earlyEnds > 1 && retry !== false) await pause(backoffDelayMs(earlyEnds - 1, retry))
    }
  })()

  return {
    stop() {
      stopped = true
      stopping.abort()
    },
    done,
  }
}
