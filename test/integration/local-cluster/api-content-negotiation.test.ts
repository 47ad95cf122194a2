import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {startApiServer, type ApiServer} from '../../../src/local-cluster/api-server/index.js'
import {createObjectStore, type LocalObjectStore} from '../../../src/local-cluster/store/index.js'

/**
 * Request and response formats over real HTTP, with the messages of k8s.io/apiserver's
 * negotiation/errors.go and handlers/rest.go transformDecodeError. The protobuf bodies are the
 * ones kubectl 1.33 sent (test/fixtures/kubectl-bodies).
 */

const dir = mkdtempSync(join(tmpdir(), 'mygate-negotiation-'))
let server: ApiServer
let store: LocalObjectStore

beforeAll(async () => {
  store = createObjectStore({stateFile: join(dir, 'state.json')})
  server = await startApiServer({store})
})

afterAll(async () => {
  await server?.close()
  await store?.close()
  rmSync(dir, {recursive: true, force: true})
})

const PROTOBUF = 'application/vnd.kubernetes.protobuf'
const CM = '/api/v1/namespaces/default/configmaps'
const configMaps = {group: '', resource: 'configmaps'}

function captured(name: string): Buffer {
  return readFileSync(join(import.meta.dirname, '../../fixtures/kubectl-bodies', `${name}.kubectl-1.33.pb`))
}

