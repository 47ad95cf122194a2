import type {RetryOptions} from './retry-policy.js'
import type {KubeObject} from './types.js'

/**
 * The typed Kubernetes API every part of mygate uses: apply, waits and watches, leases, the
 * rollout store, the audit trail, traffic routers, environment records. `KubeClient` (client.ts)
 * implements it over the one HTTP transport; tests pass an in-memory fake (test/helpers/fake-kube.ts).
 *
 * Conventions: a missing object is `undefined` from get() and `false` from delete(); every other
 * failure is a typed error of src/errors.ts (see api-error.ts: 404 NotFoundError, 409
 * ConflictError, 400/422 UsageError, 504 TimeoutError, the rest ExternalError).
 */

/** One object: apiVersion and kind pick the resource (through discovery), name and namespace the object. */
export interface ObjectRef {
  apiVersion: string
  kind: string
  name: string
  /** Omitted for cluster-scoped kinds. */
  namespace?: string
}

/** A collection: every object of a kind, in one namespace or (no namespace) the whole cluster. */
export interface CollectionRef {
  apiVersion: string
  kind: string
  namespace?: string
}

export interface ResourceInfo {
  /** The REST resource name ("deployments"). */
  plural: string
  namespaced: boolean
}

export interface ListOptions {
  namespace?: string
  labelSelector?: string
  fieldSelector?: string
}

export interface ObjectList<T extends KubeObject = KubeObject> {
  items: T[]
  /** The list's resourceVersion: where a watch that follows it starts. */
  resourceVersion: string
}

export interface ApplyOptions {
  /** Take over fields other managers own (default true: mygate's manifests are the truth). */
  force?: boolean
  dryRun?: boolean
}

export interface DeleteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan'
}

export type PatchType = 'merge' | 'strategic'

/** Per-call transport settings, for the few calls that need other than the client's defaults. */
export interface CallOptions {
  /** Time limit of each attempt. */
  timeoutMs?: number
  /** Retry settings for this call, or false for one attempt only. */
  retry?: Partial<RetryOptions> | false
}

export interface RequestOptions extends CallOptions {
  query?: Record<string, string | number | boolean | undefined>
  body?: unknown
  contentType?: string
  /** Name of what is being done, for error messages ("apply Deployment mygate/visitors"). */
  what?: string
  /**
   * Whether the request may be repeated safely; the default follows the method and body type
   * (retry-policy.ts isIdempotent). Say true for a PUT or JSON patch with a resourceVersion.
   */
  idempotent?: boolean
  /** The body does not depend on the object's state: a 409 Conflict is retried (retry-policy.ts). */
  conflictRetryable?: boolean
}

export interface RawResponse {
  status: number
  body: string
}

export interface WatchEvent<T = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'
  object: T
}

export interface WatchQuery {
  /** Start after this version (events since it are replayed); omitted: the current state first, as ADDED. */
  resourceVersion?: string
  labelSelector?: string
  fieldSelector?: string
  /** The watch ends (done resolves) after this long; omitted: until stop(). */
  timeoutSeconds?: number
  [key: string]: string | number | boolean | undefined
}

export interface WatchHandle {
  stop(): void
  /**
   * Resolves when the watch ends: stop() was called or timeoutSeconds passed. A stream the
   * server drops before that is re-opened from the last resourceVersion seen; a 410 Gone relists.
   * Rejects when the watch cannot be (re-)established within the retry policy.
   */
  done: Promise<void>
}

export interface Reachability {
  reachable: boolean
  /** Why not, when unreachable. */
  error?: string
}

export interface KubeApi {
  /** HTTP requests sent so far (every attempt counts; the benchmarks report it). */
  readonly requestCount: number

  /** Resolves kind -> resource through API discovery (cached); KindNotServedError when the cluster lacks it. */
  resourceFor(apiVersion: string, kind: string): Promise<ResourceInfo>
  /** The REST path of a collection (no name) or of one object. */
  pathFor(ref: CollectionRef & {name?: string}): Promise<string>

  get<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, name: string, namespace?: string, options?: CallOptions): Promise<T | undefined>
  list<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, options?: ListOptions & CallOptions): Promise<ObjectList<T>>
  /** POST; ConflictError when the object exists (after a lost response, settled by reading it back). */
  create<T extends KubeObject = KubeObject>(object: KubeObject): Promise<T>
  /** PUT with optimistic concurrency: a stale metadata.resourceVersion is a ConflictError. */
  replace<T extends KubeObject = KubeObject>(object: KubeObject): Promise<T>
  /** Server-side apply (field manager `mygate`), creating the object when it is missing. */
  apply<T extends KubeObject = KubeObject>(object: KubeObject, options?: ApplyOptions): Promise<T>
  /** A JSON merge patch (RFC 7386) of the object or its status/scale subresource. */
  mergePatch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: unknown, subresource?: 'status' | 'scale'): Promise<T>
  /** A strategic merge patch (lists merged by key, e.g. containers by name). */
  strategicMergePatch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: unknown, what?: string): Promise<T>
  /** Deletes; false when the object was not there. */
  delete(ref: ObjectRef, options?: DeleteOptions): Promise<boolean>
  /** Streams a collection's changes (path from pathFor) until stop(); see WatchHandle. */
  watch<T extends KubeObject = KubeObject>(path: string, query: WatchQuery, onEvent: (event: WatchEvent<T>) => void): WatchHandle

  /** One request; non-2xx answers become typed errors. */
  request<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<T>
  /** The response whatever its status (a service proxy, a 404 check). */
  raw(method: string, path: string, options?: RequestOptions): Promise<RawResponse>
  /** One GET /version with a short time-out and no retries: does the API server answer at all? */
  reachable(options?: {timeoutMs?: number}): Promise<Reachability>
}
