import {randomUUID} from 'node:crypto'

import type {KubeObject} from '../../kube/types.js'
import {admit, defaultAdmissionPlugins, validate as validateAdmission} from '../admission/chain.js'
import type {AdmissionOperation, AdmissionPlugin, AdmissionReader} from '../admission/types.js'
import {apiErrors, qualifiedResource, type StatusCause} from './api-error.js'
import {builtinTypes, INITIAL_NAMESPACES} from './builtin-types.js'
import {establishedCrdStatus, typeFromCrd, validateCrd} from './crd-types.js'
import {applyDefaults} from './defaults.js'
import {immutableConfigMapViolations} from './immutable-data.js'
import {deepEqual, deepFreeze, isPlainObject, nowTimestamp, randomSuffix, specPart} from './object-utils.js'
import {acquireStateLock, loadState, WalWriter, type SnapshotEntry} from './persistence.js'
import {compileFieldSelector, compileLabelSelector, exactNameFromFieldSelector} from './selectors.js'
import type {
  DeleteOptions,
  ListOptions,
  ListResult,
  ObjectStore,
  ResourceRef,
  ResourceType,
  Subscription,
  WatchEvent,
  WatchOptions,
  WriteOptions,
} from './types.js'
import {validateObjectMeta} from './validate-meta.js'
import {WatchHub} from './watch-hub.js'

export interface StoreLogger {
  warn(message: string): void
  error(message: string, error?: unknown): void
}

export interface ObjectStoreOptions {
  /** Snapshot path; the write-ahead log is `<stateFile>.wal`. Omit for a memory-only store. */
  stateFile?: string
  /** Extra resource types served besides the built-in ones. */
  types?: ResourceType[]
  /** Events kept for watches resuming from a resourceVersion (older ones get 410 Gone). */
  historySize?: number
  /** Fold the write-ahead log into a snapshot after this many records. */
  compactEvery?: number
  logger?: StoreLogger
  /**
   * Admission plugins every create and update goes through, controllers' writes included (as in
   * a real cluster, where controllers write through the API server). Default: the local control
   * plane's standard chain (see admission/chain.ts); [] turns admission off.
   */
  admission?: AdmissionPlugin[]
}

export interface ListPageOptions extends ListOptions {
  limit?: number
  continue?: string
}

export interface ListPage extends ListResult {
  continue?: string
  remainingItemCount?: number
}

/**
 * The store the API server and the in-process controllers share. Public reads (`get`, `list`,
 * `watch`) hand out private copies; the `*Shared` variants return the stored, deep-frozen
 * instances (no copy, for the HTTP layer that only serialises them).
 */
export interface LocalObjectStore extends ObjectStore {
  /** The current (latest) resourceVersion. */
  resourceVersion(): string
  list(ref: ResourceRef, options?: ListPageOptions): ListPage
  getShared(ref: ResourceRef, namespace: string | undefined, name: string): KubeObject | undefined
  listShared(ref: ResourceRef, options?: ListPageOptions): ListPage
  watchShared(ref: ResourceRef, options: WatchOptions, onEvent: (event: WatchEvent) => void): Subscription
  /** create/update/delete returning the stored (frozen) object instead of a copy. */
  createShared(ref: ResourceRef, object: KubeObject, options?: WriteOptions): KubeObject
  updateShared(ref: ResourceRef, object: KubeObject, options?: WriteOptions): KubeObject
  deleteShared(ref: ResourceRef, namespace: string | undefined, name: string, options?: DeleteOptions): KubeObject
  /** The type that serves `kind` in `group` (any served version). */
  typeForKind(group: string, kind: string): ResourceType | undefined
  /** Called whenever the set of types changes (a CRD was created, changed or deleted). */
  onTypesChanged(listener: () => void): () => void
  /** Resolves once every write made so far is durable (immediately without a state file). */
  flush(): Promise<void>
  /** Writes a final snapshot and releases the state lock. */
  close(): Promise<void>
  /** Object count per type, keyed `deployments.apps`, `pods`, ... (only non-empty types). */
  counts(): Record<string, number>
  /** Problems found while loading the state file (torn log records, damaged snapshot). */
  readonly loadWarnings: string[]
}

