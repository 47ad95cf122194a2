import type {LocalObjectStore} from '../store/object-store.js'
import type {PodLogSource} from './pod-log.js'

/** A request to `/api/v1/namespaces/NS/services/NAME[:PORT]/proxy/PATH`, handed to the proxy hook. */
export interface ServiceProxyRequest {
  namespace: string
  service: string
  /** The port part of `NAME:PORT` (a name or a number), if given. */
  port?: string
  /** What follows `/proxy`, starting with `/` (`/` when empty). */
  path: string
  query: URLSearchParams
  method: string
  body: Buffer
}

export interface ServiceProxyResponse {
  status: number
  headers?: Record<string, string>
  body: string | Buffer
}

/**
 * Serves requests the API server proxies to a service (the metrics API does this). Returning
 * undefined means "no endpoints": the server answers 503 like a real one.
 */
export type ServiceProxyHandler = (request: ServiceProxyRequest) => Promise<ServiceProxyResponse | undefined>

/** Injected API failures, evaluated per request (discovery, OpenAPI, /version, health are exempt). */
export interface ApiFaultSettings {
  /** Share of requests answered with an injected error before they run, 0..1. */
  errorRate: number
  /**
   * Statuses to answer with, used in turn: 500, 503, 429 or 409. A 409 is only ever given to a
   * write (a real server never answers a read with Conflict); a read drawn for 409 takes the
   * next status, or passes when 409 is the only one.
   */
  statuses: number[]
  /** Extra latency added to every (non-exempt) request. */
  latencyMs: number
  /**
   * Share of writes (create, update, patch, delete) that are carried out and committed, but
   * whose response is lost, 0..1: what a client sees when the server or the network fails
   * after the write, so retries must be idempotent.
   */
  lostResponseRate?: number
  /**
   * How a lost response reaches the client: `drop` closes the connection without an answer,
   * `error` answers 500/503 (the 5xx of `statuses` in turn, else 500), `both` alternates.
   * Default `both`.
   */
  lostResponse?: LostResponseMode
  /**
   * The Retry-After, in whole seconds (RFC 9110 section 10.2.3 delta-seconds), that injected 429
   * and 503 answers carry, in the header and in the Status's details.retryAfterSeconds. Default 1:
   * what kube-apiserver's own 429s carry (k8s.io/apiserver pkg/server/filters/maxinflight.go,
   * `retryAfter = "1"`). 0 lets a test retry at once: clients still take the retry path, they
   * only stop waiting the second out, which a 20% fault rate turns into minutes.
   */
  retryAfterSeconds?: number
}

export type LostResponseMode = 'drop' | 'error' | 'both'

export interface RequestHooks {
  apiFaults?: () => ApiFaultSettings | undefined
}

export type ApiServerLogger = (line: string) => void

export interface ApiServerOptions {
  store: LocalObjectStore
  /** Default 127.0.0.1. */
  host?: string
  /** Default 0: a free port. */
  port?: number
  requestHooks?: RequestHooks
  serviceProxy?: ServiceProxyHandler
  /** Container logs for GET pods/NAME/log (the kubelet's files); without it logs read empty. */
  podLogs?: PodLogSource
  logger?: ApiServerLogger
  /** Log every request (method, path, status) through the logger: for debugging clients. */
  logRequests?: boolean
  /** How often watches get a BOOKMARK when they ask for them (default 10 s). */
  bookmarkIntervalMs?: number
}

export interface ApiServerStats {
  requests: number
  byVerb: Record<string, number>
}

export interface ApiServer {
  url: string
  port: number
  close(): Promise<void>
  stats(): ApiServerStats
}
