import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {startApiServer, type ApiFaultSettings, type ApiServer} from '../../../src/local-cluster/api-server/index.js'
import {createObjectStore, type LocalObjectStore} from '../../../src/local-cluster/store/index.js'

/**
 * "Committed, response lost": the write happens, the client hears nothing (or a 5xx). Checked
 * over real HTTP: the object is there on the next GET although the client saw a failure.
 */
let store: LocalObjectStore
let server: ApiServer
let faults: ApiFaultSettings | undefined

beforeAll(async () => {
  store = createObjectStore()
  server = await startApiServer({store, requestHooks: {apiFaults: () => faults}})
})
afterAll(async () => {
  await server?.close()
  await store?.close()
})

const configMap = (name: string, value: string) => ({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name, namespace: 'default'}, data: {value}})
const url = (name?: string) => `${server.url}/api/v1/namespaces/default/configmaps${name ? `/${name}` : ''}`
const send = (method: string, target: string, body?: unknown, contentType = 'application/json') =>
  fetch(target, {method, headers: {'content-type': contentType, connection: 'close'}, ...(body === undefined ? {} : {body: JSON.stringify(body)})})
const read = async (name: string) => {
  faults = undefined
  const response = await fetch(url(name))
  return response.status === 200 ? ((await response.json()) as {data: {value: string}}).data.value : response.status
}

describe('lost responses', () => {
  test('drop: a create is committed though the client sees the connection close', async () => {
    faults = {errorRate: 0, statuses: [], latencyMs: 0, lostResponseRate: 1, lostResponse: 'drop'}
    await expect(send('POST', url(), configMap('dropped', 'v1'))).rejects.toThrow(/fetch failed/)
    expect(await read('dropped')).toBe('v1')
  })

  test('error: an update is committed though the client gets a 500', async () => {
    const current = (await (await fetch(url('dropped'))).json()) as {metadata: {resourceVersion: string}}
    faults = {errorRate: 0, statuses: [429, 500], latencyMs: 0, lostResponseRate: 1, lostResponse: 'error'}
    const response = await send('PUT', url('dropped'), {...configMap('dropped', 'v2'), metadata: {name: 'dropped', namespace: 'default', resourceVersion: current.metadata.resourceVersion}})
    expect(response.status).toBe(500)
    expect(((await response.json()) as {reason: string}).reason).toBe('InternalError')
    expect(await read('dropped')).toBe('v2')
  })

  test('a retried create after a lost response meets AlreadyExists, a retried patch is a no-op', async () => {
    faults = {errorRate: 0, statuses: [], latencyMs: 0, lostResponseRate: 1, lostResponse: 'error'}
    expect((await send('POST', url(), configMap('retried', 'v1'))).status).toBe(500)
    faults = undefined
    const retry = await send('POST', url(), configMap('retried', 'v1'))
    expect(retry.status).toBe(409)
    expect(((await retry.json()) as {reason: string}).reason).toBe('AlreadyExists')
    faults = {errorRate: 0, statuses: [], latencyMs: 0, lostResponseRate: 1, lostResponse: 'drop'}
    await expect(send('PATCH', url('retried'), {data: {value: 'v2'}}, 'application/merge-patch+json')).rejects.toThrow()
    faults = undefined
    const before = (await (await fetch(url('retried'))).json()) as {metadata: {resourceVersion: string}}
    const again = await send('PATCH', url('retried'), {data: {value: 'v2'}}, 'application/merge-patch+json')
    expect(again.status).toBe(200)
    expect(((await again.json()) as {metadata: {resourceVersion: string}}).metadata.resourceVersion).toBe(before.metadata.resourceVersion)
  })

  test('a delete is carried out though its response is lost', async () => {
    faults = {errorRate: 0, statuses: [], latencyMs: 0, lostResponseRate: 1, lostResponse: 'drop'}
    await expect(send('DELETE', url('retried'))).rejects.toThrow()
    expect(await read('retried')).toBe(404)
  })

  test('a write the server rejects is not lost: the client hears the real error', async () => {
    faults = {errorRate: 0, statuses: [], latencyMs: 0, lostResponseRate: 1, lostResponse: 'drop'}
    const response = await send('POST', url(), {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'Bad_Name', namespace: 'default'}})
    expect(response.status).toBe(422)
  })

  test('reads are never lost, and never answered 409', async () => {
    faults = {errorRate: 1, statuses: [409], latencyMs: 0, lostResponseRate: 1}
    expect((await fetch(url('dropped'))).status).toBe(200)
    faults = undefined
  })
})

describe('Retry-After of injected 429 and 503 answers', () => {
  test.each<[string, Partial<ApiFaultSettings>, number, string]>([
    ['a 429 says 1 s by default, as kube-apiserver does', {statuses: [429]}, 429, '1'],
    ['a 503 says 1 s by default', {statuses: [503]}, 503, '1'],
    ['a 429 says the configured 0 s', {statuses: [429], retryAfterSeconds: 0}, 429, '0'],
    ['a 503 says the configured 2 s', {statuses: [503], retryAfterSeconds: 2}, 503, '2'],
  ])('%s, in the header and in the Status', async (_, over, status, header) => {
    faults = {errorRate: 1, latencyMs: 0, statuses: [], ...over}
    const response = await fetch(url('dropped'))
    faults = undefined
    expect(response.status).toBe(status)
    expect(response.headers.get('retry-after')).toBe(header)
    expect(((await response.json()) as {details?: {retryAfterSeconds?: number}}).details?.retryAfterSeconds).toBe(Number(header))
  })
})