interface Answer {
  status: number
  contentType: string
  json: Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function call(method: string, path: string, options: {body?: Buffer | string; contentType?: string; accept?: string} = {}): Promise<Answer> {
  const headers: Record<string, string> = {}
  if (options.contentType) headers['Content-Type'] = options.contentType
  if (options.accept !== undefined) headers.Accept = options.accept
  const response = await fetch(`${server.url}${path}`, {method, body: options.body, headers})
  return {status: response.status, contentType: response.headers.get('content-type') ?? '', json: (await response.json()) as Answer['json']}
}

function expectFailure(answer: Answer, code: number, reason: string, message: string): void {
  expect(answer.status).toBe(code)
  expect(answer.json).toEqual({kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code, reason, message})
}

describe('protobuf request bodies', () => {
  test('a ConfigMap kubectl sent as protobuf is created as if it had come as JSON, answered in JSON', async () => {
    const created = await call('POST', `${CM}?fieldManager=kubectl-create&fieldValidation=Strict`, {body: captured('configmap'), contentType: PROTOBUF, accept: `${PROTOBUF},application/json`})
    expect(created.status).toBe(201)
    expect(created.contentType).toBe('application/json')
    expect(created.json).toMatchObject({kind: 'ConfigMap', apiVersion: 'v1', metadata: {name: 'settings', namespace: 'default'}, data: {empty: '', mode: 'fast'}})
    const stored = store.get(configMaps, 'default', 'settings')!
    expect(stored.data).toEqual({empty: '', mode: 'fast'})
    expect((stored.metadata.managedFields as Array<{manager: string}>)[0].manager).toBe('kubectl-create')
    expect(stored.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
  })

  test('an update (PUT) in protobuf replaces the object', async () => {
    const changed = Buffer.from(captured('configmap').toString('latin1').replace('fast', 'slow'), 'latin1')
    const answer = await call('PUT', `${CM}/settings`, {body: changed, contentType: PROTOBUF})
    expect(answer.status).toBe(200)
    expect(store.get(configMaps, 'default', 'settings')!.data).toEqual({empty: '', mode: 'slow'})
  })

  test('the decoded object goes through the same validation as JSON: an invalid name is 422', async () => {
    // Namespace "demo" sent to the namespaces URL works; the same bytes with a name that breaks DNS rules do not.
    const body = captured('namespace')
    expect((await call('POST', '/api/v1/namespaces', {body, contentType: PROTOBUF})).status).toBe(201)
    const bad = Buffer.from(body.toString('latin1').replace('demo', 'DEMO'), 'latin1')
    const answer = await call('POST', '/api/v1/namespaces', {body: bad, contentType: PROTOBUF})
    expect(answer.status).toBe(422)
    expect(answer.json.reason).toBe('Invalid')
    expect(answer.json.message).toContain('Namespace "DEMO" is invalid')
  })

  test('bytes that are not protobuf are 400, worded as the real create handler words it', async () => {
    expectFailure(
      await call('POST', CM, {body: '{}', contentType: PROTOBUF}),
      400,
      'BadRequest',
      'the object provided is unrecognized (must be of type ConfigMap): provided data does not appear to be a protobuf message, expected prefix [107 56 115 0] ({})',
    )
    const truncated = captured('configmap').subarray(0, 40)
    expectFailure(await call('POST', CM, {body: truncated, contentType: PROTOBUF}), 400, 'BadRequest', `the object provided is unrecognized (must be of type ConfigMap): unexpected EOF (${truncated.subarray(0, 30).toString('hex')} ...)`)
  })

  test('an object cut short after its envelope: "cannot be handled as a ConfigMap"', async () => {
    const typeMeta = Buffer.concat([Buffer.from([0x0a, 0x02]), Buffer.from('v1'), Buffer.from([0x12, 0x09]), Buffer.from('ConfigMap')])
    const raw = Buffer.from([0x0a, 0x05, 0x0a]) // metadata announces 5 bytes, 1 follows
    const body = Buffer.concat([Buffer.from('k8s\0', 'latin1'), Buffer.from([0x0a, typeMeta.length]), typeMeta, Buffer.from([0x12, raw.length]), raw])
    expectFailure(await call('POST', CM, {body, contentType: PROTOBUF}), 400, 'BadRequest', 'ConfigMap in version "v1" cannot be handled as a ConfigMap: unexpected EOF')
  })

  test('a Secret envelope sent to the configmaps URL is 400 (the kind does not match)', async () => {
    const answer = await call('POST', CM, {body: captured('secret-generic'), contentType: PROTOBUF})
    expect(answer.status).toBe(400)
    expect(answer.json.message).toBe('the kind in the data (Secret) does not match the expected kind (ConfigMap) for the URL')
    expect(store.get({group: '', resource: 'secrets'}, 'default', 'creds')).toBeUndefined()
  })

  test('protobuf for a kind without a protobuf codec is 415 listing what it accepts (a custom resource never takes protobuf)', async () => {
    expectFailure(
      await call('POST', '/apis/local.mygate.dev/v1/namespaces/default/faults', {body: captured('configmap'), contentType: PROTOBUF}),
      415,
      'UnsupportedMediaType',
      'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml',
    )
  })

  test('an unknown body format for a built-in kind lists protobuf among the accepted ones', async () => {
    expectFailure(
      await call('POST', CM, {body: 'x', contentType: 'text/plain'}),
      415,
      'UnsupportedMediaType',
      'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf',
    )
  })
})

describe('response formats', () => {
  test.each([
    ['client-go typed clients', `${PROTOBUF},application/json`, 'ConfigMap'],
    ['kubectl (JSON with any fallback)', 'application/json, */*', 'ConfigMap'],
    ['a wildcard', '*/*', 'ConfigMap'],
    ['a type wildcard', 'application/*', 'ConfigMap'],
    ['a Table request', 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json', 'Table'],
    ['no Accept header', '', 'ConfigMap'],
  ])('%s gets JSON', async (_title, accept, kind) => {
    const answer = await call('GET', `${CM}/settings`, {accept})
    expect(answer.status).toBe(200)
    expect(answer.contentType).toBe('application/json')
    expect(answer.json.kind).toBe(kind)
  })

  test.each([
    ['protobuf only', PROTOBUF],
    ['YAML only (not written by the local server)', 'application/yaml'],
    ['a protobuf watch stream', `${PROTOBUF};stream=watch`],
  ])('%s is 406 with the media types the server writes', async (_title, accept) => {
    expectFailure(await call('GET', `${CM}/settings`, {accept}), 406, 'NotAcceptable', 'only the following media types are accepted: application/json')
  })

  test('the 406 comes before the request acts: nothing is created', async () => {
    const body = JSON.stringify({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'never'}})
    expectFailure(await call('POST', CM, {body, contentType: 'application/json', accept: PROTOBUF}), 406, 'NotAcceptable', 'only the following media types are accepted: application/json')
    expect(store.get(configMaps, 'default', 'never')).toBeUndefined()
  })
})
