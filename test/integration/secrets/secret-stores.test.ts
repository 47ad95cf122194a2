import {CreateSecretCommand, SecretsManagerClient} from '@aws-sdk/client-secrets-manager'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {ExternalError, NotFoundError} from '../../../src/errors.js'
import {createSecretsManagerStore} from '../../../src/providers/aws/secrets-manager.js'
import {createSecretManagerStore} from '../../../src/providers/gcp/secret-manager.js'
import {type MotoServer, startMoto} from '../../helpers/moto.js'

describe('AWS Secrets Manager store against moto_server', () => {
  let moto: MotoServer
  const arns: Record<string, string> = {}

  beforeAll(async () => {
    moto = await startMoto()
    const create = async (region: string, name: string, value: {SecretString?: string; SecretBinary?: Uint8Array}) => {
      const client = new SecretsManagerClient({region, endpoint: moto.endpoint, credentials: moto.credentials})
      arns[name] = (await client.send(new CreateSecretCommand({Name: name, ...value}))).ARN!
      client.destroy()
    }
    await create('ap-south-1', 'mygate/payment-gateway', {SecretString: JSON.stringify({'key-id': 'rzp_test_1', 'key-secret': 'sk-1'})})
    await create('eu-west-1', 'mygate/smtp', {SecretString: 'smtp-password-1'})
    await create('ap-south-1', 'mygate/blob', {SecretBinary: new Uint8Array([0, 1, 2, 255])})
  })
  afterAll(async () => {
    await moto?.stop()
  })

  const store = () => createSecretsManagerStore({defaultRegion: 'ap-south-1', clientConfig: {endpoint: moto.endpoint, credentials: moto.credentials}})

  test('a name is read in the default region and answers with its ARN', async () => {
    const entry = await store().read('mygate/payment-gateway')
    expect(entry.reference).toBe(arns['mygate/payment-gateway'])
    expect(entry.reference).toMatch(/^arn:aws:secretsmanager:ap-south-1:\d{12}:secret:mygate\/payment-gateway-/)
    expect(JSON.parse(entry.value.toString('utf8'))).toEqual({'key-id': 'rzp_test_1', 'key-secret': 'sk-1'})
  })

  test('an ARN is read in its own region', async () => {
    const entry = await store().read(arns['mygate/smtp'])
    expect(entry.value.toString('utf8')).toBe('smtp-password-1')
  })

  test('a binary secret keeps its bytes', async () => {
    expect([...(await store().read('mygate/blob')).value]).toEqual([0, 1, 2, 255])
  })

  test('a secret that does not exist is NotFound, naming it and the region', async () => {
    const error = (await store().read('mygate/nope').catch((e: unknown) => e)) as NotFoundError
    expect(error).toBeInstanceOf(NotFoundError)
    expect(error.message).toBe('AWS Secrets Manager has no secret "mygate/nope" in ap-south-1')
  })
})

describe('Google Secret Manager store against a fake of its REST API', () => {
  let server: Server
  let endpoint: string
  const requests: Array<{path: string; authorization?: string}> = []
  const secrets: Record<string, {version: number; data: string}> = {'projects/p1/secrets/sms': {version: 4, data: 'sms-api-key-1'}}

  beforeAll(async () => {
    // GET /v1/projects/P/secrets/S/versions/V:access -> {name, payload: {data: BASE64}}, as documented.
    server = createServer((req, res) => {
      requests.push({path: req.url ?? '', authorization: req.headers.authorization})
      const match = /^\/v1\/(projects\/[^/]+\/secrets\/[^/]+)\/versions\/([^/:]+):access$/.exec(req.url ?? '')
      const send = (status: number, body: unknown) => {
        res.writeHead(status, {'Content-Type': 'application/json'})
        res.end(JSON.stringify(body))
      }
      if (req.headers.authorization !== 'Bearer test-token') return send(401, {error: {code: 401, status: 'UNAUTHENTICATED', message: 'Request had invalid authentication credentials.'}})
      if (match?.[1] === 'projects/p1/secrets/forbidden') return send(403, {error: {code: 403, status: 'PERMISSION_DENIED', message: "Permission 'secretmanager.versions.access' denied"}})
      const secret = match ? secrets[match[1]] : undefined
      if (!match || !secret) return send(404, {error: {code: 404, status: 'NOT_FOUND', message: 'Secret [x] not found or has no versions.'}})
      const version = match[2] === 'latest' ? secret.version : Number(match[2])
      send(200, {name: `${match[1].replace('p1', '123456')}/versions/${version}`, payload: {data: Buffer.from(secret.data).toString('base64'), dataCrc32c: '0'}})
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve))
  })

  const store = (token = 'test-token') => createSecretManagerStore({project: 'p1', endpoint, accessToken: async () => token})

  test('a bare name reads the latest version in the project, with a bearer token; the reference names the version', async () => {
    const entry = await store().read('sms')
    expect(entry.value.toString('utf8')).toBe('sms-api-key-1')
    expect(entry.reference).toBe('projects/123456/secrets/sms/versions/4')
    expect(requests.at(-1)).toEqual({path: '/v1/projects/p1/secrets/sms/versions/latest:access', authorization: 'Bearer test-token'})
  })

  test('a pinned version is read as given', async () => {
    await store().read('projects/p1/secrets/sms/versions/2')
    expect(requests.at(-1)?.path).toBe('/v1/projects/p1/secrets/sms/versions/2:access')
  })

  test.each([
    ['a missing secret', 'nope', NotFoundError, 'Google Secret Manager has no projects/p1/secrets/nope/versions/latest'],
    ['a denied secret', 'forbidden', ExternalError, "Google Secret Manager access to projects/p1/secrets/forbidden/versions/latest failed: PERMISSION_DENIED: Permission 'secretmanager.versions.access' denied"],
  ])('%s is a clear error', async (_what, id, kind, message) => {
    const error = (await store().read(id).catch((e: unknown) => e)) as Error
    expect(error).toBeInstanceOf(kind)
    expect(error.message).toBe(message)
  })

  test('a rejected token is an external error naming the status', async () => {
    const error = (await store('wrong').read('sms').catch((e: unknown) => e)) as Error
    expect(error).toBeInstanceOf(ExternalError)
    expect(error.message).toContain('UNAUTHENTICATED')
  })
})
