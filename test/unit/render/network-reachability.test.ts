import {beforeAll, describe, expect, test} from 'vitest'

import {renderRestoredSet} from '../../../src/backup/restore/restored-set.js'
import {switchNetworkPolicies} from '../../../src/backup/restore/switch-network.js'
import {renderDumpJob, renderRestoreJob} from '../../../src/backup/jobs/job-values.js'
import {renderVerifyJob} from '../../../src/backup/verify/verify-job.js'
import {loadCatalog} from '../../../src/catalog/load-catalog.js'
import type {Catalog, ServiceDescriptor} from '../../../src/catalog/types.js'
import {renderOperationJob} from '../../../src/db/run-operation.js'
import {renderStatusAllJob} from '../../../src/db/status-all.js'
import {renderRedisCliJob} from '../../../src/db/redis-ops.js'
import type {KubeObject} from '../../../src/kube/types.js'
import {connectionAllowed, type PodPeer} from '../../../src/local-cluster/network/network-policy.js'
import {LOCAL_POD_RANGES} from '../../../src/providers/local/address-plan.js'
import {objectsForRegion} from '../../../src/render/labels.js'
import {renderEnvironment} from '../../../src/render/render-environment.js'
import {validateObjects} from '../../../src/render/validate.js'
import type {EnvironmentSpec} from '../../../src/config/types.js'
import {testEnvironment} from '../../helpers/builders.js'

/**
 * What mygate renders must let its own traffic through on a real cluster, where the namespaces'
 * default-deny NetworkPolicies are enforced: apps reach their databases, every database Job and
 * backup Job reaches the members it works on and the object store, and nothing else gets in.
 * Checked with the Kubernetes NetworkPolicy rules (src/local-cluster/network/network-policy.ts).
 */
interface PodTemplate {
  metadata?: {labels?: Record<string, string>}
  spec: {containers: Array<{ports?: Array<{name?: string; containerPort: number}>}>}
}

function podOf(object: KubeObject): PodPeer {
  const template = (object.spec as {template: PodTemplate}).template
  return {
    kind: 'pod',
    namespace: String(object.metadata.namespace),
    labels: template.metadata?.labels ?? {},
    ports: template.spec.containers.flatMap((c) => c.ports ?? []),
  }
}

const OBJECT_STORAGE = {kind: 'external' as const, ip: '52.219.100.10'}

