/**
 * The one retry policy for the Kubernetes API, as pure decisions (the transport carries them out).
 *
 * What is retried:
 * - only requests whose repetition cannot change the outcome: GET/HEAD (reads, lists, watches),
 *   DELETE, server-side apply, JSON merge and strategic merge patches (they set fields to given
 *   values: applying one twice leaves the object as applying it once, RFC 7386 section 1), and
 *   PUT or JSON patch only when the caller says so, i.e. when they carry a resourceVersion
 *   precondition (`idempotent: true`). A POST is never retried here; `KubeClient.create` retries
 *   its own POST and settles an AlreadyExists answer by reading the object back (see client.ts).
 * - on 429 (honouring Retry-After), 500, 502, 503 and 504, and on dropped connections: ECONNRESET
 *   (Node's "socket hang up" included) and EPIPE, where a kept-alive socket died under the request.
 *   ECONNREFUSED is retried only when this client's server has answered before: a server that
 *   answered and now refuses is restarting (a control-plane upgrade, the local daemon), while one
 *   that never answered is most likely down or misconfigured, and saying so at once keeps
 *   reachability checks fast.
 * - with jittered exponential backoff (equal jitter: half the step fixed, half random), within an
 *   overall deadline: no wait ends after it, and once it is reached the last answer or error
 *   stands. A Retry-After longer than what is left of the deadline ends the retries at once.
 *
 * 409 is retried only for writes whose body does not depend on the object's current state (a
 * forced server-side apply, a merge patch or a DELETE without a resourceVersion precondition, the
 * POST of a named object): re-sending one is what "re-read and decide again" comes to, since the
 * decision reads nothing. kubectl does the same for its apply patches (k8s.io/kubectl
 * pkg/cmd/apply/patcher.go retries a conflicting patch up to maxPatchRetry = 5 times), and the
 * API server itself re-runs unconditional updates on a storage conflict (GuaranteedUpdate), so a
 * 409 there is a passing race. An AlreadyExists answer is never repeated (client.ts settles it).
 *
 * Never retried: 409 on an optimistic write (a PUT or patch carrying the resourceVersion it read:
 * the caller re-reads and decides; on a Lease it means the race was lost), other 4xx, and the
 * request's own time-out (it is the caller's budget for one request).
 */

export interface RetryOptions {
  /** Overall budget of one request, retries and waits included. */
  deadlineMs: number
  /** First backoff step; each retry doubles it up to maxDelayMs. */
  initialDelayMs: number
  maxDelayMs: number
  /** Random source in [0, 1) for the jitter (tests pass a fixed one). */
  random?: () => number
}

/** The defaults, stated once. */
export const DEFAULT_RETRY: Readonly<RetryOptions> = {deadlineMs: 10_000, initialDelayMs: 100, maxDelayMs: 2_000}

/** Default time limit of one request (watches excepted), separate from the retry deadline. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000

/** Time limit of a reachability check: one request, no retries. */
export const REACHABILITY_TIMEOUT_MS = 3_000

export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504])

const IDEMPOTENT_PATCH_TYPES = new Set(['application/apply-patch+yaml', 'application/merge-patch+json', 'application/strategic-merge-patch+json'])

/** Whether repeating the request cannot change its outcome, by method and body type. */
export function isIdempotent(method: string, contentType?: string): boolean {
  switch (method.toUpperCase()) {
    case 'GET':
    case 'HEAD':
    case 'DELETE':
      return true
    case 'PATCH':
      return contentType !== undefined && IDEMPOTENT_PATCH_TYPES.has(contentType)
    default:
      return false
  }
}

/**
 * Whether a 409 answer may be repeated: only for a request marked `conflictRetryable` (its body
 * does not depend on the object's state, see above), and never an AlreadyExists (the object is
 * there: reading it back, not repeating the POST, settles whose it is).
 */
export function isRetryableConflict(status: number, reason: string | undefined, conflictRetryable: boolean): boolean {
  return conflictRetryable && status === 409 && reason !== 'AlreadyExists'
}

/** Network error codes that mean the connection dropped (or, with answeredBefore, was refused). */
export function isRetryableNetworkError(code: string | undefined, answeredBefore: boolean): boolean {
  if (code === 'ECONNRESET' || code === 'EPIPE') return true
  return code === 'ECONNREFUSED' && answeredBefore
}

/**
 * Whether a failed attempt may have taken effect on the server: an error status other than 429
 * (priority and fairness rejects before any handler runs) and 409 (a refused write changed nothing), or a connection that dropped after the
 * request was sent. A refused connection never reached the server.
 */
export function mayHaveTakenEffect(outcome: {status: number} | {code?: string}): boolean {
  if ('status' in outcome) return outcome.status !== 429 && outcome.status !== 409
  return outcome.code !== 'ECONNREFUSED'
}

/** Retry-After in ms: delta-seconds or an HTTP-date (RFC 9110 section 10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(header: string | string[] | undefined, now: number): number | undefined {
  const value = Array.isArray(header) ? header[0] : header
  if (value === undefined || value.trim() === '') return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

/**
 * The wait before retry number `retry` (1 = the first retry): min(max, initial * 2^(retry-1)),
 * half of it fixed and half random. Worked example with the defaults (100 ms, 2 s): retry 1 waits
 * 50-100 ms, retry 2 100-200 ms, retry 5 0.8-1.6 s, retry 6 and later 1-2 s.
 */
export function backoffDelayMs(retry: number, options: Pick<RetryOptions, 'initialDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
  const step = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.max(0, retry - 1))
  return Math.round(step / 2 + (step / 2) * random())
}

export type RetryDecision = {retry: true; delayMs: number} | {retry: false}

/**
 * After a failed attempt: wait and retry, or stop. `elapsedMs` is the time since the first
 * attempt started; `retryAfterMs` the server's Retry-After, which replaces the backoff step.
 */
export function nextRetry(
  failure: {retry: number; elapsedMs: number; retryAfterMs?: number},
  options: RetryOptions,
): RetryDecision {
  const delayMs = failure.retryAfterMs ?? backoffDelayMs(failure.retry, options, options.random)
  if (failure.elapsedMs + delayMs > options.deadlineMs) return {retry: false}
  return {retry: true, delayMs}
}
