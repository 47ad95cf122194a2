import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {startApiServer, type ApiServer} from '../../../src/local-cluster/api-server/index.js'
import {createObjectStore, type LocalObjectStore} from '../../../src/local-cluster/store/index.js'

const dir = mkdtempSync(join(tmpdir(), 'mygate-bad-input-'))
const stateFile = join(dir, 'state.json')
let server: ApiServer
let store: LocalObjectStore

beforeAll(async () => {
  store = createObjectStore({stateFile})
  server = await startApiServer({store})
})

afterAll(async () => {
  await server?.close()
  await store?.close()
  rmSync(dir, {recursive: true, force: true})
})

async function call(method: string, path: string, body?: string | Buffer, contentType = 'application/json'): Promise<{status: number; json: Record<string, unknown>}> {
  const response = await fetch(`${server.url}${path}`, {method, body, headers: body === undefined ? {} : {'Content-Type': contentType}})
  const text = await response.text()
  return {status: response.status, json: JSON.parse(text) as Record<string, unknown>}
}

function expectStatus(result: {status: number; json: Record<string, unknown>}, code: number, reason: string): void {
  expect(result.status).toBe(code)
  expect(result.json).toMatchObject({kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code, reason})
  expect(typeof result.json.message).toBe('string')
}

const CM = '/api/v1/namespaces/default/configmaps'

describe('bad input gets the real server Status and never hurts the server or its state', () => {
  test('malformed JSON is 400 BadRequest', async () => {
    expectStatus(await call('POST', CM, '{"apiVersion": "v1", "kind": '), 400, 'BadRequest')
  })

  test('malformed YAML (apply) is 400 BadRequest', async () => {
    expectStatus(await call('PATCH', `${CM}/x?fieldManager=t`, 'a: [unclosed\n  b: :', 'application/apply-patch+yaml'), 400, 'BadRequest')
  })

  test('an unknown resource is 404 NotFound; an unknown group is 404', async () => {
    expectStatus(await call('POST', '/api/v1/namespaces/default/widgets', '{}'), 404, 'NotFound')
    expectStatus(await call('GET', '/apis/nope.example.com/v1/things'), 404, 'NotFound')
  })

  test('a kind or apiVersion that does not match the URL is 400', async () => {
    expectStatus(await call('POST', CM, JSON.stringify({apiVersion: 'v2', kind: 'ConfigMap', metadata: {name: 'a'}})), 400, 'BadRequest')
    expectStatus(await call('POST', CM, JSON.stringify({apiVersion: 'v1', kind: 'Secret', metadata: {name: 'a'}})), 400, 'BadRequest')
  })

  test('invalid names are 422 Invalid with the field in causes', async () => {
    const result = await call('POST', CM, JSON.stringify({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'Not_DNS'}}))
    expectStatus(result, 422, 'Invalid')
    expect((result.json.details as {causes: Array<{field: string}>}).causes[0].field).toBe('metadata.name')
    expectStatus(await call('POST', '/api/v1/namespaces', JSON.stringify({apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'has.dot'}})), 422, 'Invalid')
  })

  test('schema violations: a missing required field is 422, a wrongly typed one 400, an unknown field 400 with Strict', async () => {
    const base = {apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'd'}}
    expectStatus(await call('POST', '/apis/apps/v1/namespaces/default/deployments', JSON.stringify({...base, spec: {template: {}}})), 422, 'Invalid')
    expectStatus(
      await call('POST', '/apis/apps/v1/namespaces/default/deployments', JSON.stringify({...base, spec: {replicas: 'two', selector: {}, template: {}}})),
      400,
      'BadRequest',
    )
    const strict = await call('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', JSON.stringify({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 's'}, dat: {}}))
    expectStatus(strict, 400, 'BadRequest')
    expect(strict.json.message).toContain('unknown field "dat"')
  })

  test('a body over 1.5 MiB is 413 without being buffered', async () => {
    const big = JSON.stringify({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'big'}, data: {blob: 'x'.repeat(2 * 1024 * 1024)}})
    expectStatus(await call('POST', CM, big), 413, 'RequestEntityTooLarge')
  })

  test('a patch with an unsupported content type is 415', async () => {
    await call('POST', CM, JSON.stringify({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'p'}}))
    expectStatus(await call('PATCH', `${CM}/p`, '{}', 'text/plain'), 415, 'UnsupportedMediaType')
    expectStatus(await call('PUT', `${CM}/p`, 'x', 'text/plain'), 415, 'UnsupportedMediaType')
  })

  test('wrong methods are 405; unknown paths 404', async () => {
    expectStatus(await call('POST', `${CM}/p`, '{}'), 405, 'MethodNotAllowed')
    expectStatus(await call('GET', '/nope'), 404, 'NotFound')
  })

  test('an expired watch resourceVersion is an ERROR event with 410 Expired', async () => {
    const small = createObjectStore({historySize: 2})
    const other = await startApiServer({store: small})
    try {
      const first = small.resourceVersion()
      for (let i = 0; i < 5; i++) small.create({group: '', resource: 'configmaps'}, {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: `c${i}`, namespace: 'default'}})
      const response = await fetch(`${other.url}${CM}?watch=true&resourceVersion=${first}`)
      const line = JSON.parse((await response.text()).trim()) as {type: string; object: {code: number; reason: string}}
      expect(line).toMatchObject({type: 'ERROR', object: {kind: 'Status', code: 410, reason: 'Expired'}})
    } finally {
      await other.close()
    }
  })

  test('after all that the server still answers and the state file loads with the good objects', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    const created = await call('POST', CM, JSON.stringify({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'survivor'}, data: {ok: 'yes'}}))
    expect(created.status).toBe(201)
    await server.close()
    await store.close()
    store = createObjectStore({stateFile})
    server = await startApiServer({store})
    expect(store.loadWarnings).toEqual([])
    expect(store.get({group: '', resource: 'configmaps'}, 'default', 'survivor')?.data).toEqual({ok: 'yes'})
    expect(store.get({group: '', resource: 'configmaps'}, 'default', 'big')).toBeUndefined()
  })
})