const CRD_KEY = 'apiextensions.k8s.io/customresourcedefinitions'
const NAMESPACE_KEY = '/namespaces'
const CONFIGMAP_KEY = '/configmaps'
/** Kinds whose status the server clears on create: only their controllers write it. */
const STATUS_RESET_ON_CREATE = new Set([
  'apps/deployments',
  'apps/replicasets',
  'apps/statefulsets',
  'batch/jobs',
  'batch/cronjobs',
  'autoscaling/horizontalpodautoscalers',
  'policy/poddisruptionbudgets',
])

export function typeKey(ref: ResourceRef): string {
  return `${ref.group}/${ref.resource}`
}

type NamespaceMap = Map<string, Map<string, KubeObject>>

class Store implements LocalObjectStore {
  readonly loadWarnings: string[] = []
  private readonly registry = new Map<string, ResourceType>()
  private readonly objects = new Map<string, NamespaceMap>()
  private readonly hub: WatchHub
  private readonly wal: WalWriter | undefined
  private readonly releaseLock: (() => void) | undefined
  private readonly typeListeners = new Set<() => void>()
  private readonly admission: AdmissionPlugin[]
  private readonly reader: AdmissionReader
  private rv = 0
  private closed = false

  constructor(private readonly options: ObjectStoreOptions) {
    for (const type of [...builtinTypes(), ...(options.types ?? [])]) this.registry.set(typeKey(type), type)
    this.admission = options.admission ?? defaultAdmissionPlugins()
    this.reader = {
      get: (ref, namespace, name) => (this.typeFor(ref) ? this.getShared(ref, namespace, name) : undefined),
      list: (ref, listOptions) => (this.typeFor(ref) ? this.listShared(ref, listOptions).items : []),
    }
    const logger = options.logger
    this.hub = new WatchHub(
      {historySize: options.historySize ?? 10_000, onCallbackError: (error) => logger?.error('a watch callback threw', error)},
      0,
    )
    if (options.stateFile) {
      this.releaseLock = acquireStateLock(options.stateFile)
      this.load(options.stateFile)
      this.wal = new WalWriter({
        stateFile: options.stateFile,
        compactEvery: options.compactEvery ?? 10_000,
        snapshot: () => this.snapshot(),
        onError: (error) => logger?.error(`writing ${options.stateFile} failed`, error),
      })
    }
    for (const name of INITIAL_NAMESPACES) {
      if (!this.getShared({group: '', resource: 'namespaces'}, undefined, name)) {
        this.createShared({group: '', resource: 'namespaces'}, {apiVersion: 'v1', kind: 'Namespace', metadata: {name}})
      }
    }
  }

  // ---- types ----

  types(): ResourceType[] {
    return [...this.registry.values()]
  }

  typeFor(ref: ResourceRef): ResourceType | undefined {
    return this.registry.get(typeKey(ref))
  }

  typeForKind(group: string, kind: string): ResourceType | undefined {
    for (const type of this.registry.values()) if (type.group === group && type.kind === kind) return type
    return undefined
  }

  onTypesChanged(listener: () => void): () => void {
    this.typeListeners.add(listener)
    return () => this.typeListeners.delete(listener)
  }

  private requireType(ref: ResourceRef): ResourceType {
    const type = this.typeFor(ref)
    if (!type) throw apiErrors.notFound({group: ref.group, resource: ref.resource}, ref.resource)
    return type
  }

  private registerCrd(crd: KubeObject): void {
    const type = typeFromCrd(crd)
    this.registry.set(typeKey(type), type)
    for (const listener of this.typeListeners) listener()
  }

  // ---- reads ----

  resourceVersion(): string {
    return String(this.rv)
  }

  get(ref: ResourceRef, namespace: string | undefined, name: string): KubeObject | undefined {
    const object = this.getShared(ref, namespace, name)
    return object && structuredClone(object)
  }

  getShared(ref: ResourceRef, namespace: string | undefined, name: string): KubeObject | undefined {
    const type = this.requireType(ref)
    return this.objects.get(typeKey(ref))?.get(type.namespaced ? (namespace ?? '') : '')?.get(name)
  }

