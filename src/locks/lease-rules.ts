/**
 * One deploy at a time per environment and service: a coordination.k8s.io/v1 Lease. This is the
 * pure decision over the Lease's spec; the I/O layer reads the Lease, asks `leaseDecision`, and
 * writes `leaseSpecAfter(...)` with the resourceVersion it read, so two CLIs racing for an expired
 * lease cannot both win (the second update gets 409 Conflict).
 */

/** The Lease spec fields mygate uses. Times are RFC 3339 MicroTime strings. */
export interface LeaseSpec {
  holderIdentity?: string
  acquireTime?: string
  renewTime?: string
  leaseDurationSeconds?: number
  leaseTransitions?: number
}

export type LeaseDecision =
  /** No lease, or one released (no holder): take it. */
  | {kind: 'acquire'}
  /** We hold it already (a resumed CLI, or our own renewal). */
  | {kind: 'renew'}
  /** Someone else holds a live lease: refuse, naming them and how long they have held it. */
  | {kind: 'refuse'; holder: string; ageMs: number; expiresInMs: number}
  /** Someone else's lease expired (renewTime + leaseDurationSeconds < now): take it over. */
  | {kind: 'takeOver'; previousHolder: string; expiredForMs: number}

/**
 * Decides what to do with the lease for a deploy by `me`.
 *
 * Expiry uses renewTime (acquireTime when never renewed); a lease with neither, or without a
 * duration, is treated as expired, because nothing proves its holder is alive.
 *
 *   holder "ci@runner-7", renewed 20 s ago, duration 60 s, me "alice@laptop"
 *     -> refuse {holder: "ci@runner-7", ageMs: (now - acquireTime), expiresInMs: 40000}
 *   same lease renewed 61 s ago -> takeOver {previousHolder: "ci@runner-7", expiredForMs: 1000}
 */
export function leaseDecision(existing: LeaseSpec | undefined, me: {holder: string}, now: number): LeaseDecision {
  const holder = existing?.holderIdentity
  if (existing === undefined || holder === undefined || holder === '') return {kind: 'acquire'}
  if (holder === me.holder) return {kind: 'renew'}
  const renewed = parseTime(existing.renewTime) ?? parseTime(existing.acquireTime)
  const durationMs = (existing.leaseDurationSeconds ?? 0) * 1000
  if (renewed === undefined || durationMs <= 0) return {kind: 'takeOver', previousHolder: holder, expiredForMs: 0}
  const expiresAt = renewed + durationMs
  if (expiresAt < now) return {kind: 'takeOver', previousHolder: holder, expiredForMs: now - expiresAt}
  const acquired = parseTime(existing.acquireTime) ?? renewed
  return {kind: 'refuse', holder, ageMs: Math.max(0, now - acquired), expiresInMs: expiresAt - now}
}

function parseTime(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? undefined : ms
}

/** Kubernetes MicroTime: RFC 3339 with six fractional digits, "2026-11-23T12:00:00.123000Z". */
export function formatMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
}

/**
 * The spec to write after a decision other than refuse. acquire and takeOver start a new holding
 * (takeOver counts a transition, as client-go's leader election does); renew only moves renewTime.
 */
export function leaseSpecAfter(
  decision: Exclude<LeaseDecision, {kind: 'refuse'}>,
  existing: LeaseSpec | undefined,
  me: {holder: string},
  now: number,
  leaseDurationSeconds: number,
): LeaseSpec {
  const at = formatMicroTime(now)
  const transitions = existing?.leaseTransitions ?? 0
  switch (decision.kind) {
    case 'renew':
      return {...existing, holderIdentity: me.holder, renewTime: at, leaseDurationSeconds}
    case 'acquire':
      return {holderIdentity: me.holder, acquireTime: at, renewTime: at, leaseDurationSeconds, leaseTransitions: existing === undefined ? 0 : transitions + 1}
    case 'takeOver':
      return {holderIdentity: me.holder, acquireTime: at, renewTime: at, leaseDurationSeconds, leaseTransitions: transitions + 1}
  }
}
