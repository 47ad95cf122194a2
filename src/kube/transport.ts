import http from 'node:http'
import https from 'node:https'
import {setTimeout as sleep} from 'node:timers/promises'

import {isMygateError} from '../errors.js'
import {errorFromNetwork} from './api-error.js'
import type {ClusterAccess, Credentials} from './kubeconfig/access.js'
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_RETRY,
  isIdempotent,
  isRetryableConflict,
  isRetryableNetworkError,
  mayHaveTakenEffect,
  nextRetry,
  parseRetryAfter,
  RETRYABLE_STATUSES,
  type RetryOptions,
} from './retry-policy.js'

/**
 * The one HTTP transport to Kubernetes API servers: node:http/https over a keep-alive agent (a run
 * of requests costs one connection), TLS and credentials from the kubeconfig module (exec plugins
 * re-run once on a 401), a time limit per attempt, the retry policy of retry-policy.ts, request
 * counting, and streaming for watches. It speaks HTTP only: Kubernetes semantics (Status bodies,
 * discovery, watches that resume) are client.ts's.
 */

export interface TransportOptions {
  /** Time limit of one attempt (watches excepted). Default DEFAULT_REQUEST_TIMEOUT_MS. */
  timeoutMs?: number
  /** Retry settings (defaults DEFAULT_RETRY), or false for one attempt per request. */
  retry?: Partial<RetryOptions> | false
}

export interface TransportRequest {
  method: string
  /** Path below the server URL, without the query. */
  path: string
  query?: Record<string, string | number | boolean | undefined>
  body?: string
  contentType?: string
  /** What is being done, for error messages. */
  what: string
  timeoutMs?: number
  /** Default: by method and content type (retry-policy.ts isIdempotent). */
  idempotent?: boolean
  /**
   * The body does not depend on the object's current state, so a 409 Conflict (not AlreadyExists)
   * is retried like a 5xx (retry-policy.ts isRetryableConflict). Default false.
   */
  conflictRetryable?: boolean
  retry?: Partial<RetryOptions> | false
}

export interface TransportResponse {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
  /**
   * An earlier attempt of this request failed in a way that may have taken effect (a 5xx, a
   * connection dropped after sending): a 409 or 404 now may be the echo of our own lost write.
   */
  earlierAttemptMayHaveTakenEffect: boolean
}

export interface StreamHandle {
  /** Ends the stream from our side. */
  abort(): void
  /** Resolves when the stream ends, by the server or by abort(). */
  ended: Promise<void>
}

/** A failed attempt, before it becomes a typed error. */
type Failure = {kind: 'status'; response: TransportResponse} | {kind: 'network'; error: NodeJS.ErrnoException}

export class KubeTransport {
  /** HTTP requests sent (every attempt and every watch connection). */
  requestCount = 0
  private answered = false
  private readonly timeoutMs: number
  private readonly retry: RetryOptions | false
  private agent: http.Agent | undefined
  private agentCertificate: Credentials['clientCertificate']
  private readonly retiredAgents: http.Agent[] = []

  constructor(
    readonly access: ClusterAccess,
    options: TransportOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
    this.retry = options.retry === false ? false : {...DEFAULT_RETRY, ...options.retry}
  }

  /** Whether the server has answered anything yet: decides whether ECONNREFUSED is worth retrying. */
  get answeredBefore(): boolean {
    return this.answered
  }

  /** The client's retry settings (false: one attempt per request). */
  get retryOptions(): RetryOptions | false {
    return this.retry
  }

  get server(): string {
    return this.access.server
  }

  close(): void {
    this.agent?.destroy()
    for (const agent of this.retiredAgents.splice(0)) agent.destroy()
    this.agent = undefined
  }

  /** Sends a request under the retry policy; resolves with the last answer, rejects with a typed network error. */
  async send(request: TransportRequest): Promise<TransportResponse> {
    const policy = request.retry === false || this.retry === false ? false : {...this.retry, ...request.retry}
    const idempotent = policy !== false && (request.idempotent ?? isIdempotent(request.method, request.contentType))
    const started = Date.now()
    let mayHaveTakenEffectBefore = false
    let refreshed = false
    const attemptWithFreshCredentials = async () => {
      const response = await this.attempt(request, {refresh: false})
      // Exec credentials may be revoked before they expire: one fresh plugin run, as client-go does.
      if (response.status !== 401 || !this.access.refreshable || refreshed) return response
      refreshed = true
      return this.attempt(request, {refresh: true})
    }
    for (let retry = 1; ; retry++) {
      let failure: Failure
      try {
        const response = await attemptWithFreshCredentials()
        const retryable = RETRYABLE_STATUSES.has(response.status) || isRetryableConflict(response.status, statusReason(response), request.conflictRetryable ?? false)
        if (!idempotent || !retryable) return {...response, earlierAttemptMayHaveTakenEffect: mayHaveTakenEffectBefore}
        failure = {kind: 'status', response: {...response, earlierAttemptMayHaveTakenEffect: mayHaveTakenEffectBefore}}
      } catch (error) {
        // Credentials that cannot be had (a failing exec plugin, an unreadable token file) speak for themselves.
        if (isMygateError(error)) throw error
        const errno = error as NodeJS.ErrnoException
        if (!idempotent || !isRetryableNetworkError(errno.code, this.answered)) throw errorFromNetwork(errno, this.server, request.what)
        failure = {kind: 'network', error: errno}
      }
      const retryAfterMs = failure.kind === 'status' ? parseRetryAfter(failure.response.headers['retry-after'], Date.now()) : undefined
      const decision = nextRetry({retry, elapsedMs: Date.now() - started, retryAfterMs}, policy as RetryOptions)
      if (!decision.retry) {
        if (failure.kind === 'network') throw errorFromNetwork(failure.error, this.server, request.what)
        return failure.response
      }
      mayHaveTakenEffectBefore ||= mayHaveTakenEffect(failure.kind === 'status' ? failure.response : failure.error)
      await sleep(decision.delayMs)
    }
  }

