import type {KubeObject, OwnerReference} from '../../kube/types.js'

/** The owner reference marked `controller: true`, the one object that manages this one. */
export function controllerRef(object: KubeObject): OwnerReference | undefined {
  return object.metadata.ownerReferences?.find((ref) => ref.controller === true)
}

/** True when `object` is controlled by the object with this uid. */
export function isControlledBy(object: KubeObject, ownerUid: string | undefined): boolean {
  return ownerUid !== undefined && controllerRef(object)?.uid === ownerUid
}

/** The owner reference a controller puts on what it creates (blocks foreground deletion of the owner). */
export function ownerRefTo(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  }
}

/** Key `namespace/name` of the controlling owner of the given kind, if any. */
export function ownerKey(object: KubeObject, kind: string): string[] {
  const ref = controllerRef(object)
  if (!ref || ref.kind !== kind) return []
  return [objectKey(object.metadata.namespace, ref.name)]
}

export function objectKey(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? ''}/${name ?? ''}`
}

export function splitKey(key: string): {namespace: string | undefined; name: string} {
  const slash = key.indexOf('/')
  const namespace = key.slice(0, slash)
  return {namespace: namespace === '' ? undefined : namespace, name: key.slice(slash + 1)}
}

export function keyOf(object: KubeObject): string {
  return objectKey(object.metadata.namespace, object.metadata.name)
}
