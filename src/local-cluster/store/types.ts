import type {KubeObject} from '../../kube/types.js'

/**
 * The contract between the local control plane's object store (and API server) and the
 * in-process controllers (deployment, replicaset, kubelet, GC...). Controllers use the store
 * directly, the way kube-controller-manager uses the API: get/list/watch, then create/update.
 */

/** A resource type, version-agnostic: {group: 'apps', resource: 'deployments'}; core group is ''. */
export interface ResourceRef {
  group: string
  resource: string
}

export interface ResourceType extends ResourceRef {
  version: string
  kind: string
  listKind: string
  singular: string
  namespaced: boolean
  shortNames?: string[]
  /** Which subresources the type serves. */
  subresources?: {status?: boolean; scale?: boolean}
  /** Every version served (default: [version]); objects are stored as given, no conversion. */
  versions?: string[]
  /** Discovery categories, e.g. ['all'] so `kubectl get all` includes the type. */
  categories?: string[]
  /** Which DNS-1123 rule names must follow: subdomain (default), label, or path segment (RBAC). */
  nameRule?: 'subdomain' | 'label' | 'path'
  /** Where a scale subresource reads and writes replicas (CRDs); defaults to .spec.replicas/.status.replicas. */
  scalePaths?: {specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string}
  /** True for types that exist because a CustomResourceDefinition serves them. */
  custom?: boolean
}

export interface ListOptions {
  /** Undefined lists across all namespaces. */
  namespace?: string
  labelSelector?: string
  fieldSelector?: string
}

export interface ListResult {
  items: KubeObject[]
  /** The store's resourceVersion at the time of the list (for a following watch). */
  resourceVersion: string
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'

export interface WatchEvent {
  type: WatchEventType
  object: KubeObject
}

export interface WatchOptions extends ListOptions {
  /**
   * Deliver events after this resourceVersion; a too-old one fails with 410 Gone. Unset, '' or
   * '0' means what it means to the real API server: first a synthetic ADDED event for every
   * object that matches now, then every later change.
   */
  resourceVersion?: string
}

export interface Subscription {
  stop(): void
}

export interface WriteOptions {
  dryRun?: boolean
  /** Write only this subresource: 'status' changes only .status, spec changes are ignored. */
  subresource?: 'status'
  fieldManager?: string
  /**
   * The caller hands the object over: the store skips its defensive copy and keeps (and
   * freezes) this very instance. For the API server, whose request bodies are fresh objects.
   */
  takeOwnership?: boolean
  /** Collects admission warnings (the API server returns them as `Warning` headers). */
  warnings?: string[]
}

export type PropagationPolicy = 'Foreground' | 'Background' | 'Orphan'

export interface DeleteOptions {
  dryRun?: boolean
  propagationPolicy?: PropagationPolicy
  preconditions?: {uid?: string; resourceVersion?: string}
}

export interface ObjectStore {
  /** The registered resource types (built-in kinds plus served CRDs). */
  types(): ResourceType[]
  typeFor(ref: ResourceRef): ResourceType | undefined
  get(ref: ResourceRef, namespace: string | undefined, name: string): KubeObject | undefined
  list(ref: ResourceRef, options?: ListOptions): ListResult
  /** Assigns uid, creationTimestamp, resourceVersion, generation; honours generateName. Throws ApiError. */
  create(ref: ResourceRef, object: KubeObject, options?: WriteOptions): KubeObject
  /** Optimistic concurrency: a metadata.resourceVersion that is not current is a 409 Conflict. */
  update(ref: ResourceRef, object: KubeObject, options?: WriteOptions): KubeObject
  /**
   * Deletes, or with finalizers present only sets deletionTimestamp. Returns the object as it
   * was deleted (or marked), undefined if it did not exist and no error is wanted.
   */
  delete(ref: ResourceRef, namespace: string | undefined, name: string, options?: DeleteOptions): KubeObject
  watch(ref: ResourceRef, options: WatchOptions, onEvent: (event: WatchEvent) => void): Subscription
}
