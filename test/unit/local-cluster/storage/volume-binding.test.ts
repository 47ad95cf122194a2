import {describe, expect, test} from 'vitest'

import type {KubeObject} from '../../../../src/kube/types.js'
import type {Action} from '../../../../src/local-cluster/controllers/actions.js'
import {defaultStorageClass, ensureDefaultStorageClass, pickDefaultClass} from '../../../../src/local-cluster/storage/storage-classes.js'
import {reconcileClaim, reconcileVolume} from '../../../../src/local-cluster/storage/volume-binding.js'
import {createObjectStore} from '../../../../src/local-cluster/store/index.js'

/**
 * Expected texts are the persistent-volume controller's (pkg/controller/volume/persistentvolume/
 * pv_controller.go): ProvisioningFailed with the StorageClass lister's NotFound error
 * (`storageclass.storage.k8s.io "x" not found`), WaitForFirstConsumer "waiting for first consumer
 * to be created before binding", FailedBinding "no persistent volumes available for this claim
 * and no storage class is set".
 */

const NOW = Date.parse('2026-12-01T00:00:00Z')
const claim = (storageClassName?: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: {name: 'data-db-0', namespace: 'mygate-data', uid: 'claim-uid', resourceVersion: '7'},
  spec: {accessModes: ['ReadWriteOnce'], resources: {requests: {storage: '10Gi'}}, ...(storageClassName !== undefined ? {storageClassName} : {}), ...extra},
  status: {phase: 'Pending'},
})
const classes: Record<string, KubeObject> = {
  standard: defaultStorageClass(),
  late: {...defaultStorageClass(), metadata: {name: 'late'}, volumeBindingMode: 'WaitForFirstConsumer'},
  kept: {...defaultStorageClass(), metadata: {name: 'kept'}, reclaimPolicy: 'Retain'},
}
const context = (extra: Partial<Parameters<typeof reconcileClaim>[1]> = {}) => ({storageClass: (name: string) => classes[name], volumes: [], consumerScheduled: false, now: NOW, ...extra})
const events = (actions: Action[]) => actions.filter((a) => a.type === 'create' && a.object.kind === 'Event').map((a) => `${(a as {object: KubeObject}).object.type} ${(a as {object: KubeObject}).object.reason}: ${(a as {object: KubeObject}).object.message}`)
const byType = (actions: Action[], type: Action['type'], kind: string) => actions.filter((a) => a.type === type && 'object' in a && a.object.kind === kind).map((a) => (a as {object: KubeObject}).object)

describe('reconcileClaim', () => {
  test.each<[string, KubeObject, Partial<Parameters<typeof reconcileClaim>[1]>, string[]]>([
    ['a class that does not exist', claim('fast'), {}, ['Warning ProvisioningFailed: storageclass.storage.k8s.io "fast" not found']],
    ['WaitForFirstConsumer without a scheduled pod', claim('late'), {}, ['Normal WaitForFirstConsumer: waiting for first consumer to be created before binding']],
    ['no class and no volume', claim(''), {}, ['Normal FailedBinding: no persistent volumes available for this claim and no storage class is set']],
  ])('stays Pending: %s', (_, c, extra, expected) => {
    const actions = reconcileClaim(c, context(extra))
    expect(events(actions)).toEqual(expected)
    expect(byType(actions, 'create', 'PersistentVolume')).toEqual([])
    expect(byType(actions, 'update', 'PersistentVolumeClaim')).toEqual([])
  })

  test('an Immediate class provisions pvc-<uid> and binds both ways', () => {
    const actions = reconcileClaim(claim('standard'), context())
    const [volume] = byType(actions, 'create', 'PersistentVolume')
    expect(volume.metadata.name).toBe('pvc-claim-uid')
    expect(volume.spec).toMatchObject({
      capacity: {storage: '10Gi'},
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'standard',
      persistentVolumeReclaimPolicy: 'Delete',
      claimRef: {namespace: 'mygate-data', name: 'data-db-0', uid: 'claim-uid'},
    })
    const [bound] = byType(actions, 'update', 'PersistentVolumeClaim')
    expect(bound.spec).toMatchObject({volumeName: 'pvc-claim-uid'})
    expect(bound.metadata.annotations).toMatchObject({'pv.kubernetes.io/bind-completed': 'yes', 'volume.kubernetes.io/storage-provisioner': 'local.mygate.dev/volumes'})
    const statuses = byType(actions, 'updateStatus', 'PersistentVolumeClaim')
    expect(statuses.at(-1)?.status).toEqual({phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: {storage: '10Gi'}})
    expect(events(actions)).toEqual(['Normal ProvisioningSucceeded: Successfully provisioned volume pvc-claim-uid using local.mygate.dev/volumes'])
  })

  test('WaitForFirstConsumer provisions once a pod using the claim is scheduled', () => {
    expect(byType(reconcileClaim(claim('late'), context({consumerScheduled: true})), 'create', 'PersistentVolume')).toHaveLength(1)
  })

  test('a claim without a class binds to a matching pre-created volume, the smallest that fits', () => {
    const volume = (name: string, storage: string, storageClassName = ''): KubeObject => ({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: {name},
      spec: {capacity: {storage}, accessModes: ['ReadWriteOnce', 'ReadOnlyMany'], storageClassName},
      status: {phase: 'Available'},
    })
    const volumes = [volume('huge', '100Gi'), volume('small', '5Gi'), volume('right', '20Gi'), volume('classy', '10Gi', 'standard')]
    const actions = reconcileClaim(claim(''), context({volumes}))
    expect(byType(actions, 'create', 'PersistentVolume')).toEqual([])
    expect(byType(actions, 'update', 'PersistentVolumeClaim')[0].spec).toMatchObject({volumeName: 'right'})
  })

  test('a bound claim needs nothing', () => {
    expect(reconcileClaim({...claim('standard', {volumeName: 'pvc-claim-uid'}), status: {phase: 'Bound'}}, context())).toEqual([])
  })
})

