import {errorFromStatus, KindNotServedError, parseStatus} from './api-error.js'
import {builtinResource} from './builtin-resources.js'
import type {
  ApplyOptions,
  CallOptions,
  CollectionRef,
  DeleteOptions,
  KubeApi,
  ListOptions,
  ObjectList,
  ObjectRef,
  RawResponse,
  Reachability,
  RequestOptions,
  ResourceInfo,
  WatchEvent,
  WatchHandle,
  WatchQuery,
} from './api.js'
import {clusterAccess, type ClusterAccessOptions} from './kubeconfig/access.js'
import {loadKubeconfig, type LoadedKubeconfig} from './kubeconfig/files.js'
import {REACHABILITY_TIMEOUT_MS} from './retry-policy.js'
import {KubeTransport, type TransportOptions, type TransportResponse} from './transport.js'
import {FIELD_MANAGER, type KubeObject} from './types.js'
import {resumingWatch} from './watch.js'
import {writeLanded} from './write-landed.js'

/** Which cluster to talk to: a kubeconfig file and a context in it. */
export interface KubeTarget {
  kubeconfigPath: string
  context: string
}

export interface KubeClientOptions extends TransportOptions, ClusterAccessOptions {}

/**
 * KubeApi over the one transport (transport.ts): kind -> resource (built-in kinds from
 * builtin-resources.ts, the rest by discovery, cached per group/version), typed errors from Status bodies (api-error.ts), watches that resume (watch.ts),
 * and writes whose lost answers are settled by reading back (write-landed.ts):
 *
 * - create: the POST is repeated on a lost answer (a dropped connection, a 5xx) only when the
 *   object has a name (an object with only generateName would be created twice); when the repeat
 *   is refused with AlreadyExists, the object is read back and returned if it holds what we sent,
 *   otherwise the 409 stands (someone else created it: for a Lease, the race was lost).
 * - replace: retried only with a resourceVersion precondition; a Conflict that follows a lost
 *   answer is settled the same way. A Conflict on the first answer is always the caller's to
 *   settle (re-read and decide), never retried.
 * - delete: a 404 that follows a lost answer means our delete went through (true).
 * - a 409 Conflict (not AlreadyExists) on a write that reads nothing of the object (a forced apply,
 *   a patch or delete without a resourceVersion precondition, a named create) is retried like a
 *   5xx; on a replace or a patch carrying a resourceVersion it is the caller's to settle.
 */
export class KubeClient implements KubeApi {
  private readonly discovery = new Map<string, Promise<Map<string, ResourceInfo>>>()

  private constructor(private readonly transport: KubeTransport) {}

  /** Opens a client for a context of a kubeconfig file. Nothing is sent until the first request. */
  static async connect(target: KubeTarget, options: KubeClientOptions = {}): Promise<KubeClient> {
    return KubeClient.forContext(await loadKubeconfig({explicit: target.kubeconfigPath}), target.context, options)
  }

  /** Opens a client for a context of an already loaded kubeconfig. */
  static async forContext(config: LoadedKubeconfig, context: string, options: KubeClientOptions = {}): Promise<KubeClient> {
    const access = await clusterAccess(config, context, options)
    return new KubeClient(new KubeTransport(access, options))
  }

  get requestCount(): number {
    return this.transport.requestCount
  }

  get server(): string {
    return this.transport.server
  }

  get context(): string {
    return this.transport.access.context
  }