  /**
   * Opens one streaming GET (a watch): each complete line goes to onLine, with a function that
   * ends the stream (lines can arrive before this promise resolves). Rejects when the connection
   * fails (the raw ErrnoException, for the caller's retry decision) or the server answers with an
   * error status (a StreamRefused). `signal` cancels it, before or after the answer.
   */
  async openStream(
    request: Omit<TransportRequest, 'body' | 'contentType' | 'idempotent'>,
    onLine: (line: string, abort: () => void) => void,
    signal?: AbortSignal,
  ): Promise<StreamHandle> {
    const credentials = await this.access.credentials()
    const url = this.url(request)
    this.requestCount++
    return new Promise<StreamHandle>((resolve, reject) => {
      let aborted = false
      const abort = () => {
        aborted = true
        req.destroy()
      }
      const onSignal = () => {
        abort()
        reject(Object.assign(new Error('stream cancelled'), {code: 'ABORT_ERR'}))
      }
      signal?.addEventListener('abort', onSignal, {once: true})
      const forget = () => signal?.removeEventListener('abort', onSignal)
      const req = this.transportFor(url).request(url, {method: 'GET', headers: this.headers(credentials), agent: this.agentFor(credentials)}, (res) => {
        this.answered = true
        const status = res.statusCode ?? 0
        if (status >= 300) {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('end', () => {
            forget()
            reject(new StreamRefused(status, res.headers, Buffer.concat(chunks).toString('utf8')))
          })
          res.on('error', (error) => {
            forget()
            reject(error)
          })
          return
        }
        let buffered = ''
        res.setEncoding('utf8')
        const ended = new Promise<void>((finish) => {
          const end = () => {
            forget()
            finish()
          }
          res.on('data', (chunk: string) => {
            buffered += chunk
            let newline: number
            while ((newline = buffered.indexOf('\n')) >= 0) {
              const line = buffered.slice(0, newline).trim()
              buffered = buffered.slice(newline + 1)
              if (line !== '' && !aborted) onLine(line, abort)
            }
          })
          res.on('end', () => end())
          res.on('error', () => end())
          res.on('aborted', () => end())
          res.on('close', () => end())
        })
        resolve({abort, ended})
      })
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (aborted) return
        forget()
        reject(error)
      })
      req.end()
      if (signal?.aborted) onSignal()
    })
  }

  private url(request: Pick<TransportRequest, 'path' | 'query'>): URL {
    const url = new URL(this.server + request.path)
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value))
    }
    return url
  }

  private transportFor(url: URL): typeof http | typeof https {
    return url.protocol === 'https:' ? https : http
  }

  private headers(credentials: Credentials): Record<string, string> {
    return {Accept: 'application/json', ...credentials.headers}
  }

  /** One keep-alive agent; replaced when an exec plugin hands out a new client certificate. */
  private agentFor(credentials: Credentials): http.Agent {
    const certificate = credentials.clientCertificate
    if (this.agent && certificate === this.agentCertificate) return this.agent
    if (this.agent && certificate && this.agentCertificate && String(certificate.cert) === String(this.agentCertificate.cert)) return this.agent
    if (this.agent) this.retiredAgents.push(this.agent)
    const {tls} = this.access
    this.agentCertificate = certificate
    this.agent = this.server.startsWith('https:')
      ? new https.Agent({
          keepAlive: true,
          ...(tls.ca ? {ca: tls.ca} : {}),
          ...(certificate ? {cert: certificate.cert, key: certificate.key} : {}),
          rejectUnauthorized: !tls.insecureSkipVerify,
          ...(tls.serverName ? {servername: tls.serverName} : {}),
        })
      : new http.Agent({keepAlive: true})
    return this.agent
  }

  private async attempt(request: TransportRequest, options: {refresh: boolean}): Promise<Omit<TransportResponse, 'earlierAttemptMayHaveTakenEffect'>> {
    const credentials = await this.access.credentials({refresh: options.refresh})
    const url = this.url(request)
    const headers: Record<string, string | number> = this.headers(credentials)
    if (request.body !== undefined) {
      headers['Content-Type'] = request.contentType ?? 'application/json'
      headers['Content-Length'] = Buffer.byteLength(request.body)
    }
    this.requestCount++
    return new Promise((resolve, reject) => {
      const req = this.transportFor(url).request(url, {method: request.method, headers, agent: this.agentFor(credentials)}, (res) => {
        this.answered = true
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => resolve({status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8')}))
        res.on('error', reject)
      })
      req.setTimeout(request.timeoutMs ?? this.timeoutMs, () => req.destroy(Object.assign(new Error('request timed out'), {code: 'ETIMEDOUT'})))
      req.on('error', reject)
      if (request.body !== undefined) req.write(request.body)
      req.end()
    })
  }
}

/** The reason of a 409's Status body (AlreadyExists, Conflict), when it has one. */
function statusReason(response: {status: number; body: string}): string | undefined {
  if (response.status !== 409) return undefined
  try {
    return (JSON.parse(response.body) as {reason?: string}).reason
  } catch {
    return undefined
  }
}

/** A watch (or other stream) the server answered with an error status. */
export class StreamRefused extends Error {
  constructor(
    readonly status: number,
    readonly headers: http.IncomingHttpHeaders,
    readonly body: string,
  ) {
    super(`HTTP ${status}`)
  }
}
