import {ConflictError} from '../errors.js'
import {formatDuration} from '../duration.js'
import {MANAGED_BY, type KubeObject} from '../kube/types.js'
import {leaseDecision, leaseSpecAfter, type LeaseDecision, type LeaseSpec} from './lease-rules.js'
import {conflicts, decodeScope, describeLock, encodeScope, LOCK_LABEL, LOCK_SCOPE_ANNOTATION, lockLeaseName, type LockScope} from './lock-scope.js'
import {holderIsDeadLocalProcess} from '../audit/identity.js'
import type {KubeApi} from '../kube/api.js'
import {LABEL_ROLLOUT_SERVICE, leaseName, ROLLOUT_NAMESPACE} from '../rollout/names.js'

/**
 * Locks are coordination.k8s.io/v1 Leases in mygate-system, one per lock scope (lock-scope.ts):
 * mygate-deploy-SERVICE, mygate-flag-FLAG, mygate-environment-lock. The decision over one Lease is
 * pure (lease-rules.ts); this module reads the Lease, writes the spec the decision asks for with
 * the resourceVersion it read (two CLIs racing for a free or expired lease: the second write gets
 * 409 and is refused), renews it while the work runs and releases it at the end (holder cleared, so
 * the next one acquires at once).
 *
 * Different Leases can still exclude each other (an environment lock and a deploy): after taking
 * its own Lease a CLI lists every lock Lease and gives its own back when a live one conflicts. Two
 * CLIs racing this way both see each other and both refuse, which is safe; neither can miss the
 * other, because each lists only after its own write is stored.
 */

export const DEFAULT_LEASE_SECONDS = 15

export interface LeaseOptions {
  holder: string
  /** The service deployed: a deploy lock (the lease deploys have always taken). */
  service: string
  environment: string
  /** Default 15 s (MYGATE_LEASE_DURATION_SECONDS overrides it); renewed every third of it. */
  durationSeconds?: number
  now?: () => number
  /**
   * Take over at once from a holder that is a dead process on this host (a killed CLI being
   * resumed), instead of waiting for its lease to expire. Default true.
   */
  takeOverDeadLocalHolder?: boolean
  /**
   * Work that only reduces risk (`rollout abort`) takes its own lease, so two CLIs never drive one
   * rollout, but is not refused by other locks: the lock model lets it always go through.
   */
  reducesRisk?: boolean
}

export interface HeldLease {
  holder: string
  /** How the lease was obtained, for progress output. */
  obtained: 'acquired' | 'renewed' | 'taken over'
  previousHolder?: string
  /** Keeps the lease alive every durationSeconds/3 until release(). */
  startRenewing(onError?: (error: unknown) => void): void
  renew(): Promise<void>
  release(): Promise<void>
}

export function leaseDurationSeconds(explicit?: number): number {
  const fromEnv = Number(process.env.MYGATE_LEASE_DURATION_SECONDS)
  return explicit ?? (Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_LEASE_SECONDS)
}

/** Options of any lock: the deploy lease's, with the scope instead of a service. */
export interface LockOptions extends Omit<LeaseOptions, 'service'> {
  scope: LockScope
}

function leaseObject(scope: LockScope, environment: string, spec: LeaseSpec, resourceVersion?: string): KubeObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: lockLeaseName(scope),
      namespace: ROLLOUT_NAMESPACE,
      labels: {
        'app.kubernetes.io/managed-by': MANAGED_BY,
        [LOCK_LABEL]: scope.kind,
        ...(scope.kind === 'service' ? {[LABEL_ROLLOUT_SERVICE]: scope.service} : {}),
        'mygate.dev/environment': environment,
      },
      annotations: {[LOCK_SCOPE_ANNOTATION]: encodeScope(scope)},
      ...(resourceVersion === undefined ? {} : {resourceVersion}),
    },
    spec,
  }
}

function refusal(scope: LockScope, environment: string, holder: string, ageMs: number, expiresInMs: number): ConflictError {
  const expiry = `its lease expires ${formatDuration(expiresInMs)} after its last renewal if that CLI died`
  if (scope.kind === 'service') {
    const service = scope.service
    return new ConflictError(`${service} in ${environment} is being deployed by ${holder} (for ${formatDuration(ageMs)}); refusing a second deploy`, {
      hint: `wait for it to finish (\`mygate rollout status ${service} --env ${environment} --watch\`); ${expiry}`,
      details: {holder, ageMs, expiresInMs},
    })
  }
  return new ConflictError(`${describeLock(scope)} in ${environment} is already running, held by ${holder} (for ${formatDuration(ageMs)}); refusing a second one`, {
    hint: `wait for it to finish; ${expiry}`,
    details: {holder, ageMs, expiresInMs},
  })
}