describe('the NetworkPolicies mygate renders admit its own traffic and nothing else', () => {
  let catalog: Catalog
  let objects: KubeObject[]
  let policies: KubeObject[]
  const env = testEnvironment({tier: 'staging'})
  const namespaceLabels = (name: string): Record<string, string> | undefined => {
    const ns = objects.find((o) => o.kind === 'Namespace' && o.metadata.name === name)
    return ns ? {...(ns.metadata.labels ?? {}), 'kubernetes.io/metadata.name': name} : undefined
  }
  const workload = (name: string): KubeObject => {
    const found = objects.find((o) => (o.kind === 'Deployment' || o.kind === 'StatefulSet') && o.metadata.name === name)
    if (!found) throw new Error(`no workload ${name}`)
    return found
  }

  beforeAll(async () => {
    catalog = await loadCatalog()
    objects = (await renderEnvironment({catalog, env})).objects
    policies = objects.filter((o) => o.kind === 'NetworkPolicy')
    expect(policies.some((p) => p.metadata.name === 'default-deny' && p.metadata.namespace === 'mygate-data')).toBe(true)
  })

  const databases = (): ServiceDescriptor[] => catalog.services.filter((s) => s.kind === 'mongodb')

  test('an app reaches its own database; another app does not', () => {
    const visitors = podOf(workload('visitors'))
    const billing = podOf(workload('billing'))
    const db = podOf(workload('visitors-db'))
    expect(connectionAllowed(policies, {from: visitors, to: db, port: 27017}, namespaceLabels)).toEqual({allowed: true})
    expect(connectionAllowed(policies, {from: billing, to: db, port: 27017}, namespaceLabels).allowed).toBe(false)
  })

  test('every database operation Job reaches its members, and only them', async () => {
    for (const database of databases()) {
      const job = await renderOperationJob('dbop-x', {database: database.name, op: 'status', params: {}, connection: 'mongodb://x/'})
      const member = podOf(workload(database.name))
      expect(connectionAllowed(policies, {from: podOf(job), to: member, port: 27017}, namespaceLabels), database.name).toEqual({allowed: true})
      const other = databases().find((d) => d.name !== database.name) as ServiceDescriptor
      expect(connectionAllowed(policies, {from: podOf(job), to: podOf(workload(other.name)), port: 27017}, namespaceLabels).allowed).toBe(false)
    }
  })

  test('the one status Job of `db status` reaches the members of every database', async () => {
    const job = await renderStatusAllJob('dbop-status-all-x', {sets: databases().map((d) => ({database: d.name, connection: `mongodb://${d.name}/?replicaSet=${d.name}`}))})
    for (const database of databases()) {
      expect(connectionAllowed(policies, {from: podOf(job), to: podOf(workload(database.name)), port: 27017}, namespaceLabels), database.name).toEqual({allowed: true})
    }
    expect(connectionAllowed(policies, {from: podOf(job), to: podOf(workload('visitors')), port: 8080}, namespaceLabels).allowed).toBe(false)
  })

  test('the redis-cli Job reaches Redis, not a database', async () => {
    const job = await renderRedisCliJob('dbop-redis-info-x', 'redis-info', ['INFO', 'replication'], {host: 'redis-0.redis.mygate-data.svc.cluster.local:6379'})
    const redis = podOf(workload('redis'))
    expect(connectionAllowed(policies, {from: podOf(job), to: redis, port: redis.ports?.[0]?.containerPort ?? 6379}, namespaceLabels)).toEqual({allowed: true})
    expect(connectionAllowed(policies, {from: podOf(job), to: podOf(workload('visitors-db')), port: 27017}, namespaceLabels).allowed).toBe(false)
  })

  test('every dump Job reads its members and writes to object storage', () => {
    for (const database of databases()) {
      const job = renderDumpJob({backupId: `${database.name}-b1`, database: database.name, image: 'mongo:7.0', toolsSecret: 't', location: {provider: 'local', bucket: 'b', key: 'k'}, sizeLimit: '1Gi'})
      const from = podOf(job)
      expect(connectionAllowed(policies, {from, to: podOf(workload(database.name)), port: 27017}, namespaceLabels), database.name).toEqual({allowed: true})
      expect(connectionAllowed(policies, {from, to: OBJECT_STORAGE, port: 443}, namespaceLabels), database.name).toEqual({allowed: true})
      expect(connectionAllowed(policies, {from, to: OBJECT_STORAGE, port: 8080}, namespaceLabels).allowed).toBe(false)
    }
  })

  test('the scheduled verification Job reaches object storage and no database member (its scratch mongod is in its own pod)', () => {
    for (const database of databases()) {
      const job = renderVerifyJob({service: database.name, database: database.name, dbName: database.name, image: 'mongo:7.0', store: {provider: 'aws', bucket: 'b'}, sizeLimit: '1Gi'})
      const from = podOf(job)
      expect(connectionAllowed(policies, {from, to: OBJECT_STORAGE, port: 443}, namespaceLabels), database.name).toEqual({allowed: true})
      expect(connectionAllowed(policies, {from, to: OBJECT_STORAGE, port: 8080}, namespaceLabels).allowed).toBe(false)
      for (const other of databases()) expect(connectionAllowed(policies, {from, to: podOf(workload(other.name)), port: 27017}, namespaceLabels).allowed, other.name).toBe(false)
      expect(connectionAllowed(policies, {from, to: podOf(workload('visitors')), port: 8080}, namespaceLabels).allowed).toBe(false)
    }
  })

  test('a restore Job reaches the set restored beside the live one in mygate-data', async () => {
    const live = catalog.byName('visitors-db') as ServiceDescriptor
    const restored = await renderRestoredSet({database: live, set: 'visitors-db-r1', namespace: 'mygate-data', backupId: 'visitors-b1'}, env, catalog)
    const all = [...policies, ...restored.filter((o) => o.kind === 'NetworkPolicy')]
    const job = renderRestoreJob({backupId: 'visitors-b1', database: 'visitors-db', image: 'mongo:7.0', location: {provider: 'local', bucket: 'b', key: 'k'}, sizeLimit: '1Gi', targetSet: 'visitors-db-r1', targetToolsSecret: 't', purpose: 'restore'})
    const target = podOf(restored.find((o) => o.kind === 'StatefulSet') as KubeObject)
    expect(connectionAllowed(all, {from: podOf(job), to: target, port: 27017}, namespaceLabels)).toEqual({allowed: true})
    expect(connectionAllowed(all, {from: podOf(job), to: OBJECT_STORAGE, port: 443}, namespaceLabels)).toEqual({allowed: true})
    // The app reaches the restored set once a restore's switch adds its two policies, not before.
    const app = podOf(workload('visitors'))
    expect(connectionAllowed(all, {from: app, to: target, port: 27017}, namespaceLabels).allowed).toBe(false)
    const switched = [...all, ...switchNetworkPolicies({service: 'visitors', set: 'visitors-db-r1', port: 27017})]
    expect(connectionAllowed(switched, {from: app, to: target, port: 27017}, namespaceLabels)).toEqual({allowed: true})
  })
})

