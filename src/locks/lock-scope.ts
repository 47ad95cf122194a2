/**
 * The one lock model (issue 11): what each kind of operation locks, and which locks exclude each
 * other. Every lock is a coordination.k8s.io/v1 Lease in mygate-system (see lease.ts); this module is
 * the pure part: names, scopes and the conflict rule.
 *
 * - An environment lock covers everything: failover, restore, `env sync` and `env create` take it,
 *   in every reachable region. While it is held no deploy or flag rollout starts, and it is not
 *   granted while one runs.
 * - A service lock (one deploy at a time per service) covers that service.
 * - A flag lock covers the flag and the services that evaluate it: a flag rollout and a canary of
 *   one of those services would confound each other's analysis, and so would two flag rollouts
 *   over a shared service.
 * `rollout abort` and `flags kill` take no lock: they only reduce risk and must always go through.
 *
 * Worked examples (conflicts(a, b)):
 *   environment(failover)  vs service(billing)                       -> true
 *   service(billing)       vs service(visitors)                      -> false
 *   flag(upi-autopay: billing) vs service(billing)                  -> true
 *   flag(upi-autopay: billing) vs flag(visitor-preapproval: visitors) -> false
 */

export type LockScope =
  | {kind: 'environment'; operation: EnvironmentOperation}
  | {kind: 'service'; service: string; operation: 'deploy'}
  | {kind: 'flag'; flag: string; services: string[]; operation: 'flag-rollout'}

export type EnvironmentOperation = 'failover' | 'failback' | 'restore' | 'sync' | 'create'

/** Lease names: one per environment, per service, per flag (all in mygate-system). */
export function lockLeaseName(scope: LockScope): string {
  switch (scope.kind) {
    case 'environment':
      return 'mygate-environment-lock'
    case 'service':
      // The deploy lease's name predates the lock model; existing clusters hold it under this name.
      return `mygate-deploy-${scope.service}`
    case 'flag':
      return `mygate-flag-${scope.flag}`
  }
}

/** The services a lock covers; undefined means all of them (an environment lock). */
export function coveredServices(scope: LockScope): ReadonlySet<string> | undefined {
  switch (scope.kind) {
    case 'environment':
      return undefined
    case 'service':
      return new Set([scope.service])
    case 'flag':
      return new Set(scope.services)
  }
}

/**
 * True when two locks may not be held at once by different holders. Two locks with the same Lease
 * name are the same lock (the Lease itself arbitrates them), so they are not "conflicting" here.
 */
export function conflicts(a: LockScope, b: LockScope): boolean {
  if (lockLeaseName(a) === lockLeaseName(b)) return false
  const left = coveredServices(a)
  const right = coveredServices(b)
  if (left === undefined || right === undefined) return true
  for (const service of left) if (right.has(service)) return true
  return false
}

/** What a lock is for, in a refusal message: "a failover of the environment", "a deploy of billing". */
export function describeLock(scope: LockScope): string {
  switch (scope.kind) {
    case 'environment':
      return `${scope.operation === 'sync' ? 'an env sync' : scope.operation === 'create' ? 'an env create' : `a ${scope.operation}`} of the environment`
    case 'service':
      return `a deploy of ${scope.service}`
    case 'flag':
      return `a rollout of flag ${scope.flag} (${scope.services.join(', ') || 'no services'})`
  }
}

/** The annotation a lock's Lease carries its scope in, so any machine can read what it covers. */
export const LOCK_SCOPE_ANNOTATION = 'mygate.dev/lock-scope'
/** The label every lock Lease carries, to list them all in one request. */
export const LOCK_LABEL = 'mygate.dev/lock'

export function encodeScope(scope: LockScope): string {
  return JSON.stringify(scope)
}

/**
 * Reads a Lease's scope. A deploy Lease written before the lock model has no annotation but a
 * rollout-service label: it is a service lock. Anything unreadable is treated as an environment
 * lock, the strictest reading (unknown means strictest).
 */
export function decodeScope(annotations: Record<string, string> | undefined, labels: Record<string, string> | undefined): LockScope {
  const text = annotations?.[LOCK_SCOPE_ANNOTATION]
  if (text === undefined) {
    const service = labels?.['mygate.dev/rollout-service']
    if (service) return {kind: 'service', service, operation: 'deploy'}
    return {kind: 'environment', operation: 'failover'}
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockScope> & Record<string, unknown>
    if (parsed.kind === 'service' && typeof parsed.service === 'string') return {kind: 'service', service: parsed.service, operation: 'deploy'}
    if (parsed.kind === 'flag' && typeof parsed.flag === 'string' && Array.isArray(parsed.services)) {
      return {kind: 'flag', flag: parsed.flag, services: parsed.services.filter((s): s is string => typeof s === 'string'), operation: 'flag-rollout'}
    }
    if (parsed.kind === 'environment' && typeof parsed.operation === 'string') return {kind: 'environment', operation: parsed.operation as EnvironmentOperation}
  } catch {
    // Falls through to the strictest reading.
  }
  return {kind: 'environment', operation: 'failover'}
}
