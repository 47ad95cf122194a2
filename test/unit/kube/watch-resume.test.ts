import type {ServerResponse} from 'node:http'
import {afterEach, describe, expect, test} from 'vitest'

import type {WatchEvent} from '../../../src/kube/api.js'
import {json, startScriptedApiServer, status, type ScriptedApiServer, type SeenRequest} from '../../helpers/scripted-api-server.js'

/**
 * Watches that last (src/kube/watch.ts) against a scripted server on 127.0.0.1: a stream the
 * server drops is re-opened from the last resourceVersion seen; 410 Gone relists.
 */

const PATH = '/api/v1/namespaces/default/configmaps'
const FAST = {retry: {initialDelayMs: 10, maxDelayMs: 40, deadlineMs: 3_000}}
const cm = (name: string, resourceVersion: string) => ({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name, namespace: 'default', resourceVersion}})

let server: ScriptedApiServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

const isWatch = (request: SeenRequest) => request.url.searchParams.get('watch') === 'true'

/** Writes watch events as the API server does: one JSON object per line, in a chunked 200. */
function stream(res: ServerResponse, events: Array<{type: string; object: unknown}>, end: 'drop' | 'keep' | 'end'): void {
  res.writeHead(200, {'Content-Type': 'application/json'})
  res.flushHeaders()
  for (const event of events) res.write(`${JSON.stringify(event)}\n`)
  if (end === 'drop') setTimeout(() => res.socket?.destroy(), 20)
  if (end === 'end') res.end()
}

