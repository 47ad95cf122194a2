import {describe, expect, test} from 'vitest'

import {createCatalog} from '../../../src/catalog/catalog.js'
import type {Catalog, SecretReference} from '../../../src/catalog/types.js'
import {ConflictError} from '../../../src/errors.js'
import type {KubeObject} from '../../../src/kube/types.js'
import {type PlanSecretsInput, planSecrets} from '../../../src/secrets/plan.js'
import {secretSpecs} from '../../../src/secrets/secret-catalog.js'
import {type ObservedSecret, observeSecret, placeholderValue} from '../../../src/secrets/secret-object.js'
import {testEnvironment, testService} from '../../helpers/builders.js'

const dbSecrets: SecretReference[] = [
  {env: 'MONGO_INITDB_ROOT_USERNAME', secretName: 'billing-db-credentials', key: 'root-username', generate: 'username'},
  {env: 'MONGO_INITDB_ROOT_PASSWORD', secretName: 'billing-db-credentials', key: 'root-password', generate: 'password'},
  {env: 'MONGO_REPLICA_SET_KEY', secretName: 'billing-db-credentials', key: 'replica-set-key', generate: 'mongodb-keyfile'},
]

/** billing + its database + redis, as the bundled descriptors declare their secrets. */
function testCatalog(dbReplicas = {dev: 1, staging: 3, prod: 3}): Catalog {
  const tier = (replicas: number) => ({replicas, resources: {requests: {cpu: '100m', memory: '128Mi'}, limits: {cpu: '500m', memory: '256Mi'}}, storage: '1Gi'})
  return createCatalog([
    testService({
      name: 'billing-db',
      kind: 'mongodb',
      port: 27017,
      tiers: {dev: tier(dbReplicas.dev), staging: tier(dbReplicas.staging), prod: tier(dbReplicas.prod)},
      secrets: dbSecrets,
    }),
    testService({name: 'redis', kind: 'redis', port: 6379, secrets: [{env: 'REDIS_PASSWORD', secretName: 'redis-auth', key: 'password', generate: 'password'}]}),
    testService({
      name: 'billing',
      dependencies: {database: 'billing-db', cache: 'redis', services: []},
      secrets: [
        {env: 'MONGODB_URI', secretName: 'billing-db-credentials', key: 'uri', generate: 'mongodb-uri'},
        {env: 'REDIS_PASSWORD', secretName: 'redis-auth', key: 'password', generate: 'password'},
        {env: 'PAYMENT_GATEWAY_KEY_ID', secretName: 'payment-gateway', key: 'key-id'},
        {env: 'PAYMENT_GATEWAY_KEY_SECRET', secretName: 'payment-gateway', key: 'key-secret'},
      ],
    }),
  ])
}

/** Deterministic "random" values: generator name and a counter, so a test can tell them apart. */
function counter(): PlanSecretsInput['random'] & {calls: string[]} {
  const calls: string[] = []
  const random = (generator: string) => {
    calls.push(generator)
    return `${generator}-${calls.length}`
  }
  return Object.assign(random, {calls})
}

const b64 = (text: string) => Buffer.from(text).toString('base64')
const text = (base64: string) => Buffer.from(base64, 'base64').toString('utf8')

function input(overrides: Partial<PlanSecretsInput> = {}): PlanSecretsInput {
  const catalog = overrides.catalog ?? testCatalog()
  return {
    specs: secretSpecs(catalog),
    catalog,
    env: testEnvironment(),
    regions: ['local-1'],
    observed: [],
    labels: {'app.kubernetes.io/managed-by': 'mygate'},
    random: counter(),
    ...overrides,
  }
}

/** What a cluster would hand back after the plan's objects were applied. */
function stored(objects: Array<{region: string; object: KubeObject}>): ObservedSecret[] {
  return objects.map(({region, object}, i) => observeSecret(region, {...object, metadata: {...object.metadata, resourceVersion: String(i + 1)}}))
}

const objectOf = (plan: ReturnType<typeof planSecrets>, region: string, namespace: string, name: string) =>
  plan.objects.find((o) => o.region === region && o.object.metadata.namespace === namespace && o.object.metadata.name === name)?.object
const dataOf = (object: KubeObject | undefined) => (object?.data ?? {}) as Record<string, string>

