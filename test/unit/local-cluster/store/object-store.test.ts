import {describe, expect, test} from 'vitest'

import type {KubeObject} from '../../../../src/kube/types.js'
import {ApiError} from '../../../../src/local-cluster/store/api-error.js'
import {createObjectStore} from '../../../../src/local-cluster/store/object-store.js'
import type {WatchEvent} from '../../../../src/local-cluster/store/types.js'

const deployments = {group: 'apps', resource: 'deployments'}
const configmaps = {group: '', resource: 'configmaps'}
const namespaces = {group: '', resource: 'namespaces'}
const crds = {group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions'}

function deployment(name: string, replicas = 1, extra: Partial<KubeObject> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {name, namespace: 'default', labels: {app: name}},
    spec: {replicas, selector: {matchLabels: {app: name}}, template: {metadata: {labels: {app: name}}, spec: {containers: [{name: 'c', image: 'i'}]}}},
    ...extra,
  }
}

function configMap(name: string, data: Record<string, string> = {}, namespace = 'default'): KubeObject {
  return {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name, namespace}, data}
}

function apiErrorOf(fn: () => unknown): ApiError {
  try {
    fn()
  } catch (error) {
    if (error instanceof ApiError) return error
    throw error
  }
  throw new Error('expected an ApiError, nothing was thrown')
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0))