  list(ref: ResourceRef, options: ListPageOptions = {}): ListPage {
    const page = this.listShared(ref, options)
    return {...page, items: page.items.map((item) => structuredClone(item))}
  }

  listShared(ref: ResourceRef, options: ListPageOptions = {}): ListPage {
    const type = this.requireType(ref)
    const byNamespace = this.objects.get(typeKey(type))
    const matchLabels = compileLabelSelector(options.labelSelector)
    const matchFields = compileFieldSelector(options.fieldSelector)
    const exactName = exactNameFromFieldSelector(options.fieldSelector)
    const namespaces =
      type.namespaced && options.namespace !== undefined ? [byNamespace?.get(options.namespace)] : [...(byNamespace?.values() ?? [])]
    let items: KubeObject[] = []
    for (const names of namespaces) {
      if (!names) continue
      if (exactName !== undefined) {
        const object = names.get(exactName)
        if (object && matchLabels(object.metadata.labels) && matchFields(object)) items.push(object)
        continue
      }
      for (const object of names.values()) if (matchLabels(object.metadata.labels) && matchFields(object)) items.push(object)
    }
    items.sort(compareObjects)
    const resourceVersion = String(this.rv)
    if (options.continue) {
      const start = decodeContinue(options.continue)
      const from = items.findIndex((item) => objectSortKey(item) > start)
      items = from < 0 ? [] : items.slice(from)
    }
    if (options.limit && options.limit > 0 && items.length > options.limit) {
      const pageItems = items.slice(0, options.limit)
      return {
        items: pageItems,
        resourceVersion,
        continue: encodeContinue(objectSortKey(pageItems.at(-1)!)),
        remainingItemCount: items.length - options.limit,
      }
    }
    return {items, resourceVersion}
  }

  watch(ref: ResourceRef, options: WatchOptions, onEvent: (event: WatchEvent) => void): Subscription {
    return this.subscribe(ref, options, onEvent, false)
  }

  watchShared(ref: ResourceRef, options: WatchOptions, onEvent: (event: WatchEvent) => void): Subscription {
    return this.subscribe(ref, options, onEvent, true)
  }

  private subscribe(ref: ResourceRef, options: WatchOptions, onEvent: (event: WatchEvent) => void, shared: boolean): Subscription {
    const type = this.requireType(ref)
    const rv = options.resourceVersion
    if (rv === undefined || rv === '' || rv === '0') {
      const initial = this.listShared(type, {namespace: options.namespace}).items
      return this.hub.subscribe(typeKey(type), options, undefined, initial, onEvent, shared)
    }
    const from = Number(rv)
    if (!Number.isInteger(from) || from < 0) throw apiErrors.badRequest(`invalid resource version "${rv}"`)
    return this.hub.subscribe(typeKey(type), options, from, [], onEvent, shared)
  }

  counts(): Record<string, number> {
    const counts: Record<string, number> = {}
    for (const [key, byNamespace] of this.objects) {
      let n = 0
      for (const names of byNamespace.values()) n += names.size
      const type = this.registry.get(key)
      if (n > 0) counts[type ? qualifiedResource(type) : key] = n
    }
    return counts
  }

  // ---- writes ----

  create(ref: ResourceRef, object: KubeObject, options?: WriteOptions): KubeObject {
    return structuredClone(this.createShared(ref, object, options))
  }

  /** Same as create, returning the stored (frozen) object. */
  createShared(ref: ResourceRef, input: KubeObject, options: WriteOptions = {}): KubeObject {
    const type = this.requireType(ref)
    const object = this.prepareInput(type, input, options.takeOwnership)
    const meta = object.metadata
    if (!meta.name && meta.generateName) {
      for (let attempt = 0; attempt < 8; attempt++) {
        meta.name = `${meta.generateName}${randomSuffix()}`
        if (!this.peek(type, meta.namespace, meta.name)) break
      }
    }
    const name = String(meta.name ?? '')
    applyDefaults(typeKey(type), object)
    const admission = this.admissionRequest('CREATE', type, object, undefined, options)
    admit(this.admission, admission)
    this.validate(type, object)
    this.checkNamespaceOpen(type, object)
    if (this.peek(type, meta.namespace, name)) throw apiErrors.alreadyExists(type, name)
    validateAdmission(this.admission, admission)

    meta.uid = randomUUID()
    meta.creationTimestamp = nowTimestamp()
    meta.generation = 1
    delete meta.deletionTimestamp
    delete meta.deletionGracePeriodSeconds
    delete meta.resourceVersion
    this.applyCreateDefaults(type, object)
    if (options.dryRun) return deepFreeze(object)
    return this.commit(type, object, undefined)
  }

