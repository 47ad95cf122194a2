import type {KubeApi} from '../kube/api.js'
import {acquireLock, type HeldLease} from '../locks/lease.js'

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