/**
 * Two regions on a cloud: the member names reach the other region's members through their load
 * balancers, which pods see as addresses outside the cluster (src/providers/member-network.ts). A
 * connection from region B to a member in region A needs B's egress to the load balancer's address
 * (checked with B's policies) and A's ingress from the address A's member sees (A's policies).
 */
describe('cross-region member connections through the members\' load balancers', () => {
  let catalog: Catalog
  beforeAll(async () => {
    catalog = await loadCatalog()
  })

  /** What each side sees, per provider: the load balancer address B dials, and the source A's member sees. */
  const SEEN = {
    // gcp: an internal passthrough LB's IP comes from the member's subnetwork (node range); the client's Pod IP arrives unchanged.
    gcp: {lbIn: {r1: '10.10.0.21', r2: '10.20.0.33'}, sourceAt: (_to: 'r1' | 'r2', from: 'r1' | 'r2') => (from === 'r1' ? '10.64.3.7' : '10.80.5.9')},
    // aws: an internal NLB in the member VPC's private subnets; the member sees the NLB's own address.
    aws: {lbIn: {r1: '10.10.100.5', r2: '10.20.130.8'}, sourceAt: (to: 'r1' | 'r2') => (to === 'r1' ? '10.10.161.4' : '10.20.97.12')},
    // local: the cluster set routes to the member's pod itself, without NAT (src/providers/local/address-plan.ts).
    local: {lbIn: {r1: '10.244.1.5', r2: '10.245.2.6'}, sourceAt: (_to: 'r1' | 'r2', from: 'r1' | 'r2') => (from === 'r1' ? '10.244.0.7' : '10.245.1.9')},
  } as const

  const setup = async (provider: 'aws' | 'gcp' | 'local', overrides: Partial<EnvironmentSpec> = {}) => {
    const env = testEnvironment({name: 'demo', tier: 'staging', provider, regions: {primary: 'r1', secondary: 'r2'}, gcp: {project: 'mygate-test'}, ...overrides})
    const objects = (await renderEnvironment({catalog, env})).objects
    const policiesIn = (region: string) => objectsForRegion(objects, region).filter((o) => o.kind === 'NetworkPolicy')
    const namespaceLabels = (name: string) => {
      const ns = objects.find((o) => o.kind === 'Namespace' && o.metadata.name === name)
      return ns ? {...(ns.metadata.labels ?? {}), 'kubernetes.io/metadata.name': name} : undefined
    }
    const pod = (name: string) => {
      const found = objects.find((o) => (o.kind === 'Deployment' || o.kind === 'StatefulSet') && o.metadata.name === name)
      if (!found) throw new Error(`no workload ${name}`)
      return podOf(found)
    }
    /** `from` (a pod of region `fromRegion`) connecting to `to` (a member pod of region `toRegion`) through the member's load balancer. */
    const across = (fromRegion: 'r1' | 'r2', from: PodPeer, toRegion: 'r1' | 'r2', to: PodPeer, port: number) => {
      const seen = SEEN[provider]
      const out = connectionAllowed(policiesIn(fromRegion), {from, to: {kind: 'external', ip: seen.lbIn[toRegion]}, port}, namespaceLabels)
      if (!out.allowed) return out
      return connectionAllowed(policiesIn(toRegion), {from: {kind: 'external', ip: seen.sourceAt(toRegion, fromRegion)}, to, port}, namespaceLabels)
    }
    return {env, objects, pod, across, policiesIn, namespaceLabels}
  }

  test.each(['gcp', 'aws', 'local'] as const)('%s: a member in region A reaches a member in region B and back; an app pod of region B that owns no database does not', async (provider) => {
    const {pod, across} = await setup(provider)
    const member = pod('billing-db')
    expect(across('r1', member, 'r2', member, 27017)).toEqual({allowed: true})
    expect(across('r2', member, 'r1', member, 27017)).toEqual({allowed: true})
    const redis = pod('redis')
    expect(across('r2', redis, 'r1', redis, 6379)).toEqual({allowed: true})
    const gateway = pod('gateway')
    expect(across('r2', gateway, 'r1', member, 27017)).toMatchObject({allowed: false, reason: expect.stringMatching(/lets pod mygate\/gateway connect to 10\.\d+\.\d+\.\d+ port 27017/)})
    // Not on another port either: the ranges are admitted on the member port only.
    expect(across('r1', member, 'r2', member, 6379).allowed).toBe(false)
  })

  test.each(['gcp', 'aws', 'local'] as const)('%s: an app reaches its database in the other region (its connection string names every member); a database Job reaches the other region\'s members', async (provider) => {
    const {pod, across} = await setup(provider)
    expect(across('r2', pod('billing'), 'r1', pod('billing-db'), 27017)).toEqual({allowed: true})
    const job = podOf(await renderOperationJob('dbop-x', {database: 'billing-db', op: 'status', params: {}, connection: 'mongodb://x/'}))
    expect(across('r1', job, 'r2', pod('billing-db'), 27017)).toEqual({allowed: true})
  })

  test.each(['gcp', 'aws', 'local'] as const)('%s: the cross-region policies and member Services pass the upstream schemas', async (provider) => {
    const {objects} = await setup(provider)
    await expect(validateObjects(objects)).resolves.toBeUndefined()
    const member = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'billing-db-r1-0')
    expect((member?.spec as {externalTrafficPolicy?: string}).externalTrafficPolicy).toBe(provider === 'gcp' ? 'Local' : undefined)
    expect(objects.filter((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'billing-db-cross-region').map((o) => o.metadata.labels?.['mygate.dev/region'])).toEqual(['r1', 'r2'])
  })

  test('gcp: a member admits only the other region\'s Pods by range, never its own cluster\'s (ipBlock on in-cluster Pods is not portable)', async () => {
    const {policiesIn, pod, namespaceLabels} = await setup('gcp')
    const member = pod('billing-db')
    // A's own Pod range arriving as an outside address (as a Calico cluster would match it): not admitted.
    expect(connectionAllowed(policiesIn('r1'), {from: {kind: 'external', ip: '10.64.3.7'}, to: member, port: 27017}, namespaceLabels).allowed).toBe(false)
    expect(connectionAllowed(policiesIn('r1'), {from: {kind: 'external', ip: '10.80.5.9'}, to: member, port: 27017}, namespaceLabels)).toEqual({allowed: true})
    expect(connectionAllowed(policiesIn('r2'), {from: {kind: 'external', ip: '10.64.3.7'}, to: member, port: 27017}, namespaceLabels)).toEqual({allowed: true})
  })

  test('aws: a member admits the NLBs of its own region (every connection through its NLB has their address), not the other VPC directly', async () => {
    const {policiesIn, pod, namespaceLabels} = await setup('aws')
    const member = pod('billing-db')
    expect(connectionAllowed(policiesIn('r1'), {from: {kind: 'external', ip: '10.10.161.4'}, to: member, port: 27017}, namespaceLabels)).toEqual({allowed: true})
    // A pod of the other VPC dialling a pod IP over the peering (bypassing the NLB): not admitted.
    expect(connectionAllowed(policiesIn('r1'), {from: {kind: 'external', ip: '10.20.5.9'}, to: member, port: 27017}, namespaceLabels).allowed).toBe(false)
    // Public subnets (nodes and pods) of its own VPC are not admitted by range either.
    expect(connectionAllowed(policiesIn('r1'), {from: {kind: 'external', ip: '10.10.5.9'}, to: member, port: 27017}, namespaceLabels).allowed).toBe(false)
  })

  test.each([
    ['one region on aws', {provider: 'aws' as const, regions: {primary: 'r1'}}],
    ['two regions on kubeconfig (the route is the user\'s)', {provider: 'kubeconfig' as const}],
  ])('%s: no cross-region policy, no address range in any policy', async (_what, overrides) => {
    const env = testEnvironment({name: 'demo', tier: 'staging', regions: {primary: 'r1', secondary: 'r2'}, ...overrides})
    const objects = (await renderEnvironment({catalog, env})).objects
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy')
    expect(policies.filter((p) => String(p.metadata.name).includes('cross-region'))).toEqual([])
    expect(JSON.stringify(policies.filter((p) => p.metadata.namespace !== 'mygate-data' || !String(p.metadata.name).endsWith('-backup')))).not.toMatch(/"cidr":"10\./)
  })

  test('local: a member admits the other region\'s Pod range only, which is the address plan the daemon gives the region clusters', async () => {
    const {policiesIn, pod, namespaceLabels} = await setup('local')
    const member = pod('billing-db')
    expect(connectionAllowed(policiesIn('r1'), {from: {kind: 'external', ip: '10.245.1.9'}, to: member, port: 27017}, namespaceLabels)).toEqual({allowed: true})
    expect(connectionAllowed(policiesIn('r1'), {from: {kind: 'external', ip: '10.244.1.9'}, to: member, port: 27017}, namespaceLabels).allowed).toBe(false)
    expect(connectionAllowed(policiesIn('r2'), {from: {kind: 'external', ip: '10.244.1.9'}, to: member, port: 27017}, namespaceLabels)).toEqual({allowed: true})
    expect(LOCAL_POD_RANGES).toEqual({primary: '10.244.0.0/16', secondary: '10.245.0.0/16'})
  })

  test('aws with named subnets for the primary: its NLB ranges are unknown at render time and left out, the secondary\'s are there', async () => {
    const {policiesIn} = await setup('aws', {aws: {subnetIds: ['subnet-a', 'subnet-b']}})
    const r1 = policiesIn('r1').find((p) => p.metadata.name === 'billing-db-cross-region')
    const r2 = policiesIn('r2').find((p) => p.metadata.name === 'billing-db-cross-region')
    // r1 has no known NLB range to admit: no ingress policy rather than one that admits everyone.
    expect(r1).toBeUndefined()
    expect(JSON.stringify(r2?.spec)).toContain('10.20.96.0/19')
    expect(JSON.stringify(r2?.spec)).not.toContain('10.10.')
  })
})
