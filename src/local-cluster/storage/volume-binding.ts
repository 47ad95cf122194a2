import type {KubeObject} from '../../kube/types.js'
import {compareQuantities, parseResourceList} from '../compute-resources/quantity.js'
import type {Action} from '../controllers/actions.js'
import {eventAction} from '../controllers/events.js'
import {PERSISTENTVOLUMES, PVCS} from '../controllers/resources.js'

type Obj = Record<string, unknown>

interface ClaimSpec {
  storageClassName?: string
  volumeName?: string
  accessModes?: string[]
  volumeMode?: string
  resources?: {requests?: Obj}
}

interface VolumeSpec {
  storageClassName?: string
  capacity?: Obj
  accessModes?: string[]
  claimRef?: {namespace?: string; name?: string; uid?: string}
  persistentVolumeReclaimPolicy?: string
}

export interface ClaimContext {
  storageClass(name: string): KubeObject | undefined
  /** Every PersistentVolume (for binding a claim without a class to a pre-created volume). */
  volumes: readonly KubeObject[]
  /** Whether a pod using the claim is already scheduled (WaitForFirstConsumer classes wait for that). */
  consumerScheduled: boolean
  now: number
}

const COMPONENT = 'persistentvolume-controller'
const PV_PROTECTION = 'kubernetes.io/pv-protection'
const claimSpec = (claim: KubeObject): ClaimSpec => (claim.spec ?? {}) as ClaimSpec
const volumeSpec = (volume: KubeObject): VolumeSpec => (volume.spec ?? {}) as VolumeSpec
const phaseOf = (object: KubeObject): string | undefined => (object.status as {phase?: string} | undefined)?.phase

/** `pvc-<claim uid>`: the name upstream provisioners give a claim's volume. */
export const provisionedVolumeName = (claim: KubeObject): string => `pvc-${claim.metadata.uid}`

function bindActions(claim: KubeObject, volume: KubeObject, provisioner: string | undefined, create: boolean): Action[] {
  const spec = claimSpec(claim)
  const volumeName = String(volume.metadata.name)
  const annotations: Record<string, string> = {
    ...claim.metadata.annotations,
    'pv.kubernetes.io/bind-completed': 'yes',
    'pv.kubernetes.io/bound-by-controller': 'yes',
    ...(provisioner ? {'volume.beta.kubernetes.io/storage-provisioner': provisioner, 'volume.kubernetes.io/storage-provisioner': provisioner} : {}),
  }
  const boundClaim: KubeObject = {...claim, metadata: {...claim.metadata, annotations}, spec: {...(claim.spec as Obj), volumeName}}
  const capacity = volumeSpec(volume).capacity ?? spec.resources?.requests ?? {}
  const actions: Action[] = []
  if (create) actions.push({type: 'create', ref: PERSISTENTVOLUMES, object: volume})
  actions.push(
    {type: 'updateStatus', ref: PERSISTENTVOLUMES, object: {...volume, status: {phase: 'Bound'}}},
    {type: 'update', ref: PVCS, object: boundClaim},
    {type: 'updateStatus', ref: PVCS, object: {...boundClaim, status: {phase: 'Bound', accessModes: volumeSpec(volume).accessModes ?? spec.accessModes, capacity}}},
  )
  return actions
}

/** The volume a dynamic provisioner makes for a claim: its size, modes and class, pre-bound to it. */
export function provisionVolume(claim: KubeObject, storageClass: KubeObject): KubeObject {
  const spec = claimSpec(claim)
  const provisioner = String(storageClass.provisioner ?? '')
  const name = provisionedVolumeName(claim)
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {name, annotations: {'pv.kubernetes.io/provisioned-by': provisioner}, finalizers: [PV_PROTECTION]},
    spec: {
      capacity: {storage: String(spec.resources?.requests?.storage ?? '1Gi')},
      accessModes: spec.accessModes ?? ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: String(storageClass.reclaimPolicy ?? 'Delete'),
      storageClassName: String(storageClass.metadata.name),
      volumeMode: spec.volumeMode ?? 'Filesystem',
      claimRef: {kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: claim.metadata.namespace, name: claim.metadata.name, uid: claim.metadata.uid},
      // The simulated disk: nothing is written anywhere, the driver and handle only name it.
      csi: {driver: provisioner, volumeHandle: name},
    },
  }
}

