import {beforeAll, describe, expect, test} from 'vitest'

import {loadCatalog} from '../../../src/catalog/load-catalog.js'
import type {Catalog} from '../../../src/catalog/types.js'
import {redisServerArgs, redisTopology} from '../../../src/db/redis-topology.js'
import type {KubeObject} from '../../../src/kube/types.js'
import {objectsForRegion} from '../../../src/render/labels.js'
import {renderService} from '../../../src/render/render-environment.js'
import {validateObjects} from '../../../src/render/validate.js'
import {testEnvironment} from '../../helpers/builders.js'

let catalog: Catalog
beforeAll(async () => {
  catalog = await loadCatalog()
})

type Obj = KubeObject & {spec: any} // eslint-disable-line @typescript-eslint/no-explicit-any

describe('redisTopology', () => {
  test.each([
    ['dev, one region', 'dev', undefined, [['redis-0.redis.mygate-data.svc.cluster.local:6379', 'r1', 'primary']], {r1: 1}],
    ['prod, one region', 'prod', undefined, [['redis-0.redis.mygate-data.svc.cluster.local:6379', 'r1', 'primary']], {r1: 3}],
    [
      'prod, two regions: one replica in the secondary, members by their cross-region names',
      'prod',
      'r2',
      [
        ['redis-r1-0.mygate-data.svc.clusterset.local:6379', 'r1', 'primary'],
        ['redis-r2-0.mygate-data.svc.clusterset.local:6379', 'r2', 'replica'],
      ],
      {r1: 3, r2: 1},
    ],
  ] as const)('%s', (_name, tier, secondary, members, replicas) => {
    const topology = redisTopology(catalog.byName('redis')!, {tier, regions: {primary: 'r1', ...(secondary ? {secondary} : {})}})
    expect(topology.members.map((m) => [m.host, m.region, m.role])).toEqual(members)
    expect(topology.replicasByRegion).toEqual(replicas)
  })

  test('redis-server arguments: the password only as $(ENV); the secondary replicates from the primary by its clusterset name', () => {
    const topology = redisTopology(catalog.byName('redis')!, {tier: 'dev', regions: {primary: 'r1', secondary: 'r2'}})
    const base = ['redis-server', '--port', '6379', '--appendonly', 'yes', '--dir', '/data', '--requirepass', '$(REDIS_PASSWORD)', '--masterauth', '$(REDIS_PASSWORD)']
    expect(redisServerArgs(topology, 'r1', 'REDIS_PASSWORD')).toEqual(base)
    expect(redisServerArgs(topology, 'r2', 'REDIS_PASSWORD')).toEqual([...base, '--replicaof', 'redis-r1-0.mygate-data.svc.clusterset.local', '6379', '--replica-read-only', 'yes'])
  })
})

describe('redis as rendered', () => {
  test('two regions: a StatefulSet per region (the secondary one replica of the primary) and a Service per member, each in its own region', async () => {
    const env = testEnvironment({tier: 'prod', regions: {primary: 'r1', secondary: 'r2'}})
    const objects = await renderService(catalog.byName('redis')!, env, {catalog})
    for (const [region, replicas, replicaof] of [['r1', 3, undefined], ['r2', 1, 'redis-r1-0.mygate-data.svc.clusterset.local']] as const) {
      const own = objectsForRegion(objects, region) as Obj[]
      const sets = own.filter((o) => o.kind === 'StatefulSet')
      expect(sets).toHaveLength(1)
      expect(sets[0].spec.replicas).toBe(replicas)
      const args: string[] = sets[0].spec.template.spec.containers[0].args
      expect(args.includes('--replicaof') ? args[args.indexOf('--replicaof') + 1] : undefined).toBe(replicaof)
      expect(JSON.stringify(sets[0])).not.toMatch(/"value":/)
      expect(own.filter((o) => o.kind === 'Service').map((o) => o.metadata.name).sort()).toEqual(['redis', `redis-${region}-0`])
    }
    await expect(validateObjects(objects)).resolves.toBeUndefined()
  })

  test('one region: one StatefulSet, no per-member Service, no region label', async () => {
    const objects = await renderService(catalog.byName('redis')!, testEnvironment({tier: 'dev'}), {catalog})
    const sets = objects.filter((o) => o.kind === 'StatefulSet') as Obj[]
    expect(sets).toHaveLength(1)
    expect(sets[0].metadata.labels?.['mygate.dev/region']).toBeUndefined()
    expect(objects.filter((o) => o.kind === 'Service').map((o) => o.metadata.name)).toEqual(['redis'])
  })
})

describe('the stores\' NetworkPolicies admit mygate\'s Jobs', () => {
  const ingressSelectors = (objects: KubeObject[], name: string) =>
    ((objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === name) as Obj).spec.ingress as Array<{from: Array<{podSelector?: {matchLabels: Record<string, string>}}>}>).flatMap((rule) => rule.from.map((peer) => peer.podSelector?.matchLabels))

  test('redis: its redis-cli Jobs (db-ops, database redis)', async () => {
    const objects = await renderService(catalog.byName('redis')!, testEnvironment(), {catalog})
    expect(ingressSelectors(objects, 'redis')).toContainEqual({'app.kubernetes.io/component': 'db-ops', 'mygate.dev/database': 'redis'})
  })

  test('a MongoDB database: its own Jobs and the status Job of every database', async () => {
    const objects = await renderService(catalog.byName('billing-db')!, testEnvironment(), {catalog})
    const selectors = ingressSelectors(objects, 'billing-db')
    expect(selectors).toContainEqual({'app.kubernetes.io/component': 'db-ops', 'mygate.dev/database': 'billing-db'})
    expect(selectors).toContainEqual({'app.kubernetes.io/component': 'db-ops', 'mygate.dev/database': 'all'})
  })
})
