import type {ServerResponse} from 'node:http'
import {createServer, type AddressInfo, type Socket} from 'node:net'
import {afterEach, describe, expect, test} from 'vitest'

import {ConflictError, ExternalError} from '../../../src/errors.js'
import type {KubeClient} from '../../../src/kube/client.js'
import {json, startScriptedApiServer, status, type ScriptedApiServer} from '../../helpers/scripted-api-server.js'

/**
 * The retry policy of src/kube/retry-policy.ts as the transport carries it out, against a real
 * HTTP server on 127.0.0.1 whose answers each test scripts.
 */

const FAST = {retry: {initialDelayMs: 10, maxDelayMs: 40, deadlineMs: 3_000}}
const CONFIG_PATH = '/api/v1/namespaces/default/configmaps/a'
const configMap = (resourceVersion: string, data: Record<string, string> = {a: '1'}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {name: 'a', namespace: 'default', resourceVersion},
  data,
})

const configMapToApply = () => ({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'a', namespace: 'default'}, data: {a: '2'}})

let server: ScriptedApiServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

type Answer = (res: ServerResponse, socket: Socket) => void

/** Answers the n-th request (0-based) with answers[n], and every later one with the last. */
function inTurn(...answers: Answer[]) {
  let n = 0
  return (_request: unknown, res: ServerResponse, socket: Socket) => {
    answers[Math.min(n++, answers.length - 1)](res, socket)
    return true
  }
}

describe('requests that may be repeated are retried', () => {
  test('503, then success: one retry', async () => {
    server = await startScriptedApiServer(inTurn((res) => status(res, 503, 'ServiceUnavailable'), (res) => json(res, 200, configMap('7'))))
    const client = await server.client(FAST)
    const got = await client.get('v1', 'ConfigMap', 'a', 'default')
    expect(got?.metadata.resourceVersion).toBe('7')
    expect(server.seen.map((r) => r.url.pathname)).toEqual([CONFIG_PATH, CONFIG_PATH])
    expect(client.requestCount).toBe(2) // two attempts (ConfigMap is built in: no discovery)
  })

  test('429 with Retry-After: 1 waits a whole second, not the (40 ms) backoff', async () => {
    server = await startScriptedApiServer(inTurn((res) => status(res, 429, 'TooManyRequests', {'Retry-After': '1'}), (res) => json(res, 200, configMap('8'))))
    const client = await server.client(FAST)
    expect((await client.get('v1', 'ConfigMap', 'a', 'default'))?.metadata.resourceVersion).toBe('8')
    const [first, second] = server.seen
    expect(second.at - first.at).toBeGreaterThanOrEqual(950)
  })

  test('a dropped connection (the socket dies under the request), then success', async () => {
    server = await startScriptedApiServer(inTurn((_res, socket) => socket.destroy(), (res) => json(res, 200, configMap('9'))))
    const client = await server.client(FAST)
    expect((await client.get('v1', 'ConfigMap', 'a', 'default'))?.metadata.resourceVersion).toBe('9')
    expect(server.seen).toHaveLength(2)
  })

  test('at the deadline the last answer stands: the error names the server message', async () => {
    server = await startScriptedApiServer(inTurn((res) => status(res, 503, 'ServiceUnavailable')))
    const client = await server.client({retry: {initialDelayMs: 20, maxDelayMs: 40, deadlineMs: 400}})
    const started = Date.now()
    const failure = await client.get('v1', 'ConfigMap', 'a', 'default').catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(ExternalError)
    expect((failure as Error).message).toBe('get ConfigMap a: ServiceUnavailable (scripted)')
    expect(server.seen.length).toBeGreaterThan(3)
    expect(Date.now() - started).toBeLessThan(400 + 300)
  })

  // Writes whose body reads nothing of the object: re-sending is re-deciding (kubectl's apply
  // patcher retries such a conflict too, maxPatchRetry = 5).
  test.each([
    ['server-side apply', 'PATCH', (client: KubeClient) => client.apply(configMapToApply())],
    ['merge patch', 'PATCH', (client: KubeClient) => client.mergePatch({apiVersion: 'v1', kind: 'ConfigMap', name: 'a', namespace: 'default'}, {data: {a: '2'}})],
    ['strategic merge patch', 'PATCH', (client: KubeClient) => client.strategicMergePatch({apiVersion: 'v1', kind: 'ConfigMap', name: 'a', namespace: 'default'}, {data: {a: '2'}})],
    ['delete', 'DELETE', (client: KubeClient) => client.delete({apiVersion: 'v1', kind: 'ConfigMap', name: 'a', namespace: 'default'})],
    ['named create', 'POST', (client: KubeClient) => client.create(configMapToApply())],
  ])('%s: a 409 Conflict is retried like a 5xx', async (_name, method, write) => {
    server = await startScriptedApiServer(inTurn((res) => status(res, 409, 'Conflict'), (res) => json(res, 200, configMap('3'))))
    const client = await server.client(FAST)
    await write(client)
    expect(server.seen.map((r) => r.method)).toEqual([method, method])
  })

  test('retry: false sends one attempt', async () => {
    server = await startScriptedApiServer(inTurn((res) => status(res, 503, 'ServiceUnavailable')))
    const client = await server.client(FAST)
    await expect(client.get('v1', 'ConfigMap', 'a', 'default', {retry: false})).rejects.toThrow(ExternalError)
    expect(server.seen).toHaveLength(1)
  })
})

