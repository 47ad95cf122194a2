import type {KubeApi} from '../kube/api.js'
import {acquireLock, holdingOf, type HeldLease} from '../locks/lease.js'
import {lockLeaseName} from '../locks/lock-scope.js'
import {ROLLOUT_NAMESPACE} from '../rollout/names.js'

/**
 * The flag lock of issue 11's lock model: Lease mygate-system/mygate-flag-FLAG, whose scope is the
 * flag and the services that evaluate it. src/locks/lease.ts takes it and refuses, naming the
 * holder, while a conflicting live lock is held: a deploy of one of those services, another flag
 * rollout over a shared service, or an environment-wide operation (and a deploy of one of those
 * services is refused while the flag lock is held, by the same rule). `flags kill` takes no lock.
 */
export type HeldFlagLock = HeldLease

export function acquireFlagLock(
  client: KubeApi,
  options: {flag: string; services: string[]; environment: string; holder: string; durationSeconds?: number; now?: () => number},
): Promise<HeldFlagLock> {
  const {flag, services, ...rest} = options
  return acquireLock(client, {...rest, scope: {kind: 'flag', flag, services, operation: 'flag-rollout'}})
}

/**
 * Who drives a rollout of `flag` right now: the holder of its flag lock while that lock is live
 * and not held by a dead process of this host (a killed CLI). Undefined when nobody does.
 */
export async function liveFlagDriver(client: KubeApi, flag: string, services: string[]): Promise<string | undefined> {
  const name = lockLeaseName({kind: 'flag', flag, services, operation: 'flag-rollout'})
  return holdingOf(await client.get('coordination.k8s.io/v1', 'Lease', name, ROLLOUT_NAMESPACE))?.holder
}
