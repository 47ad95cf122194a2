import type {KubeConfig} from '@kubernetes/client-node'
import http from 'node:http'
import https from 'node:https'

import {UsageError} from '../errors.js'
import {errorFromNetwork, errorFromStatus, KubeStatus} from './api-error.js'
import {FIELD_MANAGER, KubeObject} from './types.js'

/** Which cluster to talk to: a kubeconfig file and a context in it. */
export interface KubeTarget {
  kubeconfigPath: string
  context: string
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>
  body?: unknown
  contentType?: string
  /** Name of what is being done, for error messages ("apply Deployment mygate/visitors"). */
  what?: string
  timeoutMs?: number
}

export interface RawResponse {
  status: number
  body: string
}

export interface ResourceInfo {
  plural: string
  namespaced: boolean
}

export interface WatchEvent<T = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'
  object: T
}

export interface WatchHandle {
  stop(): void
  /** Resolves when the stream ends (server closed it or stop() was called). */
  done: Promise<void>
}

/**
 * A small Kubernetes API client: @kubernetes/client-node supplies the kubeconfig handling and
 * authentication (exec plugins, certificates, tokens); requests go over one keep-alive agent so
 * a run of applies costs one connection. Counts requests, which the benchmarks report.
 */
export class KubeClient {
  requestCount = 0
  private readonly discovery = new Map<string, Promise<Map<string, ResourceInfo>>>()
  private readonly agent: http.Agent

  private constructor(
    private readonly kc: KubeConfig,
    readonly server: string,
    readonly context: string,
    /** Default time limit of one request (watches excepted). */
    private readonly timeoutMs: number,
  ) {
    this.agent = server.startsWith('https:') ? new https.Agent({keepAlive: true}) : new http.Agent({keepAlive: true})
  }

  static async connect(target: KubeTarget, options: {timeoutMs?: number} = {}): Promise<KubeClient> {
    const {KubeConfig} = await import('@kubernetes/client-node')
    const kc = new KubeConfig()
    kc.loadFromFile(target.kubeconfigPath)
    const names = kc.getContexts().map((c) => c.name)
    if (!names.includes(target.context)) {
      throw new UsageError(`context "${target.context}" is not in ${target.kubeconfigPath}`, {
        hint: `use one of ${names.join(', ') || '(none)'}`,
      })
    }
    kc.setCurrentContext(target.context)
    const cluster = kc.getCurrentCluster()
    if (!cluster) throw new UsageError(`context "${target.context}" names no cluster in ${target.kubeconfigPath}`)
    return new KubeClient(kc, cluster.server.replace(/\/$/, ''), target.context, options.timeoutMs ?? 30_000)
  }

  close(): void {
    this.agent.destroy()
  }

