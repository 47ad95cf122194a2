import {holderIsDeadLocalProcess} from '../audit/identity.js'
import {ConflictError} from '../errors.js'
import {formatDuration} from '../duration.js'
import type {KubeApi} from '../kube/api.js'
import {MANAGED_BY, type KubeObject} from '../kube/types.js'
import {holdingOf, leaseDurationSeconds} from '../locks/lease.js'
import {leaseDecision, leaseSpecAfter, type LeaseSpec} from '../locks/lease-rules.js'
import {conflicts, decodeScope, describeLock, encodeScope, LOCK_LABEL, LOCK_SCOPE_ANNOTATION, lockLeaseName, type LockScope} from '../locks/lock-scope.js'
import {ROLLOUT_NAMESPACE} from '../rollout/names.js'

/**
 * The flag lock of issue 11's lock model, until the lead's lock I/O lands in src/locks/ (then
 * `acquireFlagLock` is switched to it, in this one place): Lease mygate-system/mygate-flag-FLAG,
 * labelled mygate.dev/lock and annotated with its scope (the flag and the services that evaluate
 * it), taken with the pure lease rules of src/locks/lease-rules.ts as src/locks/lease.ts does.
 * Before taking it, every other live lock Lease is read and the pure rule `conflicts` decides:
 * a deploy of one of the flag's services, another flag rollout over a shared service, or an
 * environment-wide operation refuses the rollout, naming its holder.
 */

export interface HeldFlagLock {
  holder: string
  obtained: 'acquired' | 'renewed' | 'taken over'
  startRenewing(onError?: (error: unknown) => void): void
  release(): Promise<void>
}

function leaseObject(scope: LockScope & {kind: 'flag'}, environment: string, spec: LeaseSpec, resourceVersion?: string): KubeObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: lockLeaseName(scope),
      namespace: ROLLOUT_NAMESPACE,
      labels: {'app.kubernetes.io/managed-by': MANAGED_BY, [LOCK_LABEL]: 'flag', 'mygate.dev/flag': scope.flag, 'mygate.dev/environment': environment},
      annotations: {[LOCK_SCOPE_ANNOTATION]: encodeScope(scope)},
      ...(resourceVersion === undefined ? {} : {resourceVersion}),
    },
    spec,
  }
}

/**
 * Every live lock that conflicts with `scope` under the lock rule: lock Leases (labelled) and the
 * deploy Leases that predate the lock model (mygate-deploy-SERVICE, read as service locks).
 */
export async function conflictingLocks(client: KubeApi, scope: LockScope, now = Date.now()): Promise<Array<{scope: LockScope; holder: string; ageMs: number}>> {
  const leases = await client.list('coordination.k8s.io/v1', 'Lease', {namespace: ROLLOUT_NAMESPACE})
  const out: Array<{scope: LockScope; holder: string; ageMs: number}> = []
  for (const lease of leases.items) {
    const labels = lease.metadata.labels
    // Deploy Leases predate the lock model: their rollout-service label reads as a service lock.
    const isLock = labels?.[LOCK_LABEL] !== undefined || labels?.['mygate.dev/rollout-service'] !== undefined
    if (!isLock || lease.metadata.name === lockLeaseName(scope)) continue
    const holding = holdingOf(lease, now)
    if (!holding) continue
    const theirs = decodeScope(lease.metadata.annotations, labels)
    if (conflicts(scope, theirs)) out.push({scope: theirs, holder: holding.holder, ageMs: holding.ageMs})
  }
  return out
}

/** The refusal for a conflicting lock: names what holds it and who. */
export function lockConflictError(mine: LockScope, theirs: {scope: LockScope; holder: string; ageMs: number}, environment: string): ConflictError {
  return new ConflictError(`${describeLock(theirs.scope)} in ${environment} is running (held by ${theirs.holder} for ${formatDuration(theirs.ageMs)}); refusing ${describeLock(mine)}: their analyses would confound each other`, {
    hint: 'wait for it to finish, then run this again',
    details: {holder: theirs.holder, scope: theirs.scope},
  })
}

export async function acquireFlagLock(
  client: KubeApi,
  options: {flag: string; services: string[]; environment: string; holder: string; durationSeconds?: number; now?: () => number},
): Promise<HeldFlagLock> {
  const now = options.now ?? Date.now
  const duration = leaseDurationSeconds(options.durationSeconds)
  const scope = {kind: 'flag', flag: options.flag, services: options.services, operation: 'flag-rollout'} as const
  const [conflict] = await conflictingLocks(client, scope, now())
  if (conflict) throw lockConflictError(scope, conflict, options.environment)

  const me = {holder: options.holder}
  const name = lockLeaseName(scope)
  const existing = await client.get('coordination.k8s.io/v1', 'Lease', name, ROLLOUT_NAMESPACE)
  const spec = existing?.spec as LeaseSpec | undefined
  let decision = leaseDecision(spec, me, now())
  if (decision.kind === 'refuse' && holderIsDeadLocalProcess(decision.holder)) decision = {kind: 'takeOver', previousHolder: decision.holder, expiredForMs: 0}
  if (decision.kind === 'refuse') {
    throw new ConflictError(`flag ${options.flag} in ${options.environment} is being rolled out by ${decision.holder} (for ${formatDuration(decision.ageMs)})`, {
      hint: `follow it with \`mygate flags rollout status ${options.flag} --env ${options.environment}\`, or stop it with \`mygate flags rollout abort ${options.flag} --env ${options.environment}\``,
    })
  }
  const written = leaseSpecAfter(decision, spec, me, now(), duration)
  let current: KubeObject
  try {
    current = existing === undefined ? await client.create(leaseObject(scope, options.environment, written)) : await client.replace(leaseObject(scope, options.environment, written, String(existing.metadata.resourceVersion)))
  } catch (error) {
    if (error instanceof ConflictError) throw new ConflictError(`flag ${options.flag} in ${options.environment} was just locked by another rollout`, {hint: `see \`mygate flags rollout status ${options.flag} --env ${options.environment}\``})
    throw error
  }
  let timer: NodeJS.Timeout | undefined
  let released = false
  const renew = async () => {
    if (released) return
    const renewed = leaseSpecAfter({kind: 'renew'}, current.spec as LeaseSpec, me, now(), duration)
    current = await client.replace(leaseObject(scope, options.environment, renewed, String(current.metadata.resourceVersion)))
  }
  return {
    holder: options.holder,
    obtained: decision.kind === 'acquire' ? 'acquired' : decision.kind === 'renew' ? 'renewed' : 'taken over',
    startRenewing(onError) {
      if (timer !== undefined) return
      timer = setInterval(() => void renew().catch((error: unknown) => onError?.(error)), Math.max(250, (duration * 1000) / 3))
      timer.unref()
    },
    async release() {
      if (released) return
      released = true
      if (timer !== undefined) clearInterval(timer)
      const releasedSpec: LeaseSpec = {...(current.spec as LeaseSpec)}
      delete releasedSpec.holderIdentity
      delete releasedSpec.renewTime
      try {
        await client.replace(leaseObject(scope, options.environment, releasedSpec, String(current.metadata.resourceVersion)))
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error
      }
    },
  }
}

/** For `mygate deploy`: refuses a deploy of `service` while a conflicting lock (a flag rollout over it) is live. */
export async function refuseDeployDuringFlagRollout(client: KubeApi, service: string, environment: string): Promise<void> {
  const scope: LockScope = {kind: 'service', service, operation: 'deploy'}
  const conflict = (await conflictingLocks(client, scope)).find((c) => c.scope.kind === 'flag')
  if (conflict) throw lockConflictError(scope, conflict, environment)
}
