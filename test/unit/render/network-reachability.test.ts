import {beforeAll, describe, expect, test} from 'vitest'

import {renderRestoredSet} from '../../../src/backup/restore/restored-set.js'
import {switchNetworkPolicies} from '../../../src/backup/restore/switch-network.js'
import {renderDumpJob, renderRestoreJob} from '../../../src/backup/jobs/job-values.js'
import {loadCatalog} from '../../../src/catalog/load-catalog.js'
import type {Catalog, ServiceDescriptor} from '../../../src/catalog/types.js'
import {renderOperationJob} from '../../../src/db/run-operation.js'
import {renderStatusAllJob} from '../../../src/db/status-all.js'
import {renderRedisCliJob} from '../../../src/db/redis-ops.js'
import type {KubeObject} from '../../../src/kube/types.js'
import {connectionAllowed, type PodPeer} from '../../../src/local-cluster/network/network-policy.js'
import {renderEnvironment} from '../../../src/render/render-environment.js'
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