describe('requests that must not be repeated blindly', () => {
  test('a POST is not retried: one attempt, the 503 is the answer', async () => {
    server = await startScriptedApiServer(inTurn((res) => status(res, 503, 'ServiceUnavailable')))
    const client = await server.client(FAST)
    await expect(client.request('POST', '/api/v1/namespaces/default/configmaps', {body: configMap('1')})).rejects.toThrow(ExternalError)
    expect(server.seen).toHaveLength(1)
  })

  test('a create by generateName alone is not retried (a repeat would make a second object)', async () => {
    server = await startScriptedApiServer(inTurn((res) => status(res, 503, 'ServiceUnavailable')))
    const client = await server.client(FAST)
    await expect(client.create({apiVersion: 'v1', kind: 'ConfigMap', metadata: {generateName: 'job-', namespace: 'default'}})).rejects.toThrow(ExternalError)
    expect(server.seen).toHaveLength(1)
  })

  test('a 409 Conflict on an optimistic write is not retried: the caller re-reads and decides', async () => {
    server = await startScriptedApiServer(inTurn((res) => status(res, 409, 'Conflict')))
    const client = await server.client(FAST)
    await expect(client.replace(configMap('5'))).rejects.toThrow(ConflictError)
    expect(server.seen.map((r) => r.method)).toEqual(['PUT'])
  })

  test('a merge patch carrying a resourceVersion is optimistic: its 409 is not retried', async () => {
    server = await startScriptedApiServer(inTurn((res) => status(res, 409, 'Conflict')))
    const client = await server.client(FAST)
    const ref = {apiVersion: 'v1', kind: 'ConfigMap', name: 'a', namespace: 'default'}
    await expect(client.mergePatch(ref, {metadata: {resourceVersion: '4'}, data: {a: '2'}})).rejects.toThrow(ConflictError)
    expect(server.seen).toHaveLength(1)
  })

  test('a create answered AlreadyExists on its first attempt is not repeated: the object is someone else\'s', async () => {
    server = await startScriptedApiServer(inTurn((res) => status(res, 409, 'AlreadyExists')))
    const client = await server.client(FAST)
    await expect(client.create(configMap('1'))).rejects.toThrow(ConflictError)
    expect(server.seen.map((r) => r.method)).toEqual(['POST'])
  })

  test('a PUT without a resourceVersion precondition is not retried', async () => {
    server = await startScriptedApiServer(inTurn((res) => status(res, 500, 'InternalError')))
    const client = await server.client(FAST)
    const {resourceVersion: _rv, ...metadata} = configMap('1').metadata
    await expect(client.replace({...configMap('1'), metadata})).rejects.toThrow(ExternalError)
    expect(server.seen).toHaveLength(1)
  })
})