  update(ref: ResourceRef, object: KubeObject, options?: WriteOptions): KubeObject {
    return structuredClone(this.updateShared(ref, object, options))
  }

  /** Same as update, returning the stored (frozen) object. */
  updateShared(ref: ResourceRef, input: KubeObject, options: WriteOptions = {}): KubeObject {
    const type = this.requireType(ref)
    const object = this.prepareInput(type, input, options.takeOwnership)
    const name = String(object.metadata.name ?? '')
    if (name === '') throw apiErrors.invalid(type, '', [{reason: 'FieldValueRequired', message: 'Required value: name is required', field: 'metadata.name'}])
    const existing = this.peek(type, object.metadata.namespace, name)
    if (!existing) throw apiErrors.notFound(type, name)
    const givenRv = object.metadata.resourceVersion
    if (givenRv !== undefined && givenRv !== '' && givenRv !== existing.metadata.resourceVersion) {
      throw apiErrors.staleResourceVersion(type, name)
    }
    if (object.metadata.uid && object.metadata.uid !== existing.metadata.uid) {
      throw apiErrors.conflict(type, name, `Precondition failed: UID in precondition: ${object.metadata.uid}, UID in object meta: ${existing.metadata.uid}`)
    }

    let next: KubeObject
    if (options.subresource === 'status') {
      // A status write changes .status only; spec and metadata stay as stored.
      next = structuredClone(existing) as KubeObject
      if (object.status === undefined) delete next.status
      else next.status = object.status
    } else {
      next = object
      if (typeKey(type) === CONFIGMAP_KEY) {
        const causes = immutableConfigMapViolations(existing, next)
        if (causes.length > 0) throw apiErrors.invalid(type, name, causes)
      }
      const meta = next.metadata
      const old = existing.metadata
      meta.uid = old.uid
      meta.creationTimestamp = old.creationTimestamp
      meta.generation = old.generation
      if (old.deletionTimestamp) {
        meta.deletionTimestamp = old.deletionTimestamp
        meta.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds
        const added = (meta.finalizers ?? []).filter((f) => !(old.finalizers ?? []).includes(f))
        if (added.length > 0) {
          throw apiErrors.invalid(type, name, [
            {reason: 'FieldValueForbidden', message: 'Forbidden: no new finalizers can be added if the object is being deleted', field: 'metadata.finalizers'},
          ])
        }
      } else {
        delete meta.deletionTimestamp
        delete meta.deletionGracePeriodSeconds
      }
      if (meta.managedFields === undefined && old.managedFields !== undefined) meta.managedFields = structuredClone(old.managedFields)
      if (!meta.generateName && old.generateName) meta.generateName = old.generateName
      if (type.subresources?.status) {
        if (existing.status === undefined) delete next.status
        else next.status = structuredClone(existing.status)
      }
      applyDefaults(typeKey(type), next)
      const admission = this.admissionRequest('UPDATE', type, next, existing, options)
      admit(this.admission, admission)
      this.validate(type, next)
      validateAdmission(this.admission, admission)
    }
    next.metadata.resourceVersion = existing.metadata.resourceVersion
    if (!deepEqual(specPart(next), specPart(existing))) next.metadata.generation = (existing.metadata.generation ?? 0) + 1
    // A write that changes nothing is not a write: no new resourceVersion, no watch event.
    if (deepEqual(next, existing)) return existing
    if (existing.metadata.deletionTimestamp && !hasFinalizers(next)) {
      if (options.dryRun) return deepFreeze(next)
      return this.remove(type, next)
    }
    if (options.dryRun) return deepFreeze(next)
    return this.commit(type, next, existing)
  }

