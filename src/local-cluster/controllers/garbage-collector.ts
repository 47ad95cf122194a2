import type {KubeObject, OwnerReference} from '../../kube/types.js'
import type {ResourceRef, ResourceType, WatchEvent} from '../store/types.js'
import type {ControllerContext, ControllerDefinition, WatchSpec} from './runtime.js'

export const FOREGROUND_FINALIZER = 'foregroundDeletion'
export const ORPHAN_FINALIZER = 'orphan'

/** What the collector should do with one object, given which of its owners still exist. */
export type OwnerVerdict =
  | {action: 'keep'}
  /** Every owner is gone: delete it (Background). */
  | {action: 'delete'}
  /** Some owners are gone: drop only those references. */
  | {action: 'dropReferences'; keep: OwnerReference[]}

/**
 * Pure: an object whose owners are all gone is garbage; one with some owners left keeps living
 * without the dangling references (upstream attemptToDeleteItem, minus the waiting states).
 */
export function judgeOwners(object: KubeObject, ownerExists: (ref: OwnerReference) => boolean): OwnerVerdict {
  const refs = object.metadata.ownerReferences ?? []
  if (refs.length === 0) return {action: 'keep'}
  const alive = refs.filter(ownerExists)
  if (alive.length === refs.length) return {action: 'keep'}
  if (alive.length === 0) return {action: 'delete'}
  return {action: 'dropReferences', keep: alive}
}

interface ObjectId {
  ref: ResourceRef
  namespace: string | undefined
  name: string
}

const idKey = (id: ObjectId): string => `${id.ref.group}/${id.ref.resource}|${id.namespace ?? ''}|${id.name}`
function parseId(key: string): ObjectId {
  const [typePart, namespace, name] = key.split('|')
  const slash = typePart.indexOf('/')
  return {ref: {group: typePart.slice(0, slash), resource: typePart.slice(slash + 1)}, namespace: namespace || undefined, name}
}

const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '')

/**
 * The garbage collector: watches every type the store serves and keeps an index from owner uid
 * to dependents. It
 * - deletes dependents whose owners are all gone (Background propagation, and orphans left by a
 *   daemon restart);
 * - for an owner deleted with Foreground propagation (finalizer `foregroundDeletion`), deletes its
 *   dependents first and removes the finalizer once none is left;
 * - for Orphan propagation (finalizer `orphan`), strips the owner's references from its
 *   dependents, then removes the finalizer.
 * The store itself sets deletionTimestamp and the finalizers and removes the object once they are empty.
 */
