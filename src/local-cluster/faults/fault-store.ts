import type {KubeObject} from '../../kube/types.js'
import type {ObjectStore} from '../store/types.js'
import {faultSpecs} from './faults-for.js'
import {FAULT_API_VERSION, FAULT_KIND, FAULTS, type FaultSpec} from './types.js'

/** Name of the Fault object for a service (and version): one per target, replaced in place. */
export function faultObjectName(service: string, version?: string, flag?: string): string {
  const part = (text: string) => text.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '')
  return `${part(service)}-${version ? part(version) : 'all-versions'}${flag ? `-flag-${part(flag)}` : ''}`.slice(0, 253)
}

/** Faults in a namespace (all namespaces when undefined); none when the Fault type is not served. */
export function listFaults(store: ObjectStore, namespace?: string): FaultSpec[] {
  if (!store.typeFor(FAULTS)) return []
  return faultSpecs(store.list(FAULTS, {namespace}).items)
}

/**
 * Creates or replaces the Fault for `spec.service`/`spec.version` in `namespace`. Test helper and
 * in-process twin of `mygate local fault` (which writes the same object through the API).
 */
export function injectFault(store: ObjectStore, namespace: string, spec: FaultSpec): KubeObject {
  const name = faultObjectName(spec.service, spec.version, spec.flag)
  const existing = store.get(FAULTS, namespace, name)
  const object: KubeObject = {
    apiVersion: FAULT_API_VERSION,
    kind: FAULT_KIND,
    metadata: {name, namespace, labels: {'app.kubernetes.io/managed-by': 'mygate'}},
    spec: {...spec},
  }
  if (!existing) return store.create(FAULTS, object)
  return store.update(FAULTS, {...object, metadata: {...existing.metadata, ...object.metadata, resourceVersion: existing.metadata.resourceVersion}})
}

export interface FaultFilter {
  namespace?: string
  service?: string
  /** Only faults for this exact version (a version-less fault is not cleared by a version filter). */
  version?: string
}

/** Deletes the matching Faults; returns how many were deleted. */
export function clearFaults(store: ObjectStore, filter: FaultFilter = {}): number {
  if (!store.typeFor(FAULTS)) return 0
  let deleted = 0
  for (const object of store.list(FAULTS, {namespace: filter.namespace}).items) {
    const spec = object.spec as Partial<FaultSpec> | undefined
    if (filter.service !== undefined && spec?.service !== filter.service) continue
    if (filter.version !== undefined && spec?.version !== filter.version) continue
    store.delete(FAULTS, object.metadata.namespace, object.metadata.name as string)
    deleted++
  }
  return deleted
}
