import type {KubeObject} from '../../kube/types.js'
import {STORAGECLASSES} from '../controllers/resources.js'
import type {ObjectStore} from '../store/types.js'

/** The annotation that makes a StorageClass the default one (and its beta predecessor). */
export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class'
const BETA_DEFAULT_CLASS_ANNOTATION = 'storageclass.beta.kubernetes.io/is-default-class'

/** What provisions the volumes of the local clusters' default class (the simulated disk driver). */
export const LOCAL_PROVISIONER = 'local.mygate.dev/volumes'

/**
 * The default StorageClass every local cluster starts with, as managed clusters ship one (EKS
 * gp2, GKE standard-rwo, kind standard): `standard`, marked default, Immediate binding, volumes
 * deleted with their claims.
 */
export function defaultStorageClass(): KubeObject {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: {name: 'standard', annotations: {[DEFAULT_CLASS_ANNOTATION]: 'true'}, labels: {'app.kubernetes.io/managed-by': 'mygate-local'}},
    provisioner: LOCAL_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
    allowVolumeExpansion: true,
  }
}

export function isDefaultClass(storageClass: KubeObject): boolean {
  const annotations = storageClass.metadata.annotations ?? {}
  return annotations[DEFAULT_CLASS_ANNOTATION] === 'true' || annotations[BETA_DEFAULT_CLASS_ANNOTATION] === 'true'
}

/**
 * The class a claim without one gets (upstream DefaultStorageClass admission, 1.26+): the newest
 * class marked default, by creation time then name; undefined when none is.
 */
export function pickDefaultClass(classes: readonly KubeObject[]): KubeObject | undefined {
  return classes
    .filter(isDefaultClass)
    .sort((a, b) => String(b.metadata.creationTimestamp ?? '').localeCompare(String(a.metadata.creationTimestamp ?? '')) || String(a.metadata.name).localeCompare(String(b.metadata.name)))[0]
}

/** Creates the default class unless the cluster has it already (a restarted cluster keeps its own). */
export function ensureDefaultStorageClass(store: ObjectStore): void {
  const wanted = defaultStorageClass()
  if (!store.get(STORAGECLASSES, undefined, String(wanted.metadata.name))) store.create(STORAGECLASSES, wanted)
}
