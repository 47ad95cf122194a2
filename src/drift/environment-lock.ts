import {ConflictError} from '../errors.js'
import {formatDuration} from '../duration.js'
import type {KubeApi} from '../kube/api.js'
import {MANAGED_BY, type KubeObject} from '../kube/types.js'
import {holdingOf, leaseDurationSeconds} from '../locks/lease.js'
import {leaseDecision, leaseSpecAfter, type LeaseSpec} from '../locks/lease-rules.js'
import {conflicts, decodeScope, describeLock, encodeScope, LOCK_LABEL, LOCK_SCOPE_ANNOTATION, lockLeaseName, type LockScope} from '../locks/lock-scope.js'
import {ROLLOUT_NAMESPACE} from '../rollout/names.js'
import {holderIsDeadLocalProcess} from '../audit/identity.js'

/**
 * The environment lock `env sync` takes (issue 11, "One lock model": {kind: environment,
 * operation: sync}), until the lead's lock I/O lands in src/locks/: this is the one place sync
 * calls, written over the deploy lease's pattern (src/locks/lease.ts), so switching is a one-line
 * change. In every region given: refuse while any other lock that conflicts (a deploy's service
 * lease, a flag rollout, another environment operation) is held and live, naming its holder; then
 * write the environment Lease with the resourceVersion read (a racing second writer gets 409).
 */

export interface EnvironmentLockOptions {
  environment: string
  holder: string
  scope?: LockScope
  durationSeconds?: number
  now?: () => number
}

export interface HeldEnvironmentLock {
  release(): Promise<void>
}

const MINE: LockScope = {kind: 'environment', operation: 'sync'}

export async function acquireEnvironmentLock(clients: ReadonlyMap<string, KubeApi>, options: EnvironmentLockOptions): Promise<HeldEnvironmentLock> {
  const held: Array<{client: KubeApi; lease: KubeObject}> = []
  const release = async () => {
    for (const {client, lease} of held.splice(0)) {
      const spec = {...(lease.spec as LeaseSpec)}
      delete spec.holderIdentity
      delete spec.renewTime
      try {
        await client.replace({...lease, spec})
      } catch (error) {
        // Taken over meanwhile (our lease expired): it is someone else's now.
        if (!(error instanceof ConflictError)) throw error
      }
    }
  }
  try {
    for (const [region, client] of clients) held.push({client, lease: await acquireIn(region, client, options)})
  } catch (error) {
    await release()
    throw error
  }
  return {release}
}

async function acquireIn(region: string, client: KubeApi, options: EnvironmentLockOptions): Promise<KubeObject> {
  const scope = options.scope ?? MINE
  const now = options.now ?? Date.now
  const name = lockLeaseName(scope)
  const leases = (await client.list('coordination.k8s.io/v1', 'Lease', {namespace: ROLLOUT_NAMESPACE})).items
  for (const lease of leases) {
    if (lease.metadata.name === name) continue
    const other = decodeScope(lease.metadata.annotations, lease.metadata.labels)
    if (!lease.metadata.labels?.[LOCK_LABEL] && !lease.metadata.labels?.['mygate.dev/rollout-service']) continue
    const holding = holdingOf(lease, now())
    if (holding && conflicts(scope, other)) throw heldError(options.environment, describeLock(other), holding.holder, holding.ageMs, region)
  }
  const existing = leases.find((lease) => lease.metadata.name === name)
  const spec = existing?.spec as LeaseSpec | undefined
  let decision = leaseDecision(spec, {holder: options.holder}, now())
  if (decision.kind === 'refuse' && holderIsDeadLocalProcess(decision.holder)) decision = {kind: 'takeOver', previousHolder: decision.holder, expiredForMs: 0}
  if (decision.kind === 'refuse') throw heldError(options.environment, describeLock(decodeScope(existing?.metadata.annotations, existing?.metadata.labels)), decision.holder, decision.ageMs, region)
  const object: KubeObject = {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name,
      namespace: ROLLOUT_NAMESPACE,
      labels: {'app.kubernetes.io/managed-by': MANAGED_BY, [LOCK_LABEL]: 'true', 'mygate.dev/environment': options.environment},
      annotations: {[LOCK_SCOPE_ANNOTATION]: encodeScope(scope)},
      ...(existing ? {resourceVersion: String(existing.metadata.resourceVersion)} : {}),
    },
    spec: leaseSpecAfter(decision, spec, {holder: options.holder}, now(), leaseDurationSeconds(options.durationSeconds ?? 300)),
  }
  try {
    return existing ? await client.replace(object) : await client.create(object)
  } catch (error) {
    if (error instanceof ConflictError) throw heldError(options.environment, 'another environment operation', 'another CLI that took the lock at the same moment', 0, region)
    throw error
  }
}

function heldError(environment: string, what: string, holder: string, ageMs: number, region: string): ConflictError {
  return new ConflictError(`environment ${environment} is locked by ${what}, held by ${holder} (for ${formatDuration(ageMs)}, region ${region}); nothing was changed`, {
    hint: `wait for it to finish, then run \`mygate env sync ${environment}\` again`,
    details: {holder, lock: what, region},
  })
}