  delete(ref: ResourceRef, namespace: string | undefined, name: string, options?: DeleteOptions): KubeObject {
    return structuredClone(this.deleteShared(ref, namespace, name, options))
  }

  /** Same as delete, returning the stored (frozen) object as deleted or marked. */
  deleteShared(ref: ResourceRef, namespace: string | undefined, name: string, options: DeleteOptions = {}): KubeObject {
    const type = this.requireType(ref)
    const existing = this.peek(type, type.namespaced ? namespace : undefined, name)
    if (!existing) throw apiErrors.notFound(type, name)
    const pre = options.preconditions
    if (pre?.uid && pre.uid !== existing.metadata.uid) {
      throw apiErrors.conflict(type, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${existing.metadata.uid}`)
    }
    if (pre?.resourceVersion && pre.resourceVersion !== existing.metadata.resourceVersion) {
      throw apiErrors.conflict(
        type,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${existing.metadata.resourceVersion}`,
      )
    }
    const finalizers = [...(existing.metadata.finalizers ?? [])]
    // The GC controller acts on these two finalizers (dependents first / orphan dependents).
    const policyFinalizer =
      options.propagationPolicy === 'Foreground' ? 'foregroundDeletion' : options.propagationPolicy === 'Orphan' ? 'orphan' : undefined
    if (policyFinalizer && !finalizers.includes(policyFinalizer)) finalizers.push(policyFinalizer)
    const next = structuredClone(existing) as KubeObject
    if (finalizers.length > 0) next.metadata.finalizers = finalizers
    if (!hasFinalizers(next)) return options.dryRun ? existing : this.remove(type, next)

    if (existing.metadata.deletionTimestamp && finalizers.length === (existing.metadata.finalizers ?? []).length) return existing
    next.metadata.deletionTimestamp ??= nowTimestamp()
    next.metadata.deletionGracePeriodSeconds ??= 0
    if (typeKey(type) === NAMESPACE_KEY) next.status = {...(isPlainObject(next.status) ? next.status : {}), phase: 'Terminating'}
    if (options.dryRun) return deepFreeze(next)
    return this.commit(type, next, existing)
  }

  async flush(): Promise<void> {
    await this.wal?.flush()
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    try {
      await this.wal?.close()
    } finally {
      this.releaseLock?.()
    }
  }

  // ---- internals ----

  private peek(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(typeKey(type))?.get(type.namespaced ? (namespace ?? '') : '')?.get(name)
  }

  /** A private, mutable copy with apiVersion/kind filled in and the namespace rule applied. */
  private prepareInput(type: ResourceType, input: KubeObject, owned = false): KubeObject {
    if (!isPlainObject(input)) throw apiErrors.badRequest('the request body is not an object')
    const object = owned && !Object.isFrozen(input) ? input : (structuredClone(input) as KubeObject)
    if (!isPlainObject(object.metadata)) object.metadata = {}
    const groupVersion = (version: string): string => (type.group === '' ? version : `${type.group}/${version}`)
    const served = (type.versions ?? [type.version]).map(groupVersion)
    if (!object.apiVersion) object.apiVersion = groupVersion(type.version)
    else if (!served.includes(object.apiVersion)) {
      throw apiErrors.badRequest(`the API version in the data (${object.apiVersion}) does not match the expected API version (${groupVersion(type.version)})`)
    }
    if (!object.kind) object.kind = type.kind
    else if (object.kind !== type.kind) {
      throw apiErrors.badRequest(`the kind in the data (${object.kind}) does not match the expected kind (${type.kind})`)
    }
    if (!type.namespaced) delete object.metadata.namespace
    else if (!object.metadata.namespace) {
      throw apiErrors.badRequest(`${qualifiedResource(type)} must be created in a namespace: metadata.namespace is empty`)
    }
    return object
  }