/** A pre-created volume a claim without a class can bind to: same (empty) class, modes and enough room. */
function matchingVolume(claim: KubeObject, volumes: readonly KubeObject[]): KubeObject | undefined {
  const spec = claimSpec(claim)
  const wanted = parseResourceList(spec.resources?.requests).storage
  const candidates = volumes.filter((volume) => {
    const v = volumeSpec(volume)
    if ((v.storageClassName ?? '') !== (spec.storageClassName ?? '')) return false
    if (phaseOf(volume) !== 'Available' && phaseOf(volume) !== undefined) return false
    if (v.claimRef && (v.claimRef.namespace !== claim.metadata.namespace || v.claimRef.name !== claim.metadata.name)) return false
    if (!(spec.accessModes ?? []).every((mode) => (v.accessModes ?? []).includes(mode))) return false
    const capacity = parseResourceList(v.capacity).storage
    return !wanted || (capacity !== undefined && compareQuantities(capacity, wanted) >= 0)
  })
  const size = (volume: KubeObject) => parseResourceList(volumeSpec(volume).capacity).storage
  return candidates.sort((a, b) => compareQuantities(size(a) ?? {nano: 0n, format: 'DecimalSI'}, size(b) ?? {nano: 0n, format: 'DecimalSI'}))[0]
}

/**
 * One pass of the persistent-volume controller for an unbound claim (upstream
 * pkg/controller/volume/persistentvolume, with a simulated dynamic provisioner), as actions:
 *
 * - class named but missing: stays Pending, Warning ProvisioningFailed
 *   `storageclass.storage.k8s.io "fast" not found`;
 * - class with WaitForFirstConsumer and no scheduled pod using the claim: Pending, Normal
 *   WaitForFirstConsumer `waiting for first consumer to be created before binding`;
 * - class present otherwise: a volume `pvc-<uid>` is provisioned and both are Bound
 *   (ProvisioningSucceeded);
 * - no class: bound to a matching pre-created volume, or Pending with Normal FailedBinding
 *   `no persistent volumes available for this claim and no storage class is set`.
 */
export function reconcileClaim(claim: KubeObject, context: ClaimContext): Action[] {
  const spec = claimSpec(claim)
  if (claim.metadata.deletionTimestamp || (spec.volumeName && phaseOf(claim) === 'Bound')) return []
  const event = (type: 'Normal' | 'Warning', reason: string, message: string) => eventAction(claim, type, reason, message, COMPONENT, context.now)
  const pending: Action[] = phaseOf(claim) === 'Pending' ? [] : [{type: 'updateStatus', ref: PVCS, object: {...claim, status: {phase: 'Pending'}}}]
  const className = spec.storageClassName
  if (!className) {
    const volume = matchingVolume(claim, context.volumes)
    if (volume) return bindActions(claim, {...volume, spec: {...(volume.spec as Obj), claimRef: {kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: claim.metadata.namespace, name: claim.metadata.name, uid: claim.metadata.uid}}}, undefined, false)
    return [...pending, event('Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set')]
  }
  const storageClass = context.storageClass(className)
  if (!storageClass) return [...pending, event('Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`)]
  if (storageClass.volumeBindingMode === 'WaitForFirstConsumer' && !context.consumerScheduled) {
    return [...pending, event('Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding')]
  }
  const volume = provisionVolume(claim, storageClass)
  const exists = context.volumes.some((v) => v.metadata.name === volume.metadata.name)
  return [
    ...bindActions(claim, exists ? context.volumes.find((v) => v.metadata.name === volume.metadata.name)! : volume, String(storageClass.provisioner ?? ''), !exists),
    event('Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${volume.metadata.name} using ${String(storageClass.provisioner ?? '')}`),
  ]
}

/**
 * A volume whose claim is gone (or was replaced by a new claim of the same name): the Delete
 * policy deletes it, Retain leaves it Released for an administrator, as upstream reclaims
 * volumes. A volume being deleted keeps its pv-protection finalizer only while a live claim is
 * bound to it.
 */
export function reconcileVolume(volume: KubeObject, claim: KubeObject | undefined): Action[] {
  const ref = volumeSpec(volume).claimRef
  const claimAlive = claim !== undefined && !claim.metadata.deletionTimestamp && (!ref?.uid || claim.metadata.uid === ref.uid)
  if (volume.metadata.deletionTimestamp) {
    const finalizers = volume.metadata.finalizers ?? []
    if (!finalizers.includes(PV_PROTECTION) || claimAlive) return []
    return [{type: 'update', ref: PERSISTENTVOLUMES, object: {...volume, metadata: {...volume.metadata, finalizers: finalizers.filter((f) => f !== PV_PROTECTION)}}}]
  }
  if (!ref || claimAlive) return []
  if (volumeSpec(volume).persistentVolumeReclaimPolicy === 'Delete') return [{type: 'delete', ref: PERSISTENTVOLUMES, name: String(volume.metadata.name), uid: volume.metadata.uid}]
  return phaseOf(volume) === 'Released' ? [] : [{type: 'updateStatus', ref: PERSISTENTVOLUMES, object: {...volume, status: {phase: 'Released'}}}]
}
