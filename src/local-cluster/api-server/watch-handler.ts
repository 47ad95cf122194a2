import type {KubeObject} from '../../kube/types.js'
import {ApiError, apiErrors} from '../store/api-error.js'
import type {WatchEvent} from '../store/types.js'
import {groupVersion, type ResourceRequest} from './request-context.js'
import {asVersion} from './resource-handlers.js'
import {toTable, wantsTable} from './table.js'

/** A slow reader is cut off past this much unsent data (it can resume from its last resourceVersion). */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024

/**
 * `?watch=true`: newline-delimited JSON events (`{"type":"ADDED","object":{...}}`) until the
 * client goes away or `timeoutSeconds` pass. A too-old resourceVersion is an ERROR event with a
 * 410 Expired Status, as the real server sends it; BOOKMARKs come when asked for.
 */
export function handleWatch(r: ResourceRequest): Promise<void> {
  const {req, res, query, store, type} = r
  const table = wantsTable(req.headers.accept)
  const includeObject = query.get('includeObject') ?? undefined
  const timeoutSeconds = Number(query.get('timeoutSeconds') ?? 0)
  const bookmarks = query.get('allowWatchBookmarks') === 'true' || query.get('allowWatchBookmarks') === '1'
  let resourceVersion = query.get('resourceVersion') ?? undefined
  if (query.get('sendInitialEvents') === 'true') resourceVersion = undefined

  return new Promise((resolve) => {
    let finished = false
    const timers: NodeJS.Timeout[] = []
    let subscription: {stop(): void} | undefined
    const finish = (): void => {
      if (finished) return
      finished = true
      for (const timer of timers) clearTimeout(timer)
      subscription?.stop()
      if (!res.writableEnded) res.end()
      resolve()
    }
    const write = (event: {type: string; object: unknown}): void => {
      if (finished) return
      res.write(`${JSON.stringify(event)}\n`)
      if (res.writableLength > MAX_BUFFERED_BYTES) finish()
    }
    const render = (event: WatchEvent): {type: string; object: unknown} => {
      const object = asVersion(r, event.object)
      if (!table) return {type: event.type, object}
      return {type: event.type, object: toTable(type, [object], {resourceVersion: object.metadata.resourceVersion}, includeObject)}
    }

    res.writeHead(200, {'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache'})
    res.flushHeaders()
    req.on('close', finish)
    res.on('close', finish)
    try {
      subscription = store.watchShared(
        type,
        {
          namespace: r.route.namespace,
          labelSelector: query.get('labelSelector') ?? undefined,
          fieldSelector: query.get('fieldSelector') ?? undefined,
          resourceVersion,
        },
        (event) => write(render(event)),
      )
    } catch (error) {
      const status = error instanceof ApiError ? error.status : apiErrors.internal(String(error)).status
      write({type: 'ERROR', object: status})
      finish()
      return
    }
    if (timeoutSeconds > 0) timers.push(setTimeout(finish, timeoutSeconds * 1000))
    if (bookmarks) {
      const bookmark = (): void => {
        const object: KubeObject = {apiVersion: groupVersion(type, r.route.version), kind: type.kind, metadata: {resourceVersion: store.resourceVersion()}}
        // Delivered after pending events (the hub drains them on the microtask queue first).
        setImmediate(() => write({type: 'BOOKMARK', object}))
        timers.push(setTimeout(bookmark, r.bookmarkIntervalMs))
      }
      timers.push(setTimeout(bookmark, r.bookmarkIntervalMs))
    }
  })
}