export function garbageCollector(context: ControllerContext): ControllerDefinition {
  const {store} = context
  /** owner uid -> ids of objects that name it as an owner. */
  const dependents = new Map<string, Set<string>>()
  /** object id -> owner uids it names (to unindex on change). */
  const ownersOf = new Map<string, string[]>()

  const index = (key: string, object: KubeObject | undefined): void => {
    for (const uid of ownersOf.get(key) ?? []) {
      const set = dependents.get(uid)
      set?.delete(key)
      if (set?.size === 0) dependents.delete(uid)
    }
    ownersOf.delete(key)
    const uids = (object?.metadata.ownerReferences ?? []).map((ref) => ref.uid)
    if (uids.length === 0) return
    ownersOf.set(key, uids)
    for (const uid of uids) {
      let set = dependents.get(uid)
      if (!set) dependents.set(uid, (set = new Set()))
      set.add(key)
    }
  }

  const watchFor = (type: ResourceType): WatchSpec => ({
    ref: {group: type.group, resource: type.resource},
    keys(event: WatchEvent) {
      const object = event.object
      const key = idKey({ref: type, namespace: type.namespaced ? object.metadata.namespace : undefined, name: object.metadata.name as string})
      const out: string[] = []
      if (event.type === 'DELETED') {
        index(key, undefined)
        // Its dependents may now be garbage; an owner waiting in foreground deletion may be done.
        for (const dependent of dependents.get(object.metadata.uid ?? '') ?? []) out.push(dependent)
        for (const owner of object.metadata.ownerReferences ?? []) {
          const ownerKey = ownerIdKey(owner, object.metadata.namespace)
          if (ownerKey) out.push(ownerKey)
        }
        return out
      }
      const before = (ownersOf.get(key) ?? []).join(',')
      index(key, object)
      const finalizers = object.metadata.finalizers ?? []
      // Owners are checked when an object appears or its references change, not on every status write.
      const refsChanged = event.type === 'ADDED' || before !== (ownersOf.get(key) ?? []).join(',')
      if (refsChanged && (object.metadata.ownerReferences ?? []).length > 0) out.push(key)
      if (object.metadata.deletionTimestamp && (finalizers.includes(FOREGROUND_FINALIZER) || finalizers.includes(ORPHAN_FINALIZER))) out.push(key)
      return out
    },
  })

  const typeForKind = (apiVersion: string, kind: string): ResourceType | undefined => {
    const group = groupOf(apiVersion)
    return store.types().find((t) => t.group === group && t.kind === kind)
  }

  function ownerIdKey(owner: OwnerReference, dependentNamespace: string | undefined): string | undefined {
    const type = typeForKind(owner.apiVersion, owner.kind)
    if (!type) return undefined
    return idKey({ref: type, namespace: type.namespaced ? dependentNamespace : undefined, name: owner.name})
  }

  const ownerExists = (dependentNamespace: string | undefined) => (owner: OwnerReference): boolean => {
    const type = typeForKind(owner.apiVersion, owner.kind)
    // An owner of a kind the server does not serve cannot be checked; keep the dependent.
    if (!type) return true
    const found = store.get(type, type.namespaced ? dependentNamespace : undefined, owner.name)
    return found !== undefined && found.metadata.uid === owner.uid
  }

  const liveDependents = (owner: KubeObject): Array<{id: ObjectId; object: KubeObject}> => {
    const out: Array<{id: ObjectId; object: KubeObject}> = []
    for (const key of dependents.get(owner.metadata.uid ?? '') ?? []) {
      const id = parseId(key)
      const object = store.get(id.ref, id.namespace, id.name)
      if (object && (object.metadata.ownerReferences ?? []).some((ref) => ref.uid === owner.metadata.uid)) out.push({id, object})
    }
    return out
  }

  const removeFinalizer = (ref: ResourceRef, object: KubeObject, finalizer: string): void => {
    store.update(ref, {...object, metadata: {...object.metadata, finalizers: (object.metadata.finalizers ?? []).filter((f) => f !== finalizer)}})
  }

  return {
    name: 'garbage-collector',
    watches: [],
    dynamicWatches: () => store.types().map(watchFor),
    reconcile(key) {
      const id = parseId(key)
      const object = store.get(id.ref, id.namespace, id.name)
      if (!object) return
      const finalizers = object.metadata.finalizers ?? []
      if (object.metadata.deletionTimestamp && finalizers.includes(ORPHAN_FINALIZER)) {
        for (const {id: depId, object: dependent} of liveDependents(object)) {
          const refs = (dependent.metadata.ownerReferences ?? []).filter((ref) => ref.uid !== object.metadata.uid)
          const metadata = {...dependent.metadata}
          if (refs.length > 0) metadata.ownerReferences = refs
          else delete metadata.ownerReferences
          store.update(depId.ref, {...dependent, metadata})
        }
        removeFinalizer(id.ref, object, ORPHAN_FINALIZER)
        return
      }
      if (object.metadata.deletionTimestamp && finalizers.includes(FOREGROUND_FINALIZER)) {
        const remaining = liveDependents(object)
        for (const {id: depId, object: dependent} of remaining) {
          if (!dependent.metadata.deletionTimestamp) {
            store.delete(depId.ref, depId.namespace, depId.name, {propagationPolicy: 'Foreground', preconditions: {uid: dependent.metadata.uid}})
          }
        }
        if (remaining.length === 0) removeFinalizer(id.ref, object, FOREGROUND_FINALIZER)
        return
      }
      const verdict = judgeOwners(object, ownerExists(object.metadata.namespace))
      if (verdict.action === 'delete' && !object.metadata.deletionTimestamp) {
        store.delete(id.ref, id.namespace, id.name, {propagationPolicy: 'Background', preconditions: {uid: object.metadata.uid}})
      } else if (verdict.action === 'dropReferences') {
        store.update(id.ref, {...object, metadata: {...object.metadata, ownerReferences: verdict.keep}})
      }
    },
  }
}