  /** One HTTP request to the API server; non-2xx answers become typed errors. */
  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.raw(method, path, options)
    if (response.status >= 200 && response.status < 300) {
      return (response.body === '' ? undefined : JSON.parse(response.body)) as T
    }
    throw errorFromStatus(response.status, parseStatus(response.body), options.what ?? `${method} ${path}`)
  }

  /** The raw response, whatever the status (used by the service proxy and for 404 checks). */
  async raw(method: string, path: string, options: RequestOptions = {}): Promise<RawResponse> {
    const url = new URL(this.server + path)
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value))
    }
    const requestOptions: https.RequestOptions = {method, headers: {Accept: 'application/json'}}
    await this.kc.applyToHTTPSOptions(requestOptions)
    const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
    const headers: Record<string, string | number> = {...(requestOptions.headers as Record<string, string>)}
    if (body !== undefined) {
      headers['Content-Type'] = options.contentType ?? 'application/json'
      headers['Content-Length'] = Buffer.byteLength(body)
    }
    this.requestCount++
    const transport = url.protocol === 'https:' ? https : http
    return new Promise<RawResponse>((resolve, reject) => {
      const req = transport.request(url, {...requestOptions, headers, agent: this.agent}, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => resolve({status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8')}))
        res.on('error', reject)
      })
      req.setTimeout(options.timeoutMs ?? this.timeoutMs, () => req.destroy(Object.assign(new Error('request timed out'), {code: 'ETIMEDOUT'})))
      req.on('error', (error: NodeJS.ErrnoException) => reject(errorFromNetwork(error, this.server, options.what ?? `${method} ${path}`)))
      if (body !== undefined) req.write(body)
      req.end()
    })
  }

  /** Resolves kind -> plural resource through API discovery (cached per group/version). */
  async resourceFor(apiVersion: string, kind: string): Promise<ResourceInfo> {
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

  /** The REST path of a collection (no name) or of one object. */
  async pathFor(ref: {apiVersion: string; kind: string; namespace?: string; name?: string}): Promise<string> {
    const info = await this.resourceFor(ref.apiVersion, ref.kind)
    const base = ref.apiVersion.includes('/') ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`
    const ns = info.namespaced && ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : ''
    const name = ref.name ? `/${encodeURIComponent(ref.name)}` : ''
    return `${base}${ns}/${info.plural}${name}`
  }

  async get<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, name: string, namespace?: string): Promise<T | undefined> {
    const path = await this.pathFor({apiVersion, kind, namespace, name})
    const response = await this.raw('GET', path, {what: `get ${kind} ${name}`})
    if (response.status === 404) return undefined
    if (response.status >= 300) throw errorFromStatus(response.status, parseStatus(response.body), `get ${kind} ${name}`)
    return JSON.parse(response.body) as T
  }

  async list<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    options: {namespace?: string; labelSelector?: string; fieldSelector?: string} = {},
  ): Promise<{items: T[]; resourceVersion: string}> {
    const path = await this.pathFor({apiVersion, kind, namespace: options.namespace})
    const list = await this.request<{items: T[]; metadata: {resourceVersion: string}}>('GET', path, {
      query: {labelSelector: options.labelSelector, fieldSelector: options.fieldSelector},
      what: `list ${kind}`,
    })
    for (const item of list.items) {
      item.apiVersion ??= apiVersion
      item.kind ??= kind
    }
    return {items: list.items, resourceVersion: list.metadata.resourceVersion}
  }

  /** Server-side apply (field manager `mygate`), creating the object when it is missing. */
  async apply<T extends KubeObject = KubeObject>(object: KubeObject, options: {force?: boolean; dryRun?: boolean} = {}): Promise<T> {
    const path = await this.pathFor({...object, namespace: object.metadata.namespace, name: object.metadata.name})
    return this.request<T>('PATCH', path, {
      body: object,
      contentType: 'application/apply-patch+yaml',
      query: {fieldManager: FIELD_MANAGER, force: options.force ?? true, dryRun: options.dryRun ? 'All' : undefined},
      what: `apply ${object.kind} ${qualifiedName(object)}`,
    })
  }

  async create<T extends KubeObject = KubeObject>(object: KubeObject): Promise<T> {
    const path = await this.pathFor({...object, namespace: object.metadata.namespace})
    return this.request<T>('POST', path, {body: object, query: {fieldManager: FIELD_MANAGER}, what: `create ${object.kind} ${qualifiedName(object)}`})
  }

  /** Full replace with optimistic concurrency: a stale resourceVersion is a ConflictError. */
  async replace<T extends KubeObject = KubeObject>(object: KubeObject): Promise<T> {
    const path = await this.pathFor({...object, namespace: object.metadata.namespace, name: object.metadata.name})
    return this.request<T>('PUT', path, {body: object, query: {fieldManager: FIELD_MANAGER}, what: `update ${object.kind} ${qualifiedName(object)}`})
  }

  async mergePatch<T extends KubeObject = KubeObject>(
    ref: {apiVersion: string; kind: string; name: string; namespace?: string},
    patch: unknown,
    subresource?: 'status' | 'scale',
  ): Promise<T> {
    const path = (await this.pathFor(ref)) + (subresource ? `/${subresource}` : '')
    return this.request<T>('PATCH', path, {
      body: patch,
      contentType: 'application/merge-patch+json',
      query: {fieldManager: FIELD_MANAGER},
      what: `patch ${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`,
    })
  }

  /** Deletes; a missing object is not an error (returns false). */
  async delete(
    ref: {apiVersion: string; kind: string; name: string; namespace?: string},
    options: {propagationPolicy?: 'Foreground' | 'Background' | 'Orphan'} = {},
  ): Promise<boolean> {
    const path = await this.pathFor(ref)
    const response = await this.raw('DELETE', path, {
      body: {kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: options.propagationPolicy ?? 'Background'},
      what: `delete ${ref.kind} ${ref.name}`,
    })
    if (response.status === 404) return false
    if (response.status >= 300) throw errorFromStatus(response.status, parseStatus(response.body), `delete ${ref.kind} ${ref.name}`)
    return true
  }

  /**
   * Streams watch events for a collection path until stop() or the server ends the stream.
   * Each newline-delimited JSON event is handed to onEvent in order.
   */
  watch<T = KubeObject>(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (event: WatchEvent<T>) => void,
  ): WatchHandle {
    let request: http.ClientRequest | undefined
    let stopped = false
    const done = (async () => {
      const url = new URL(this.server + path)
      url.searchParams.set('watch', 'true')
      url.searchParams.set('allowWatchBookmarks', 'true')
      for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value))
      const requestOptions: https.RequestOptions = {method: 'GET', headers: {Accept: 'application/json'}}
      await this.kc.applyToHTTPSOptions(requestOptions)
      this.requestCount++
      const transport = url.protocol === 'https:' ? https : http
      await new Promise<void>((resolve, reject) => {
        if (stopped) return resolve()
        request = transport.request(url, requestOptions, (res) => {
          if ((res.statusCode ?? 0) >= 300) {
            const chunks: Buffer[] = []
            res.on('data', (c: Buffer) => chunks.push(c))
            res.on('end', () => reject(errorFromStatus(res.statusCode ?? 0, parseStatus(Buffer.concat(chunks).toString()), `watch ${path}`)))
            return
          }
          let buffered = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => {
            buffered += chunk
            let newline: number
            while ((newline = buffered.indexOf('\n')) >= 0) {
              const line = buffered.slice(0, newline).trim()
              buffered = buffered.slice(newline + 1)
              if (line !== '' && !stopped) onEvent(JSON.parse(line) as WatchEvent<T>)
            }
          })
          res.on('end', () => resolve())
          res.on('error', () => resolve())
          res.on('aborted', () => resolve())
        })
        request.on('error', (error: NodeJS.ErrnoException) => (stopped ? resolve() : reject(errorFromNetwork(error, this.server, `watch ${path}`))))
        request.end()
      })
    })()
    return {
      stop() {
        stopped = true
        request?.destroy()
      },
      done,
    }
  }
}

/** The cluster has no such group/version or kind (e.g. a CRD that is not installed). */
export class KindNotServedError extends UsageError {}

export function qualifiedName(object: KubeObject): string {
  return object.metadata.namespace ? `${object.metadata.namespace}/${object.metadata.name}` : String(object.metadata.name)
}

function parseStatus(body: string): KubeStatus | undefined {
  try {
    return JSON.parse(body) as KubeStatus
  } catch {
    return body ? {message: body.slice(0, 200)} : undefined
  }
}