  /** Status writes skip admission: no plugin here looks at them, and the kubelet writes status constantly. */
  private admissionRequest(operation: AdmissionOperation, type: ResourceType, object: KubeObject, oldObject: KubeObject | undefined, options: WriteOptions) {
    return {operation, type, object, oldObject, dryRun: Boolean(options.dryRun), cluster: this.reader, warnings: options.warnings ?? []}
  }

  private validate(type: ResourceType, object: KubeObject): void {
    const causes: StatusCause[] = validateObjectMeta(type, object)
    if (typeKey(type) === CRD_KEY) causes.push(...validateCrd(object))
    if (causes.length > 0) throw apiErrors.invalid(type, String(object.metadata?.name ?? ''), causes)
  }

  private checkNamespaceOpen(type: ResourceType, object: KubeObject): void {
    if (!type.namespaced) return
    const namespace = String(object.metadata.namespace)
    const ns = this.objects.get(NAMESPACE_KEY)?.get('')?.get(namespace)
    if (!ns) throw apiErrors.notFound({group: '', resource: 'namespaces'}, namespace)
    if (ns.metadata.deletionTimestamp) {
      throw apiErrors.forbidden(
        type,
        String(object.metadata.name),
        `unable to create new content in namespace ${namespace} because it is being terminated`,
      )
    }
  }

  private applyCreateDefaults(type: ResourceType, object: KubeObject): void {
    const key = typeKey(type)
    if (STATUS_RESET_ON_CREATE.has(key) || (type.custom && type.subresources?.status)) delete object.status
    const status = (): Record<string, unknown> => (isPlainObject(object.status) ? object.status : (object.status = {}))
    if (key === NAMESPACE_KEY) {
      const spec = isPlainObject(object.spec) ? object.spec : (object.spec = {})
      spec.finalizers ??= ['kubernetes']
      status().phase = 'Active'
    } else if (key === '/pods' || key === '/persistentvolumeclaims') {
      status().phase ??= 'Pending'
    } else if (key === '/persistentvolumes') {
      // Upstream's controller moves a new volume to Available (or binds it); nothing else reads the gap.
      status().phase ??= 'Available'
    } else if (key === 'batch/jobs') {
      generateJobSelector(object)
    } else if (key === CRD_KEY) {
      object.status = establishedCrdStatus(object, String(object.metadata.creationTimestamp))
    }
  }

  private nextVersion(): number {
    return ++this.rv
  }

  private commit(type: ResourceType, object: KubeObject, previous: KubeObject | undefined): KubeObject {
    const rv = this.nextVersion()
    object.metadata.resourceVersion = String(rv)
    deepFreeze(object)
    const key = typeKey(type)
    this.index(key, object)
    this.hub.publish({rv, typeKey: key, type: previous ? 'MODIFIED' : 'ADDED', object, previous})
    this.wal?.append({rv, op: 'put', t: key, ns: object.metadata.namespace, name: String(object.metadata.name), obj: object})
    if (key === CRD_KEY) this.registerCrd(object)
    return object
  }

  private remove(type: ResourceType, finalState: KubeObject): KubeObject {
    const key = typeKey(type)
    const rv = this.nextVersion()
    const object = finalState
    object.metadata.resourceVersion = String(rv)
    deepFreeze(object)
    const names = this.objects.get(key)?.get(type.namespaced ? (object.metadata.namespace ?? '') : '')
    names?.delete(String(object.metadata.name))
    this.hub.publish({rv, typeKey: key, type: 'DELETED', object})
    this.wal?.append({rv, op: 'del', t: key, ns: object.metadata.namespace, name: String(object.metadata.name)})
    if (key === CRD_KEY) this.dropCustomType(object)
    return object
  }

  /** Deleting a CRD deletes its custom resources and stops serving them. */
  private dropCustomType(crd: KubeObject): void {
    const type = typeFromCrd(crd)
    const key = typeKey(type)
    for (const names of this.objects.get(key)?.values() ?? []) {
      for (const object of [...names.values()]) this.remove(type, structuredClone(object) as KubeObject)
    }
    this.objects.delete(key)
    this.registry.delete(key)
    for (const listener of this.typeListeners) listener()
  }