  close(): void {
    this.transport.close()
  }

  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options)
    if (response.status >= 200 && response.status < 300) return parseBody<T>(response.body)
    throw errorFromStatus(response.status, parseStatus(response.body), options.what ?? `${method} ${path}`)
  }

  async raw(method: string, path: string, options: RequestOptions = {}): Promise<RawResponse> {
    const response = await this.send(method, path, options)
    return {status: response.status, body: response.body}
  }

  async reachable(options: {timeoutMs?: number} = {}): Promise<Reachability> {
    try {
      const response = await this.send('GET', '/version', {what: 'check the API server', retry: false, timeoutMs: options.timeoutMs ?? REACHABILITY_TIMEOUT_MS})
      return response.status < 500 ? {reachable: true} : {reachable: false, error: `HTTP ${response.status}`}
    } catch (error) {
      return {reachable: false, error: (error as Error).message}
    }
  }

  async resourceFor(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const builtin = builtinResource(apiVersion, kind)
    if (builtin) return builtin
    let resources = this.discovery.get(apiVersion)
    if (!resources) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`
      resources = this.raw('GET', path, {what: `discover ${apiVersion}`}).then((response) => {
        if (response.status === 404) return new Map<string, ResourceInfo>()
        if (response.status >= 300) throw errorFromStatus(response.status, parseStatus(response.body), `discover ${apiVersion}`)
        const list = JSON.parse(response.body) as {resources: Array<{name: string; kind: string; namespaced: boolean}>}
        const byKind = new Map<string, ResourceInfo>()
        for (const r of list.resources) if (!r.name.includes('/')) byKind.set(r.kind, {plural: r.name, namespaced: r.namespaced})
        return byKind
      })
      this.discovery.set(apiVersion, resources)
      resources.catch(() => this.discovery.delete(apiVersion))
    }
    const info = (await resources).get(kind)
    if (!info) throw new KindNotServedError(`the cluster does not serve kind ${kind} in ${apiVersion}`, {hint: 'is its CRD installed?'})
    return info
  }

  async pathFor(ref: CollectionRef & {name?: string}): Promise<string> {
    const info = await this.resourceFor(ref.apiVersion, ref.kind)
    const base = ref.apiVersion.includes('/') ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`
    const ns = info.namespaced && ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : ''
    const name = ref.name ? `/${encodeURIComponent(ref.name)}` : ''
    return `${base}${ns}/${info.plural}${name}`
  }

  async get<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, name: string, namespace?: string, options: CallOptions = {}): Promise<T | undefined> {
    const path = await this.pathFor({apiVersion, kind, namespace, name})
    const what = `get ${kind} ${name}`
    const response = await this.send('GET', path, {...options, what})
    if (response.status === 404) return undefined
    if (response.status >= 300) throw errorFromStatus(response.status, parseStatus(response.body), what)
    return JSON.parse(response.body) as T
  }

  async list<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, options: ListOptions & CallOptions = {}): Promise<ObjectList<T>> {
    const path = await this.pathFor({apiVersion, kind, namespace: options.namespace})
    return this.listPath<T>(path, apiVersion, kind, options)
  }

  async apply<T extends KubeObject = KubeObject>(object: KubeObject, options: ApplyOptions = {}): Promise<T> {
    const path = await this.pathFor({...object, namespace: object.metadata.namespace, name: object.metadata.name})
    return this.request<T>('PATCH', path, {
      body: object,
      contentType: 'application/apply-patch+yaml',
      query: {fieldManager: FIELD_MANAGER, force: options.force ?? true, dryRun: options.dryRun ? 'All' : undefined},
      what: `apply ${object.kind} ${qualifiedName(object)}`,
      conflictRetryable: (options.force ?? true) && !hasPrecondition(object),
    })
  }

  async create<T extends KubeObject = KubeObject>(object: KubeObject): Promise<T> {
    const path = await this.pathFor({...object, namespace: object.metadata.namespace})
    const what = `create ${object.kind} ${qualifiedName(object)}`
    const named = object.metadata.name !== undefined
    const response = await this.send('POST', path, {body: object, query: {fieldManager: FIELD_MANAGER}, what, idempotent: named, conflictRetryable: named})
    return this.settleWrite<T>(response, object, what)
  }

  async replace<T extends KubeObject = KubeObject>(object: KubeObject): Promise<T> {
    const path = await this.pathFor({...object, namespace: object.metadata.namespace, name: object.metadata.name})
    const what = `update ${object.kind} ${qualifiedName(object)}`
    const response = await this.send('PUT', path, {body: object, query: {fieldManager: FIELD_MANAGER}, what, idempotent: object.metadata.resourceVersion !== undefined})
    return this.settleWrite<T>(response, object, what)
  }

  async mergePatch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: unknown, subresource?: 'status' | 'scale'): Promise<T> {
    const path = (await this.pathFor(ref)) + (subresource ? `/${subresource}` : '')
    return this.request<T>('PATCH', path, {
      body: patch,
      contentType: 'application/merge-patch+json',
      query: {fieldManager: FIELD_MANAGER},
      what: `patch ${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`,
      conflictRetryable: !hasPrecondition(patch),
    })
  }

  async strategicMergePatch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: unknown, what?: string): Promise<T> {
    const path = await this.pathFor(ref)
    return this.request<T>('PATCH', path, {
      body: patch,
      contentType: 'application/strategic-merge-patch+json',
      query: {fieldManager: FIELD_MANAGER},
      what: what ?? `patch ${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`,
      conflictRetryable: !hasPrecondition(patch),
    })
  }

  async delete(ref: ObjectRef, options: DeleteOptions = {}): Promise<boolean> {
    const path = await this.pathFor(ref)
    const what = `delete ${ref.kind} ${ref.name}`
    const response = await this.send('DELETE', path, {
      body: {kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: options.propagationPolicy ?? 'Background'},
      what,
      conflictRetryable: true,
    })
    if (response.status === 404) return response.earlierAttemptMayHaveTakenEffect
    if (response.status >= 300) throw errorFromStatus(response.status, parseStatus(response.body), what)
    return true
  }

  watch<T extends KubeObject = KubeObject>(path: string, query: WatchQuery, onEvent: (event: WatchEvent<T>) => void): WatchHandle {
    const {labelSelector, fieldSelector} = query
    return resumingWatch<T>({
      transport: this.transport,
      path,
      query,
      onEvent,
      relist: () => this.listPath<T>(path, undefined, undefined, {labelSelector, fieldSelector}),
      retry: this.transport.retryOptions,
      what: `watch ${path}`,
    })
  }

  private send(method: string, path: string, options: RequestOptions): Promise<TransportResponse> {
    const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
    return this.transport.send({
      method,
      path,
      query: options.query,
      body,
      contentType: options.contentType,
      what: options.what ?? `${method} ${path}`,
      timeoutMs: options.timeoutMs,
      idempotent: options.idempotent,
      conflictRetryable: options.conflictRetryable,
      retry: options.retry,
    })
  }

  private async listPath<T extends KubeObject>(path: string, apiVersion: string | undefined, kind: string | undefined, options: ListOptions & CallOptions): Promise<ObjectList<T>> {
    const list = await this.request<{items: T[]; metadata: {resourceVersion: string}}>('GET', path, {
      query: {labelSelector: options.labelSelector, fieldSelector: options.fieldSelector},
      what: `list ${kind ?? path}`,
      timeoutMs: options.timeoutMs,
      retry: options.retry,
    })
    for (const item of list.items) {
      if (apiVersion) item.apiVersion ??= apiVersion
      if (kind) item.kind ??= kind
    }
    return {items: list.items, resourceVersion: list.metadata.resourceVersion}
  }

  /** A write's answer; a 409 that may echo our own lost write is settled by reading the object back. */
  private async settleWrite<T extends KubeObject>(response: TransportResponse, sent: KubeObject, what: string): Promise<T> {
    if (response.status >= 200 && response.status < 300) return parseBody<T>(response.body)
    if (response.status === 409 && response.earlierAttemptMayHaveTakenEffect && sent.metadata.name !== undefined) {
      const stored = await this.get<T>(sent.apiVersion, sent.kind, sent.metadata.name, sent.metadata.namespace)
      if (stored !== undefined && writeLanded(sent, stored)) return stored
    }
    throw errorFromStatus(response.status, parseStatus(response.body), what)
  }
}

/** A body carrying metadata.resourceVersion is an optimistic write: its 409 is the caller's to settle. */
function hasPrecondition(body: unknown): boolean {
  const metadata = (body as {metadata?: {resourceVersion?: unknown}} | undefined)?.metadata
  return metadata?.resourceVersion !== undefined
}

function qualifiedName(object: KubeObject): string {
  return object.metadata.namespace ? `${object.metadata.namespace}/${object.metadata.name}` : String(object.metadata.name)
}

function parseBody<T>(body: string): T {
  return (body === '' ? undefined : JSON.parse(body)) as T
}
