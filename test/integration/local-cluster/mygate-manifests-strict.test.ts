import {afterEach, describe, expect, test} from 'vitest'

import {loadCatalog} from '../../../src/catalog/load-catalog.js'
import {toEnvironmentSpec} from '../../../src/config/load-project-config.js'
import type {RawEnvironment} from '../../../src/config/project-schema.js'
import type {KubeObject} from '../../../src/kube/types.js'
import {bootstrapCluster} from '../../../src/local-cluster/bootstrap.js'
import {startControllers, type ControllersHandle} from '../../../src/local-cluster/controllers/index.js'
import {createObjectStore, type LocalObjectStore} from '../../../src/local-cluster/store/index.js'
import {renderEnvironment} from '../../../src/render/render-environment.js'
import {waitFor} from './controllers-harness.js'

/**
 * Everything mygate renders, applied to a local cluster as strict as Kubernetes: the
 * namespaces' `restricted` Pod Security level (no warning, no rejected pod), the quotas and
 * LimitRanges of each tier (every pod admitted), the nodes' allocatable cpu and memory (every
 * pod scheduled), the default StorageClass (every claim bound). The Secrets the workloads read
 * are created first with the keys they reference (mygate's own secret handling is not part of
 * this check). A prod-tier environment runs every service at its prod replicas.
 */

type Obj = Record<string, unknown>
const SECRETS = {group: '', resource: 'secrets'}
const EVENTS = {group: '', resource: 'events'}
const FAILURE_REASONS = new Set(['FailedCreate', 'FailedScheduling', 'Failed', 'FailedMount', 'ProvisioningFailed', 'FailedBinding'])

let store: LocalObjectStore | undefined
let controllers: ControllersHandle | undefined
afterEach(async () => {
  await controllers?.stop()
  await store?.close()
})

/** Every Secret (and key) the rendered pod templates read, per namespace. */
function referencedSecrets(objects: readonly KubeObject[]): Map<string, Map<string, Set<string>>> {
  const byNamespace = new Map<string, Map<string, Set<string>>>()
  const add = (namespace: string, name: string, key?: string) => {
    if (!byNamespace.has(namespace)) byNamespace.set(namespace, new Map())
    const names = byNamespace.get(namespace)!
    if (!names.has(name)) names.set(name, new Set())
    if (key) names.get(name)!.add(key)
  }
  for (const object of objects) {
    const template = (object.spec as {template?: {spec?: Obj}} | undefined)?.template?.spec
    if (!template) continue
    const namespace = String(object.metadata.namespace)
    const containers = [...((template.containers as Obj[] | undefined) ?? []), ...((template.initContainers as Obj[] | undefined) ?? [])]
    for (const container of containers) {
      for (const env of (container.env as Array<{valueFrom?: {secretKeyRef?: {name: string; key: string}}}> | undefined) ?? []) {
        if (env.valueFrom?.secretKeyRef) add(namespace, env.valueFrom.secretKeyRef.name, env.valueFrom.secretKeyRef.key)
      }
      for (const from of (container.envFrom as Array<{secretRef?: {name: string}}> | undefined) ?? []) if (from.secretRef) add(namespace, from.secretRef.name)
    }
    for (const volume of (template.volumes as Array<{secret?: {secretName: string; items?: Array<{key: string}>}}> | undefined) ?? []) {
      if (!volume.secret) continue
      add(namespace, volume.secret.secretName)
      for (const item of volume.secret.items ?? []) add(namespace, volume.secret.secretName, item.key)
    }
  }
  return byNamespace
}

async function applyTier(tier: 'dev' | 'staging' | 'prod', extra: Partial<RawEnvironment> = {}) {
  store = createObjectStore()
  bootstrapCluster(store)
  controllers = startControllers({store, clusterName: tier, region: 'local-1', timing: {podStartupMs: 0, readinessDelayMs: 0}})
  const env = toEnvironmentSpec(tier, {tier, provider: 'local', regions: {primary: 'local-1'}, ...extra} as RawEnvironment, 'registry.mygate.dev')
  const {objects} = await renderEnvironment({catalog: await loadCatalog(), env})
  const warnings: string[] = []
  const s = store
  for (const object of objects) {
    const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion]
    const type = s.typeForKind(group, object.kind)
    if (!type) throw new Error(`no type serves ${object.apiVersion} ${object.kind} (version ${version})`)
    s.create(type, object, {warnings})
    if (object.kind === 'Namespace') {
      // Secrets first, as `mygate env create` will create them before the workloads.
      for (const [name, keys] of referencedSecrets(objects).get(String(object.metadata.name)) ?? []) {
        s.create(SECRETS, {apiVersion: 'v1', kind: 'Secret', metadata: {name, namespace: String(object.metadata.name)}, stringData: Object.fromEntries([...keys].map((k) => [k, `test-${k}`]))})
      }
    }
  }
  return {objects, warnings}
}

/**
 * A MongoDB member is Ready only as PRIMARY or SECONDARY (its exec readiness probe), which needs
 * an initiated replica set and the data plane (test/integration/db covers that): here its pods
 * must exist, admitted, scheduled and bound, like every other workload's.
 */
const isMongod = (o: KubeObject) => JSON.stringify((o.spec as {template?: unknown}).template ?? {}).includes('"--replSet"')
const workloadsReady = (objects: readonly KubeObject[]) =>
  objects
    .filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')
    .every((o) => {
      const live = store!.get({group: 'apps', resource: o.kind === 'Deployment' ? 'deployments' : 'statefulsets'}, o.metadata.namespace, String(o.metadata.name))
      const replicas = (o.spec as {replicas?: number}).replicas ?? 1
      const status = live?.status as {readyReplicas?: number; replicas?: number} | undefined
      return isMongod(o) ? status?.replicas === replicas : status?.readyReplicas === replicas
    })

// A StatefulSet pod created a moment before its claim is bound is reported unschedulable once,
// on real clusters too; it is scheduled as soon as the claim binds. Anything else is a failure.
const transient = (event: KubeObject) => event.reason === 'FailedScheduling' && String(event.message).includes('pod has unbound immediate PersistentVolumeClaims')
const failures = () =>
  store!
    .list(EVENTS)
    .items.filter((e) => FAILURE_REASONS.has(String(e.reason)) && !transient(e))
    .map((e) => `${(e.involvedObject as {name: string}).name}: ${e.reason}: ${e.message}`)

describe.each([
  ['dev', {}],
  ['staging', {}],
  ['prod', {mesh: true}],
] as const)('mygate\'s %s manifests on a strict local cluster', (tier, extra) => {
  test('admitted without Pod Security warnings, scheduled, bound and Ready', async () => {
    const {objects, warnings} = await applyTier(tier, extra)
    expect(warnings).toEqual([])
    await waitFor(`every ${tier} workload Ready (failures so far: ${failures().join('; ')})`, () => workloadsReady(objects), 30_000)
    expect(failures()).toEqual([])
    const claims = store!.list({group: '', resource: 'persistentvolumeclaims'}).items
    expect(claims.length).toBeGreaterThan(0)
    expect(claims.map((c) => `${c.metadata.name}: ${(c.status as {phase: string}).phase} ${(c.spec as {storageClassName: string}).storageClassName}`).filter((line) => !line.endsWith('Bound standard'))).toEqual([])
  }, 60_000)
})