function collect() {
  const events: Array<{type: string; name: string; rv: string}> = []
  const onEvent = (event: WatchEvent) => events.push({type: event.type, name: String(event.object.metadata.name), rv: String(event.object.metadata.resourceVersion)})
  return {events, onEvent}
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('a watch the server drops', () => {
  test('is re-opened from the last resourceVersion seen (a bookmark counts), and goes on delivering', async () => {
    let watches = 0
    server = await startScriptedApiServer((request, res) => {
      if (!isWatch(request)) return false
      watches++
      if (watches === 1) stream(res, [{type: 'ADDED', object: cm('a', '5')}, {type: 'BOOKMARK', object: {metadata: {resourceVersion: '6'}}}], 'drop')
      else stream(res, [{type: 'MODIFIED', object: cm('a', '7')}], 'keep')
      return true
    })
    const client = await server.client(FAST)
    const {events, onEvent} = collect()
    const watch = client.watch(PATH, {resourceVersion: '4'}, onEvent)
    await until(() => events.length === 2, 'the event after the drop')
    watch.stop()
    await watch.done
    expect(events).toEqual([
      {type: 'ADDED', name: 'a', rv: '5'},
      {type: 'MODIFIED', name: 'a', rv: '7'},
    ])
    expect(server.seen.filter(isWatch).map((r) => r.url.searchParams.get('resourceVersion'))).toEqual(['4', '6'])
  })

  test('a refused re-open (503) is retried with backoff', async () => {
    let watches = 0
    server = await startScriptedApiServer((request, res) => {
      if (!isWatch(request)) return false
      watches++
      if (watches === 1) stream(res, [{type: 'ADDED', object: cm('a', '5')}], 'drop')
      else if (watches === 2) status(res, 503, 'ServiceUnavailable')
      else stream(res, [{type: 'MODIFIED', object: cm('a', '8')}], 'keep')
      return true
    })
    const client = await server.client(FAST)
    const {events, onEvent} = collect()
    const watch = client.watch(PATH, {resourceVersion: '4'}, onEvent)
    await until(() => events.length === 2, 'the event after the refused re-open')
    watch.stop()
    await watch.done
    expect(events.map((e) => e.rv)).toEqual(['5', '8'])
    expect(server.seen.filter(isWatch).map((r) => r.url.searchParams.get('resourceVersion'))).toEqual(['4', '5', '5'])
  })

  test('ends (done resolves) when its timeoutSeconds pass, without re-opening', async () => {
    server = await startScriptedApiServer((request, res) => {
      if (!isWatch(request)) return false
      const seconds = Number(request.url.searchParams.get('timeoutSeconds'))
      stream(res, [], 'keep')
      setTimeout(() => res.end(), seconds * 1000)
      return true
    })
    const client = await server.client(FAST)
    const started = Date.now()
    await client.watch(PATH, {resourceVersion: '1', timeoutSeconds: 1}, () => undefined).done
    expect(Date.now() - started).toBeGreaterThanOrEqual(900)
    expect(server.seen.filter(isWatch)).toHaveLength(1)
  })

  test('stop() before the server has answered the watch request ends it at once', async () => {
    server = await startScriptedApiServer((request) => isWatch(request)) // never answers
    const client = await server.client(FAST)
    const watch = client.watch(PATH, {resourceVersion: '1'}, () => undefined)
    await until(() => server!.seen.some(isWatch), 'the watch request')
    watch.stop()
    await watch.done
  })

  test('a 403 ends the watch with the typed error', async () => {
    server = await startScriptedApiServer((request, res) => (isWatch(request) ? (status(res, 403, 'Forbidden'), true) : false))
    const client = await server.client(FAST)
    await expect(client.watch(PATH, {resourceVersion: '1'}, () => undefined).done).rejects.toThrow('watch /api/v1/namespaces/default/configmaps: Forbidden (scripted)')
  })
})

describe('410 Gone: the version is too old', () => {
  test('as an ERROR event: relist, deliver the difference (deleted, modified, added), go on from the list', async () => {
    let watches = 0
    server = await startScriptedApiServer((request, res) => {
      if (!isWatch(request)) return (json(res, 200, {kind: 'ConfigMapList', metadata: {resourceVersion: '20'}, items: [cm('a', '15'), cm('c', '18')]}), true)
      watches++
      if (watches === 1) {
        stream(res, [{type: 'ADDED', object: cm('a', '5')}, {type: 'ADDED', object: cm('b', '6')}, {type: 'ERROR', object: {kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 6 (10)'}}], 'keep')
      } else stream(res, [{type: 'MODIFIED', object: cm('c', '21')}], 'keep')
      return true
    })
    const client = await server.client(FAST)
    const {events, onEvent} = collect()
    const watch = client.watch(PATH, {resourceVersion: '4', labelSelector: 'app=x'}, onEvent)
    await until(() => events.length === 6, `the relisted state and the next event (${JSON.stringify(events)} ${JSON.stringify(server!.seen.map((r) => r.url.search))})`)
    watch.stop()
    await watch.done
    expect(events).toEqual([
      {type: 'ADDED', name: 'a', rv: '5'},
      {type: 'ADDED', name: 'b', rv: '6'},
      {type: 'DELETED', name: 'b', rv: '6'},
      {type: 'MODIFIED', name: 'a', rv: '15'},
      {type: 'ADDED', name: 'c', rv: '18'},
      {type: 'MODIFIED', name: 'c', rv: '21'},
    ])
    const list = server.seen.find((r) => !isWatch(r))!
    expect(list.url.searchParams.get('labelSelector')).toBe('app=x')
    expect(server.seen.filter(isWatch).map((r) => r.url.searchParams.get('resourceVersion'))).toEqual(['4', '20'])
  })

  test('as an HTTP 410 answer to the watch request: relist too', async () => {
    let watches = 0
    server = await startScriptedApiServer((request, res) => {
      if (!isWatch(request)) return (json(res, 200, {kind: 'ConfigMapList', metadata: {resourceVersion: '30'}, items: [cm('a', '29')]}), true)
      watches++
      if (watches === 1) status(res, 410, 'Expired')
      else stream(res, [], 'keep')
      return true
    })
    const client = await server.client(FAST)
    const {events, onEvent} = collect()
    const watch = client.watch(PATH, {resourceVersion: '2'}, onEvent)
    await until(() => events.length === 1 && watches === 2, 'the relist')
    watch.stop()
    await watch.done
    expect(events).toEqual([{type: 'ADDED', name: 'a', rv: '29'}])
    expect(server.seen.filter(isWatch).map((r) => r.url.searchParams.get('resourceVersion'))).toEqual(['2', '30'])
  })
})