describe('a write whose answer was lost is settled by reading the object back', () => {
  /** The first POST/PUT is stored and its answer lost (socket destroyed); the repeat gets 409; GET reads the store. */
  function lostFirstAnswer(stored: () => object, reason: 'AlreadyExists' | 'Conflict') {
    let writes = 0
    return (request: {method: string}, res: ServerResponse, socket: Socket) => {
      if (request.method === 'GET') return json(res, 200, stored()), true
      if (writes++ === 0) return socket.destroy(), true
      return status(res, 409, reason), true
    }
  }

  test('create: AlreadyExists after a lost answer, and the object holds what we sent -> created', async () => {
    server = await startScriptedApiServer(lostFirstAnswer(() => configMap('11'), 'AlreadyExists'))
    const client = await server.client(FAST)
    const {resourceVersion: _rv, ...metadata} = configMap('1').metadata
    const created = await client.create({...configMap('1'), metadata})
    expect(created.metadata.resourceVersion).toBe('11')
    expect(server.seen.map((r) => r.method)).toEqual(['POST', 'POST', 'GET'])
  })

  test('create: AlreadyExists after a lost answer, and the object is someone else\'s -> the 409 stands', async () => {
    server = await startScriptedApiServer(lostFirstAnswer(() => configMap('11', {a: 'theirs'}), 'AlreadyExists'))
    const client = await server.client(FAST)
    const {resourceVersion: _rv, ...metadata} = configMap('1').metadata
    await expect(client.create({...configMap('1'), metadata})).rejects.toThrow(ConflictError)
  })

  test('replace: Conflict after a lost answer whose write landed -> the stored object', async () => {
    server = await startScriptedApiServer(lostFirstAnswer(() => configMap('12', {a: '2'}), 'Conflict'))
    const client = await server.client(FAST)
    const replaced = await client.replace(configMap('10', {a: '2'}))
    expect(replaced.metadata.resourceVersion).toBe('12')
    expect(server.seen.map((r) => r.method)).toEqual(['PUT', 'PUT', 'GET'])
  })
})

describe('refused connections', () => {
  test('a server that never answered is not retried: the error comes at once', async () => {
    const port = await freePort()
    server = await startScriptedApiServer()
    server.url = `http://127.0.0.1:${port}`
    const client = await server.client({retry: {deadlineMs: 5_000}})
    const started = Date.now()
    await expect(client.get('v1', 'ConfigMap', 'a', 'default')).rejects.toThrow(/cannot reach the Kubernetes API at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/)
    expect(Date.now() - started).toBeLessThan(1_000)
  })

  test('a server that answered before and now refuses (restarting) is retried until it is back', async () => {
    server = await startScriptedApiServer((_r, res) => (json(res, 200, configMap('3')), true))
    const client = await server.client({retry: {initialDelayMs: 50, maxDelayMs: 100, deadlineMs: 5_000}})
    expect((await client.get('v1', 'ConfigMap', 'a', 'default'))?.metadata.resourceVersion).toBe('3')
    const port = Number(new URL(server.url).port)
    await server.close()
    // Back on the same port a little later, as a restarted API server would be.
    const restarted = new Promise<ScriptedApiServer>((resolve) => setTimeout(async () => resolve(await startOnPort(port)), 300))
    const got = await client.get('v1', 'ConfigMap', 'a', 'default')
    server = await restarted
    expect(got?.metadata.resourceVersion).toBe('4')
  })
})

async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as AddressInfo).port
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  return port
}

async function startOnPort(port: number): Promise<ScriptedApiServer> {
  return startScriptedApiServer((_r, res) => (json(res, 200, configMap('4')), true), {port})
}