describe('planSecrets: generated values', () => {
  test('a new environment gets every generated key once, each namespace only the keys its pods read', () => {
    const random = counter()
    const plan = planSecrets(input({random}))
    expect(random.calls.sort()).toEqual(['mongodb-keyfile', 'password', 'password', 'username'])
    expect(plan.generated).toEqual([
      {secret: 'billing-db-credentials', keys: ['replica-set-key', 'root-password', 'root-username']},
      {secret: 'redis-auth', keys: ['password']},
    ])
    // The data namespace holds the root credentials and key file; the app namespace only the URI.
    expect(Object.keys(dataOf(objectOf(plan, 'local-1', 'mygate-data', 'billing-db-credentials')))).toEqual(['replica-set-key', 'root-password', 'root-username'])
    expect(Object.keys(dataOf(objectOf(plan, 'local-1', 'mygate', 'billing-db-credentials')))).toEqual(['uri'])
    // redis-auth is read in both namespaces: one value, two copies.
    expect(dataOf(objectOf(plan, 'local-1', 'mygate', 'redis-auth')).password).toBe(dataOf(objectOf(plan, 'local-1', 'mygate-data', 'redis-auth')).password)
    expect(plan.changes).toEqual([])
  })

  test('a re-run changes nothing and generates nothing', () => {
    const first = planSecrets(input())
    const random = counter()
    const second = planSecrets(input({observed: stored(first.objects), random}))
    expect(random.calls).toEqual([])
    expect(second.generated).toEqual([])
    expect(second.changes).toEqual([])
    expect(second.objects.map((o) => o.object)).toEqual(first.objects.map((o) => o.object))
  })

  test('a second region gets the same values as the first (a replica-set key must match everywhere)', () => {
    const first = planSecrets(input())
    const random = counter()
    const plan = planSecrets(input({regions: ['local-1', 'local-2'], observed: stored(first.objects), random}))
    expect(random.calls).toEqual([])
    for (const [namespace, name] of [['mygate-data', 'billing-db-credentials'], ['mygate', 'billing-db-credentials'], ['mygate', 'redis-auth']]) {
      expect(dataOf(objectOf(plan, 'local-2', namespace, name))).toEqual(dataOf(objectOf(first, 'local-1', namespace, name)))
    }
  })

  test('copies that disagree are a conflict naming the copies, never the values', () => {
    const first = stored(planSecrets(input({regions: ['a', 'b']})).objects)
    const tampered = first.map((o) => (o.region === 'b' && o.name === 'billing-db-credentials' && o.namespace === 'mygate-data' ? {...o, data: {...o.data, 'replica-set-key': b64('other-key')}} : o))
    const error = (() => {
      try {
        planSecrets(input({regions: ['a', 'b'], observed: tampered}))
      } catch (e) {
        return e as ConflictError
      }
      throw new Error('no conflict')
    })()
    expect(error).toBeInstanceOf(ConflictError)
    expect(error.message).toBe('Secret billing-db-credentials key replica-set-key has different values in a/mygate-data, b/mygate-data; every copy must hold the same value')
    expect(error.message + error.hint).not.toContain('other-key')
    expect(error.message + error.hint).not.toContain(b64('other-key'))
  })
})

describe('planSecrets: derived values', () => {
  test('the connection string is built from the database topology and its generated credentials', () => {
    const plan = planSecrets(input())
    const data = dataOf(objectOf(plan, 'local-1', 'mygate-data', 'billing-db-credentials'))
    expect(text(dataOf(objectOf(plan, 'local-1', 'mygate', 'billing-db-credentials')).uri)).toBe(
      `mongodb://${text(data['root-username'])}:${text(data['root-password'])}@billing-db-0.billing-db.mygate-data.svc.cluster.local:27017/billing?replicaSet=billing-db&authSource=admin`,
    )
  })

  test('a topology change rebuilds the connection string and names the services to restart', () => {
    const dev = planSecrets(input())
    const staging = planSecrets(input({env: testEnvironment({tier: 'staging'}), observed: stored(dev.objects)}))
    expect(staging.changes).toEqual([{region: 'local-1', namespace: 'mygate', secret: 'billing-db-credentials', key: 'uri', readers: ['billing']}])
    expect(text(dataOf(objectOf(staging, 'local-1', 'mygate', 'billing-db-credentials')).uri)).toContain('billing-db-2.billing-db.mygate-data.svc.cluster.local:27017/billing')
    // The credentials themselves never change.
    expect(dataOf(objectOf(staging, 'local-1', 'mygate-data', 'billing-db-credentials'))).toEqual(dataOf(objectOf(dev, 'local-1', 'mygate-data', 'billing-db-credentials')))
  })

  test('the JWT public key is derived from the private key in the same Secret', async () => {
    const {generateKeyPairSync} = await import('node:crypto')
    const pair = generateKeyPairSync('rsa', {modulusLength: 2048, publicKeyEncoding: {type: 'spki', format: 'pem'}, privateKeyEncoding: {type: 'pkcs8', format: 'pem'}})
    const catalog = createCatalog([
      testService({name: 'auth', secrets: [{env: 'JWT_SIGNING_KEY', secretName: 'auth-jwt', key: 'private.pem', generate: 'rsa-private-key'}]}),
      testService({name: 'gateway', secrets: [{env: 'JWT_PUBLIC_KEY', secretName: 'auth-jwt', key: 'public.pem', generate: 'rsa-public-key'}]}),
    ])
    const plan = planSecrets(input({catalog, random: () => pair.privateKey}))
    expect(text(dataOf(objectOf(plan, 'local-1', 'mygate', 'auth-jwt'))['public.pem'])).toBe(pair.publicKey)
  })
})