describe('object store: create/get/update/delete', () => {
  test('create assigns identity, and the global resourceVersion increases', () => {
    const store = createObjectStore()
    const a = store.create(configmaps, configMap('a'))
    const b = store.create(configmaps, configMap('b'))
    expect(a.metadata.uid).toMatch(/^[0-9a-f-]{36}$/)
    expect(a.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    expect(a.metadata.generation).toBe(1)
    expect(Number(b.metadata.resourceVersion)).toBeGreaterThan(Number(a.metadata.resourceVersion))
    expect(store.resourceVersion()).toBe(b.metadata.resourceVersion)
    expect(store.get(configmaps, 'default', 'a')?.metadata.uid).toBe(a.metadata.uid)
  })

  test('initial namespaces exist and new namespaces are Active with the kubernetes finalizer', () => {
    const store = createObjectStore()
    for (const name of ['default', 'kube-system', 'kube-public']) expect(store.get(namespaces, undefined, name)).toBeDefined()
    const ns = store.create(namespaces, {apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'team-a'}})
    expect(ns.status).toEqual({phase: 'Active'})
    expect(ns.spec).toEqual({finalizers: ['kubernetes']})
  })

  test('generateName makes a unique name with the prefix', () => {
    const store = createObjectStore()
    const object = store.create(configmaps, {apiVersion: 'v1', kind: 'ConfigMap', metadata: {generateName: 'cfg-', namespace: 'default'}})
    expect(object.metadata.name).toMatch(/^cfg-[a-z0-9]{5}$/)
  })

  test('AlreadyExists, NotFound, and a missing namespace are proper Status errors', () => {
    const store = createObjectStore()
    store.create(configmaps, configMap('a'))
    const exists = apiErrorOf(() => store.create(configmaps, configMap('a')))
    expect(exists.status).toMatchObject({code: 409, reason: 'AlreadyExists', message: 'configmaps "a" already exists', details: {name: 'a', kind: 'configmaps'}})
    const missing = apiErrorOf(() => store.update(deployments, deployment('nope')))
    expect(missing.status).toMatchObject({code: 404, reason: 'NotFound', message: 'deployments.apps "nope" not found', details: {group: 'apps'}})
    const noNs = apiErrorOf(() => store.create(configmaps, configMap('x', {}, 'ghost')))
    expect(noNs.status).toMatchObject({code: 404, message: 'namespaces "ghost" not found'})
  })

  test('invalid names are 422 Invalid with a cause per field', () => {
    const store = createObjectStore()
    const error = apiErrorOf(() => store.create(configmaps, configMap('Bad_Name')))
    expect(error.status.code).toBe(422)
    expect(error.status.reason).toBe('Invalid')
    expect(error.status.message).toContain('ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"')
    expect(error.status.details?.causes).toEqual([expect.objectContaining({field: 'metadata.name', reason: 'FieldValueInvalid'})])
    // Namespaces follow the stricter label rule: no dots.
    expect(apiErrorOf(() => store.create(namespaces, {apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'a.b'}})).status.code).toBe(422)
    // RBAC names may contain colons.
    expect(store.create({group: 'rbac.authorization.k8s.io', resource: 'clusterroles'}, {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: {name: 'system:x'}}).metadata.name).toBe('system:x')
  })

  test('a stale resourceVersion is 409 Conflict; no resourceVersion is an unconditional update', () => {
    const store = createObjectStore()
    const created = store.create(configmaps, configMap('a', {k: '1'}))
    const updated = store.update(configmaps, {...created, data: {k: '2'}})
    const stale = apiErrorOf(() => store.update(configmaps, {...created, data: {k: '3'}}))
    expect(stale.status).toMatchObject({code: 409, reason: 'Conflict'})
    expect(stale.status.message).toContain('the object has been modified')
    const unconditional = store.update(configmaps, {...configMap('a', {k: '4'})})
    expect(unconditional.data).toEqual({k: '4'})
    expect(Number(unconditional.metadata.resourceVersion)).toBeGreaterThan(Number(updated.metadata.resourceVersion))
  })

  test('a no-op update keeps the resourceVersion', () => {
    const store = createObjectStore()
    const created = store.create(configmaps, configMap('a', {k: '1'}))
    expect(store.update(configmaps, created).metadata.resourceVersion).toBe(created.metadata.resourceVersion)
  })

  test('generation changes with spec only; status subresource rules', () => {
    const store = createObjectStore()
    const created = store.create(deployments, deployment('web', 1, {status: {replicas: 9}}))
    expect(created.status).toBeUndefined()
    const labelled = store.update(deployments, {...created, metadata: {...created.metadata, labels: {app: 'web', x: 'y'}}})
    expect(labelled.metadata.generation).toBe(1)
    const statusWrite = store.update(deployments, {...labelled, status: {replicas: 3}, spec: {...(labelled.spec as object), replicas: 7}}, {subresource: 'status'})
    expect(statusWrite.status).toEqual({replicas: 3})
    expect((statusWrite.spec as {replicas: number}).replicas).toBe(1)
    expect(statusWrite.metadata.generation).toBe(1)
    const scaled = store.update(deployments, {...statusWrite, spec: {...(statusWrite.spec as object), replicas: 5}, status: {replicas: 0}})
    expect(scaled.metadata.generation).toBe(2)
    expect(scaled.status).toEqual({replicas: 3})
  })

  test('objects handed out are copies: mutating them does not change the store', () => {
    const store = createObjectStore()
    const created = store.create(configmaps, configMap('a', {k: '1'}))
    ;(created.data as Record<string, string>).k = 'changed'
    const got = store.get(configmaps, 'default', 'a')!
    ;(got.data as Record<string, string>).k = 'changed'
    expect(store.get(configmaps, 'default', 'a')!.data).toEqual({k: '1'})
  })

  test('dryRun computes the result and stores nothing', () => {
    const store = createObjectStore()
    const rv = store.resourceVersion()
    const result = store.create(configmaps, configMap('dry'), {dryRun: true})
    expect(result.metadata.uid).toBeDefined()
    expect(store.get(configmaps, 'default', 'dry')).toBeUndefined()
    expect(store.resourceVersion()).toBe(rv)
  })

  test('finalizers: delete only marks; removing the last finalizer deletes', () => {
    const store = createObjectStore()
    store.create(configmaps, {...configMap('f'), metadata: {name: 'f', namespace: 'default', finalizers: ['example.com/hold']}})
    const marked = store.delete(configmaps, 'default', 'f')
    expect(marked.metadata.deletionTimestamp).toBeDefined()
    expect(store.get(configmaps, 'default', 'f')?.metadata.deletionTimestamp).toBe(marked.metadata.deletionTimestamp)
    const addMore = apiErrorOf(() => store.update(configmaps, {...marked, metadata: {...marked.metadata, finalizers: ['example.com/hold', 'x.io/y']}}))
    expect(addMore.status.code).toBe(422)
    store.update(configmaps, {...marked, metadata: {...marked.metadata, finalizers: []}})
    expect(store.get(configmaps, 'default', 'f')).toBeUndefined()
  })

  test('propagationPolicy Foreground and Orphan add their finalizers', () => {
    const store = createObjectStore()
    store.create(deployments, deployment('a'))
    store.create(deployments, deployment('b'))
    store.create(deployments, deployment('c'))
    expect(store.delete(deployments, 'default', 'a', {propagationPolicy: 'Foreground'}).metadata.finalizers).toEqual(['foregroundDeletion'])
    expect(store.delete(deployments, 'default', 'b', {propagationPolicy: 'Orphan'}).metadata.finalizers).toEqual(['orphan'])
    store.delete(deployments, 'default', 'c', {propagationPolicy: 'Background'})
    expect(store.get(deployments, 'default', 'c')).toBeUndefined()
  })

  test('delete preconditions are checked', () => {
    const store = createObjectStore()
    store.create(configmaps, configMap('a'))
    expect(apiErrorOf(() => store.delete(configmaps, 'default', 'a', {preconditions: {uid: 'other'}})).status.code).toBe(409)
  })

  test('a terminating namespace refuses new content (403) until its finalizers are gone', () => {
    const store = createObjectStore()
    store.create(namespaces, {apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'doomed'}})
    const marked = store.delete(namespaces, undefined, 'doomed')
    expect(marked.status).toEqual({phase: 'Terminating'})
    expect(apiErrorOf(() => store.create(configmaps, configMap('x', {}, 'doomed'))).status).toMatchObject({code: 403, reason: 'Forbidden'})
    store.update(namespaces, {...marked, spec: {finalizers: []}})
    expect(store.get(namespaces, undefined, 'doomed')).toBeUndefined()
  })
})

