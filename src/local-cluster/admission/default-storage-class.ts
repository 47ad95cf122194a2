import {pickDefaultClass} from '../storage/storage-classes.js'
import type {AdmissionPlugin} from './types.js'

const STORAGE_CLASSES = {group: 'storage.k8s.io', resource: 'storageclasses'}

/**
 * The DefaultStorageClass admission plugin: a new claim that names no storage class (the field
 * unset; an empty string means "no class" on purpose) gets the default class.
 */
export const defaultStorageClassAdmission: AdmissionPlugin = {
  name: 'DefaultStorageClass',
  admit(request) {
    if (request.operation !== 'CREATE' || request.subresource !== undefined) return
    if (request.type.group !== '' || request.type.resource !== 'persistentvolumeclaims') return
    const spec = ((request.object.spec ??= {}) as {storageClassName?: string | null})
    if (spec.storageClassName !== undefined && spec.storageClassName !== null) return
    const chosen = pickDefaultClass(request.cluster.list(STORAGE_CLASSES))
    if (chosen) spec.storageClassName = String(chosen.metadata.name)
  },
}