describe('planSecrets: external values', () => {
  test('dev: missing external keys get placeholders that say so, marked on the Secret', () => {
    const plan = planSecrets(input())
    const secret = objectOf(plan, 'local-1', 'mygate', 'payment-gateway')
    expect(secret?.metadata.annotations).toMatchObject({'mygate.dev/placeholder': 'true', 'mygate.dev/placeholder-keys': 'key-id,key-secret', 'mygate.dev/secret-source': 'external'})
    expect(text(dataOf(secret)['key-id'])).toBe(placeholderValue('payment-gateway', 'key-id', 'demo'))
    expect(text(dataOf(secret)['key-id'])).toMatch(/^mygate-placeholder: payment-gateway\/key-id is not set/)
    expect(plan.placeholders).toEqual([{secret: 'payment-gateway', keys: ['key-id', 'key-secret']}])
    expect(plan.missing).toEqual([])
  })

  test.each(['staging', 'prod'] as const)('%s: missing external keys are reported with their readers, and no object is planned for them', (tier) => {
    const plan = planSecrets(input({env: testEnvironment({tier})}))
    expect(plan.missing).toEqual([{secret: 'payment-gateway', keys: ['key-id', 'key-secret'], readers: ['billing']}])
    expect(objectOf(plan, 'local-1', 'mygate', 'payment-gateway')).toBeUndefined()
    expect(plan.placeholders).toEqual([])
  })

  test('staging: a placeholder left from dev counts as missing', () => {
    const dev = stored(planSecrets(input()).objects)
    const plan = planSecrets(input({env: testEnvironment({tier: 'staging'}), observed: dev}))
    expect(plan.missing.map((m) => m.secret)).toEqual(['payment-gateway'])
  })

  test('a value the user set is kept by env create, and a placeholder the user replaces is a change for its readers', () => {
    const dev = stored(planSecrets(input()).objects)
    const set = planSecrets(
      input({observed: dev, override: {secret: 'payment-gateway', values: {'key-id': b64('rzp_live_123')}, provenance: {source: 'external', setAt: '2026-12-01T00:00:00Z'}}, only: ['payment-gateway']}),
    )
    expect(set.objects.map((o) => o.object.metadata.name)).toEqual(['payment-gateway'])
    expect(set.changes).toEqual([{region: 'local-1', namespace: 'mygate', secret: 'payment-gateway', key: 'key-id', readers: ['billing']}])
    expect(set.objects[0].object.metadata.annotations).toMatchObject({'mygate.dev/placeholder-keys': 'key-secret', 'mygate.dev/secret-set-at': '2026-12-01T00:00:00Z'})
    // env create afterwards: the user's value stays, the provenance is carried over, nothing changes.
    const again = planSecrets(input({observed: stored(set.objects).concat(dev.filter((o) => o.name !== 'payment-gateway'))}))
    const gateway = objectOf(again, 'local-1', 'mygate', 'payment-gateway')
    expect(text(dataOf(gateway)['key-id'])).toBe('rzp_live_123')
    expect(gateway?.metadata.annotations?.['mygate.dev/secret-set-at']).toBe('2026-12-01T00:00:00Z')
    expect(again.changes).toEqual([])
  })

  test('Secret objects are Opaque, carry the given labels and hold base64 data', () => {
    const plan = planSecrets(input())
    for (const {object} of plan.objects) {
      expect(object).toMatchObject({apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: {labels: {'app.kubernetes.io/managed-by': 'mygate'}}})
      for (const value of Object.values(dataOf(object))) expect(Buffer.from(value, 'base64').toString('base64')).toBe(value)
    }
  })
})