describe('object store: lists', () => {
  test('namespace, label and field selectors, and pagination', () => {
    const store = createObjectStore()
    store.create(namespaces, {apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'other'}})
    for (let i = 0; i < 5; i++) store.create(configmaps, {...configMap(`cm-${i}`), metadata: {name: `cm-${i}`, namespace: 'default', labels: {i: String(i), even: String(i % 2 === 0)}}})
    store.create(configmaps, configMap('elsewhere', {}, 'other'))
    expect(store.list(configmaps).items).toHaveLength(6)
    expect(store.list(configmaps, {namespace: 'other'}).items.map((o) => o.metadata.name)).toEqual(['elsewhere'])
    expect(store.list(configmaps, {labelSelector: 'even=true'}).items.map((o) => o.metadata.name)).toEqual(['cm-0', 'cm-2', 'cm-4'])
    expect(store.list(configmaps, {fieldSelector: 'metadata.name=cm-3'}).items).toHaveLength(1)
    expect(store.list(configmaps, {fieldSelector: 'metadata.namespace!=default'}).items).toHaveLength(1)
    const first = store.list(configmaps, {namespace: 'default', limit: 2})
    expect(first.items.map((o) => o.metadata.name)).toEqual(['cm-0', 'cm-1'])
    expect(first.remainingItemCount).toBe(3)
    const second = store.list(configmaps, {namespace: 'default', limit: 2, continue: first.continue})
    expect(second.items.map((o) => o.metadata.name)).toEqual(['cm-2', 'cm-3'])
    const last = store.list(configmaps, {namespace: 'default', limit: 2, continue: second.continue})
    expect(last.items.map((o) => o.metadata.name)).toEqual(['cm-4'])
    expect(last.continue).toBeUndefined()
    expect(store.counts()).toMatchObject({configmaps: 6, namespaces: 5})
  })
})