describe('reconcileVolume', () => {
  const volume = (policy: string, extra: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {name: 'pvc-claim-uid', uid: 'pv-uid', finalizers: ['kubernetes.io/pv-protection'], ...extra},
    spec: {persistentVolumeReclaimPolicy: policy, claimRef: {namespace: 'mygate-data', name: 'data-db-0', uid: 'claim-uid'}},
    status: {phase: 'Bound'},
  })
  test.each<[string, KubeObject, KubeObject | undefined, string]>([
    ['claim still there', volume('Delete'), claim('standard'), '[]'],
    ['claim gone, Delete', volume('Delete'), undefined, 'delete'],
    ['claim replaced by a new one of the same name', volume('Delete'), {...claim('standard'), metadata: {...claim('standard').metadata, uid: 'other'}}, 'delete'],
    ['claim gone, Retain', volume('Retain'), undefined, 'updateStatus Released'],
    ['being deleted, claim gone: pv-protection released', volume('Delete', {deletionTimestamp: '2026-12-01T00:00:00Z'}), undefined, 'update finalizers=[]'],
    ['being deleted, claim still bound: protected', volume('Delete', {deletionTimestamp: '2026-12-01T00:00:00Z'}), claim('standard'), '[]'],
  ])('%s', (_, v, c, expected) => {
    const actions = reconcileVolume(v, c)
    const described =
      actions.length === 0
        ? '[]'
        : actions
            .map((a) =>
              a.type === 'delete' ? 'delete' : a.type === 'updateStatus' ? `updateStatus ${(a.object.status as {phase: string}).phase}` : `${a.type} finalizers=${JSON.stringify(a.type === 'update' ? a.object.metadata.finalizers : [])}`,
            )
            .join(', ')
    expect(described).toBe(expected)
  })
})

describe('default StorageClass', () => {
  test('the newest class marked default wins', () => {
    const marked = (name: string, at: string, isDefault = true): KubeObject => ({
      ...defaultStorageClass(),
      metadata: {name, creationTimestamp: at, annotations: isDefault ? {'storageclass.kubernetes.io/is-default-class': 'true'} : {}},
    })
    expect(pickDefaultClass([marked('old', '2026-01-01T00:00:00Z'), marked('new', '2026-06-01T00:00:00Z'), marked('newest-not-default', '2026-09-01T00:00:00Z', false)])?.metadata.name).toBe('new')
    expect(pickDefaultClass([marked('x', '2026-01-01T00:00:00Z', false)])).toBeUndefined()
  })

  test('admission gives a claim without a class the default; an empty class stays empty', () => {
    const store = createObjectStore()
    ensureDefaultStorageClass(store)
    store.create({group: '', resource: 'namespaces'}, {apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'mygate-data'}})
    const pvcs = {group: '', resource: 'persistentvolumeclaims'}
    const created = store.create(pvcs, {...claim(), metadata: {name: 'a', namespace: 'mygate-data'}})
    expect((created.spec as {storageClassName?: string}).storageClassName).toBe('standard')
    expect(created.status).toEqual({phase: 'Pending'})
    const empty = store.create(pvcs, {...claim(''), metadata: {name: 'b', namespace: 'mygate-data'}})
    expect((empty.spec as {storageClassName?: string}).storageClassName).toBe('')
  })
})