  private index(key: string, object: KubeObject): void {
    let byNamespace = this.objects.get(key)
    if (!byNamespace) this.objects.set(key, (byNamespace = new Map()))
    const type = this.registry.get(key)
    const ns = type?.namespaced ? (object.metadata.namespace ?? '') : ''
    let names = byNamespace.get(ns)
    if (!names) byNamespace.set(ns, (names = new Map()))
    names.set(String(object.metadata.name), object)
  }

  private snapshot(): {resourceVersion: number; objects: SnapshotEntry[]} {
    const objects: SnapshotEntry[] = []
    for (const [t, byNamespace] of this.objects) for (const names of byNamespace.values()) for (const o of names.values()) objects.push({t, o})
    return {resourceVersion: this.rv, objects}
  }

  private load(stateFile: string): void {
    const state = loadState(stateFile)
    this.loadWarnings.push(...state.warnings)
    for (const warning of state.warnings) this.options.logger?.warn(warning)
    // CRDs first, so their custom resources have a type to load into.
    const entries = [...state.entries.values()].sort((a, b) => Number(b.t === CRD_KEY) - Number(a.t === CRD_KEY))
    for (const {t, o} of entries) {
      if (!this.registry.has(t)) {
        this.loadWarnings.push(`dropped ${t} ${String(o.metadata.name)}: its type is no longer served`)
        continue
      }
      this.index(t, deepFreeze(o))
      if (t === CRD_KEY) {
        try {
          this.registerCrd(o)
        } catch (error) {
          this.loadWarnings.push(`CRD ${String(o.metadata.name)} cannot be served: ${String(error)}`)
        }
      }
    }
    this.rv = state.resourceVersion
    this.hub.resetHistory(this.rv)
  }
}

function hasFinalizers(object: KubeObject): boolean {
  if ((object.metadata.finalizers ?? []).length > 0) return true
  // A namespace also waits for its spec.finalizers (the namespace controller empties them).
  const specFinalizers = object.kind === 'Namespace' && isPlainObject(object.spec) ? object.spec.finalizers : undefined
  return Array.isArray(specFinalizers) && specFinalizers.length > 0
}

function objectSortKey(object: KubeObject): string {
  return `${object.metadata.namespace ?? ''}/${String(object.metadata.name)}`
}

function compareObjects(a: KubeObject, b: KubeObject): number {
  const ka = objectSortKey(a)
  const kb = objectSortKey(b)
  return ka < kb ? -1 : ka > kb ? 1 : 0
}

function encodeContinue(start: string): string {
  return Buffer.from(JSON.stringify({v: 1, start})).toString('base64url')
}

function decodeContinue(token: string): string {
  try {
    const data = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {v?: number; start?: unknown}
    if (data.v === 1 && typeof data.start === 'string') return data.start
  } catch {
    // Fall through to the error below.
  }
  throw apiErrors.badRequest(`invalid continue token "${token}"`)
}

/** Creates a store; with a stateFile it loads (and then durably records) the state there. */
/**
 * A Job's selector and pod labels, generated on create as the API server does unless
 * `manualSelector` is set (registry/batch/job strategy generateSelector): clients find a Job's
 * pods by them (`kubectl logs job/NAME`, `kubectl wait`).
 */
function generateJobSelector(job: KubeObject): void {
  const spec = isPlainObject(job.spec) ? job.spec : (job.spec = {})
  if (spec.manualSelector === true || spec.selector !== undefined) return
  const uid = String(job.metadata.uid)
  const name = String(job.metadata.name)
  const labels = {'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': name, 'controller-uid': uid, 'job-name': name}
  spec.selector = {matchLabels: {'batch.kubernetes.io/controller-uid': uid}}
  const template = isPlainObject(spec.template) ? spec.template : (spec.template = {})
  const metadata = isPlainObject(template.metadata) ? template.metadata : (template.metadata = {})
  metadata.labels = {...(isPlainObject(metadata.labels) ? metadata.labels : {}), ...labels}
}

export function createObjectStore(options: ObjectStoreOptions = {}): LocalObjectStore {
  return new Store(options)
}

export type ObjectStoreInstance = ReturnType<typeof createObjectStore>