function conflictRefusal(mine: LockScope, theirs: LockScope, environment: string, holding: {holder: string; ageMs: number; expiresInMs: number}): ConflictError {
  return new ConflictError(
    `refusing ${describeLock(mine)} in ${environment}: ${describeLock(theirs)} is running, held by ${holding.holder} (for ${formatDuration(holding.ageMs)})`,
    {
      hint: `wait for it to finish and try again; its lock expires ${formatDuration(holding.expiresInMs)} after its last renewal if that CLI died`,
      details: {holder: holding.holder, lock: theirs, ageMs: holding.ageMs, expiresInMs: holding.expiresInMs},
    },
  )
}

/**
 * Writes to the Lease answered 409 are settled by reading it again and deciding again, at most
 * this many times: someone else's write shows in the re-read (refused, naming them), while a
 * refusal that changed nothing (an API server shedding a write under contention) leaves the lease
 * as it was and the same decision is made again. Never a blind repeat of the write.
 */
const LEASE_WRITE_ATTEMPTS = 5

/** Acquires (or renews, or takes over) a deploy's lease, or throws ConflictError naming the holder. */
export async function acquireLease(client: KubeApi, options: LeaseOptions): Promise<HeldLease> {
  const {service, ...rest} = options
  return acquireLock(client, {...rest, scope: {kind: 'service', service, operation: 'deploy'}})
}

/**
 * Acquires the lock of `scope` in one cluster, or throws ConflictError naming the holder: of the
 * same lock, or of a live lock that conflicts with it (lock-scope.ts `conflicts`).
 */
export async function acquireLock(client: KubeApi, options: LockOptions): Promise<HeldLease> {
  const held = await acquireOwnLease(client, options)
  if (options.reducesRisk) return held
  try {
    await refuseConflictingLocks(client, options)
  } catch (error) {
    await held.release().catch(() => undefined)
    throw error
  }
  return held
}

/** The live lock Leases of other holders whose scope conflicts with `options.scope`. */
async function refuseConflictingLocks(client: KubeApi, options: LockOptions): Promise<void> {
  const now = (options.now ?? Date.now)()
  const own = lockLeaseName(options.scope)
  // Every Lease of the namespace: a deploy lease written before the lock model carries only the
  // rollout-service label, and must still refuse.
  const {items} = await client.list('coordination.k8s.io/v1', 'Lease', {namespace: ROLLOUT_NAMESPACE})
  for (const lease of items) {
    const labels = lease.metadata.labels ?? {}
    if (lease.metadata.name === own || (labels[LOCK_LABEL] === undefined && labels[LABEL_ROLLOUT_SERVICE] === undefined)) continue
    const holding = holdingOf(lease, now)
    if (holding === undefined || holding.holder === options.holder) continue
    const theirs = decodeScope(lease.metadata.annotations, lease.metadata.labels)
    if (conflicts(options.scope, theirs)) throw conflictRefusal(options.scope, theirs, options.environment, holding)
  }
}

