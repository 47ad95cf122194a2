import {afterEach, describe, expect, test} from 'vitest'
import {CONFIGMAPS as CONFIGMAPS_FOR_TEST, DEPLOYMENTS, NAMESPACES, PODS, REPLICASETS} from '../../../src/local-cluster/controllers/resources.js'
import {ensureNamespace, type Harness, list, startHarness, testDeployment, waitFor} from './controllers-harness.js'

let harness: Harness | undefined
afterEach(async () => {
  await harness?.stop()
  harness = undefined
})

async function deployed(h: Harness, replicas = 3): Promise<void> {
  ensureNamespace(h.store, 'mygate')
  h.store.create(DEPLOYMENTS, testDeployment({replicas}))
  await waitFor('pods', () => list(h.store, PODS, 'mygate').length === replicas && list(h.store, REPLICASETS, 'mygate').length === 1)
}

describe('garbage collection and namespace deletion', () => {
  test('Background: deleting a Deployment removes its ReplicaSets and Pods', async () => {
    harness = startHarness()
    await deployed(harness)
    harness.store.delete(DEPLOYMENTS, 'mygate', 'visitors', {propagationPolicy: 'Background'})
    await waitFor('dependents gone', () => list(harness!.store, REPLICASETS, 'mygate').length === 0 && list(harness!.store, PODS, 'mygate').length === 0)
  })

  test('Foreground: dependents go first, then the owner', async () => {
    harness = startHarness()
    await deployed(harness)
    const marked = harness.store.delete(DEPLOYMENTS, 'mygate', 'visitors', {propagationPolicy: 'Foreground'})
    expect(marked.metadata.finalizers).toContain('foregroundDeletion')
    await waitFor('owner gone', () => harness!.store.get(DEPLOYMENTS, 'mygate', 'visitors') === undefined)
    expect(list(harness.store, REPLICASETS, 'mygate')).toEqual([])
    expect(list(harness.store, PODS, 'mygate')).toEqual([])
  })

  test('Orphan: the ReplicaSet stays, without its owner reference', async () => {
    harness = startHarness()
    await deployed(harness)
    harness.store.delete(DEPLOYMENTS, 'mygate', 'visitors', {propagationPolicy: 'Orphan'})
    await waitFor('owner gone', () => harness!.store.get(DEPLOYMENTS, 'mygate', 'visitors') === undefined)
    await harness.controllers.settle()
    const sets = list(harness.store, REPLICASETS, 'mygate')
    expect(sets).toHaveLength(1)
    expect(sets[0].metadata.ownerReferences ?? []).toEqual([])
    expect(list(harness.store, PODS, 'mygate')).toHaveLength(3)
  })

  test('an object whose owner never existed is collected; one with a live second owner only loses the dangling reference', async () => {
    harness = startHarness()
    const {store} = harness
    ensureNamespace(store, 'mygate')
    const owner = store.create(CONFIGMAPS_FOR_TEST, {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'owner', namespace: 'mygate'}})
    const ghost = {apiVersion: 'v1', kind: 'ConfigMap', name: 'ghost', uid: 'no-such-uid'}
    const live = {apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid as string}
    store.create(CONFIGMAPS_FOR_TEST, {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'orphaned', namespace: 'mygate', ownerReferences: [ghost]}})
    store.create(CONFIGMAPS_FOR_TEST, {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'shared', namespace: 'mygate', ownerReferences: [ghost, live]}})
    await waitFor('orphan collected', () => store.get(CONFIGMAPS_FOR_TEST, 'mygate', 'orphaned') === undefined)
    await waitFor('dangling ref dropped', () => store.get(CONFIGMAPS_FOR_TEST, 'mygate', 'shared')?.metadata.ownerReferences?.length === 1)
    expect(store.get(CONFIGMAPS_FOR_TEST, 'mygate', 'shared')?.metadata.ownerReferences?.[0].uid).toBe(owner.metadata.uid)
  })

  test('deleting a namespace empties it, then the namespace goes away', async () => {
    harness = startHarness()
    await deployed(harness)
    harness.store.create(CONFIGMAPS_FOR_TEST, {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'settings', namespace: 'mygate'}})
    harness.store.delete(NAMESPACES, undefined, 'mygate')
    expect((harness.store.get(NAMESPACES, undefined, 'mygate')?.status as {phase?: string}).phase).toBe('Terminating')
    await waitFor('namespace gone', () => harness!.store.get(NAMESPACES, undefined, 'mygate') === undefined)
    for (const ref of [DEPLOYMENTS, REPLICASETS, PODS, CONFIGMAPS_FOR_TEST]) expect(list(harness.store, ref, 'mygate')).toEqual([])
  })
})