describe('object store: watch', () => {
  test('a watch without resourceVersion starts with the current state, then changes in order', async () => {
    const store = createObjectStore()
    store.create(configmaps, configMap('a'))
    const events: WatchEvent[] = []
    const sub = store.watch(configmaps, {namespace: 'default'}, (e) => events.push(e))
    const b = store.create(configmaps, configMap('b'))
    store.update(configmaps, {...b, data: {x: '1'}})
    store.delete(configmaps, 'default', 'a')
    await tick()
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED a', 'ADDED b', 'MODIFIED b', 'DELETED a'])
    const deletedRv = Number(events[3].object.metadata.resourceVersion)
    expect(deletedRv).toBe(Number(store.resourceVersion()))
    sub.stop()
  })

  test('watching from a resourceVersion replays later events only', async () => {
    const store = createObjectStore()
    const a = store.create(configmaps, configMap('a'))
    store.create(configmaps, configMap('b'))
    store.create(deployments, deployment('d'))
    store.update(configmaps, {...a, data: {v: '2'}})
    const events: WatchEvent[] = []
    store.watch(configmaps, {resourceVersion: a.metadata.resourceVersion}, (e) => events.push(e))
    await tick()
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED b', 'MODIFIED a'])
  })

  test('a resourceVersion older than the history is 410 Gone (Expired)', () => {
    const store = createObjectStore({historySize: 3})
    const first = store.create(configmaps, configMap('a'))
    for (let i = 0; i < 5; i++) store.create(configmaps, configMap(`x${i}`))
    const error = apiErrorOf(() => store.watch(configmaps, {resourceVersion: first.metadata.resourceVersion}, () => {}))
    expect(error.status).toMatchObject({code: 410, reason: 'Expired'})
    expect(() => store.watch(configmaps, {resourceVersion: store.resourceVersion()}, () => {})).not.toThrow()
  })

  test('label-selector watches see objects enter (ADDED) and leave (DELETED) the selection', async () => {
    const store = createObjectStore()
    const events: string[] = []
    store.watch(configmaps, {labelSelector: 'pick=yes', resourceVersion: store.resourceVersion()}, (e) => events.push(`${e.type} ${e.object.metadata.name}`))
    const a = store.create(configmaps, configMap('a'))
    const picked = store.update(configmaps, {...a, metadata: {...a.metadata, labels: {pick: 'yes'}}})
    store.update(configmaps, {...picked, metadata: {...picked.metadata, labels: {pick: 'no'}}})
    await tick()
    expect(events).toEqual(['ADDED a', 'DELETED a'])
  })

  test('a watcher that writes from its callback does not reorder events for others', async () => {
    const store = createObjectStore()
    const seen: string[] = []
    store.watch(configmaps, {resourceVersion: store.resourceVersion()}, (e) => {
      if (e.object.metadata.name === 'a' && e.type === 'ADDED') store.create(configmaps, configMap('from-callback'))
    })
    store.watch(configmaps, {resourceVersion: store.resourceVersion()}, (e) => seen.push(e.object.metadata.name!))
    store.create(configmaps, configMap('a'))
    store.create(configmaps, configMap('b'))
    await tick()
    await tick()
    expect(seen).toEqual(['a', 'b', 'from-callback'])
  })
})

describe('object store: custom resources', () => {
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {name: 'widgets.example.com'},
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: {plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wd']},
      versions: [{name: 'v1', served: true, storage: true, schema: {openAPIV3Schema: {type: 'object'}}, subresources: {status: {}}}],
    },
  }

  test('creating a CRD serves its resource, Established; deleting it removes both', () => {
    const store = createObjectStore()
    const widgets = {group: 'example.com', resource: 'widgets'}
    expect(store.typeFor(widgets)).toBeUndefined()
    let changes = 0
    store.onTypesChanged(() => changes++)
    const created = store.create(crds, crd as KubeObject)
    const conditions = (created.status as {conditions: Array<{type: string; status: string}>}).conditions
    expect(conditions).toContainEqual(expect.objectContaining({type: 'Established', status: 'True'}))
    expect(store.typeFor(widgets)).toMatchObject({kind: 'Widget', namespaced: true, version: 'v1', subresources: {status: true, scale: false}})
    store.create(widgets, {apiVersion: 'example.com/v1', kind: 'Widget', metadata: {name: 'w1', namespace: 'default'}, spec: {size: 1}})
    expect(store.list(widgets).items).toHaveLength(1)
    store.delete(crds, undefined, 'widgets.example.com')
    expect(store.typeFor(widgets)).toBeUndefined()
    expect(changes).toBe(2)
  })

  test('an invalid CRD is 422', () => {
    const store = createObjectStore()
    const error = apiErrorOf(() => store.create(crds, {...crd, metadata: {name: 'wrong.example.com'}} as KubeObject))
    expect(error.status.code).toBe(422)
  })

  test('faults.local.mygate.dev is served from the start', () => {
    const store = createObjectStore()
    expect(store.typeFor({group: 'local.mygate.dev', resource: 'faults'})).toMatchObject({kind: 'Fault', namespaced: true, version: 'v1'})
  })
})