async function acquireOwnLease(client: KubeApi, options: LockOptions): Promise<HeldLease> {
  const now = options.now ?? Date.now
  const duration = leaseDurationSeconds(options.durationSeconds)
  const {scope, environment, holder} = options
  const name = lockLeaseName(scope)
  const what = scope.kind === 'service' ? `the deploy lease of ${scope.service}` : `the lock of ${describeLock(scope)}`
  const me = {holder}

  let lease: KubeObject
  let decision: LeaseDecision
  for (let attempt = 1; ; attempt++) {
    const existing = await client.get('coordination.k8s.io/v1', 'Lease', name, ROLLOUT_NAMESPACE)
    const spec = existing?.spec as LeaseSpec | undefined
    decision = leaseDecision(spec, me, now())
    if (decision.kind === 'refuse' && options.takeOverDeadLocalHolder !== false && holderIsDeadLocalProcess(decision.holder)) {
      decision = {kind: 'takeOver', previousHolder: decision.holder, expiredForMs: 0}
    }
    if (decision.kind === 'refuse') throw refusal(scope, environment, decision.holder, decision.ageMs, decision.expiresInMs)
    const written = leaseSpecAfter(decision, spec, me, now(), duration)
    try {
      lease =
        existing === undefined
          ? await client.create(leaseObject(scope, environment, written))
          : await client.replace(leaseObject(scope, environment, written, String(existing.metadata.resourceVersion)))
      break
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error
      // Someone may have written the lease between our read and our write: the next read says
      // whether they hold it (refused above); after the last attempt, whoever holds it won.
      if (attempt < LEASE_WRITE_ATTEMPTS) continue
      const winner = await client.get('coordination.k8s.io/v1', 'Lease', name, ROLLOUT_NAMESPACE)
      const winnerSpec = winner?.spec as LeaseSpec | undefined
      throw refusal(scope, environment, winnerSpec?.holderIdentity ?? 'another CLI', 0, (winnerSpec?.leaseDurationSeconds ?? duration) * 1000)
    }
  }

  let timer: NodeJS.Timeout | undefined
  let released = false
  const held: HeldLease = {
    holder,
    obtained: decision.kind === 'acquire' ? 'acquired' : decision.kind === 'renew' ? 'renewed' : 'taken over',
    previousHolder: decision.kind === 'takeOver' ? decision.previousHolder : undefined,
    async renew() {
      if (released) return
      const currentSpec = lease.spec as LeaseSpec
      if (currentSpec.holderIdentity !== holder) throw refusal(scope, environment, String(currentSpec.holderIdentity), 0, 0)
      let basis = lease
      for (let attempt = 1; ; attempt++) {
        const renewedSpec = leaseSpecAfter({kind: 'renew'}, basis.spec as LeaseSpec, me, now(), duration)
        try {
          lease = await client.replace(leaseObject(scope, environment, renewedSpec, String(basis.metadata.resourceVersion)))
          return
        } catch (error) {
          if (!(error instanceof ConflictError) || attempt >= LEASE_WRITE_ATTEMPTS) throw error
          // Someone wrote the lease: still ours only if they did not take it.
          const fresh = await client.get('coordination.k8s.io/v1', 'Lease', name, ROLLOUT_NAMESPACE)
          const freshSpec = fresh?.spec as LeaseSpec | undefined
          if (fresh === undefined || freshSpec?.holderIdentity !== holder) {
            throw new ConflictError(`lost ${what} to ${freshSpec?.holderIdentity ?? 'nobody (deleted)'}`)
          }
          basis = fresh
        }
      }
    },
    startRenewing(onError) {
      if (timer !== undefined || released) return
      timer = setInterval(() => {
        held.renew().catch((error: unknown) => onError?.(error))
      }, Math.max(250, (duration * 1000) / 3))
      timer.unref()
    },
    async release() {
      if (released) return
      released = true
      if (timer !== undefined) clearInterval(timer)
      let basis = lease
      for (let attempt = 1; ; attempt++) {
        // Released = no holder: the next deploy acquires at once (leaseDecision 'acquire').
        const releasedSpec: LeaseSpec = {...(basis.spec as LeaseSpec)}
        delete releasedSpec.holderIdentity
        delete releasedSpec.renewTime
        try {
          await client.replace(leaseObject(scope, environment, releasedSpec, String(basis.metadata.resourceVersion)))
          return
        } catch (error) {
          if (!(error instanceof ConflictError) || attempt >= LEASE_WRITE_ATTEMPTS) throw error
          // Someone took it over meanwhile (our renewals failed): it is theirs now, leave it.
          const fresh = await client.get('coordination.k8s.io/v1', 'Lease', name, ROLLOUT_NAMESPACE)
          if (fresh === undefined || (fresh.spec as LeaseSpec | undefined)?.holderIdentity !== holder) return
          basis = fresh
        }
      }
    },
  }
  return held
}

/** The current holder and how long it has held the lease, when the lease is held and live. */
export async function liveHolding(client: KubeApi, service: string, now = Date.now()): Promise<{holder: string; ageMs: number; expiresInMs: number} | undefined> {
  return holdingOf(await client.get('coordination.k8s.io/v1', 'Lease', leaseName(service), ROLLOUT_NAMESPACE), now)
}

/** Who holds a Lease object, when it is held, live, and not by a dead process of this host. */
export function holdingOf(lease: KubeObject | undefined, now = Date.now()): {holder: string; ageMs: number; expiresInMs: number} | undefined {
  const decision = leaseDecision(lease?.spec as LeaseSpec | undefined, {holder: '\u0000nobody'}, now)
  if (decision.kind !== 'refuse' || holderIsDeadLocalProcess(decision.holder)) return undefined
  return {holder: decision.holder, ageMs: decision.ageMs, expiresInMs: decision.expiresInMs}
}

/** The current holder, when the lease is held and live (for steering commands). */
export async function liveHolder(client: KubeApi, service: string, now = Date.now()): Promise<string | undefined> {
  return (await liveHolding(client, service, now))?.holder
}

/** The ConflictError a second deploy gets while someone holds the lease. */
export function leaseHeldError(service: string, environment: string, holding: {holder: string; ageMs: number; expiresInMs: number}): ConflictError {
  return refusal({kind: 'service', service, operation: 'deploy'}, environment, holding.holder, holding.ageMs, holding.expiresInMs)
}
