import type {KubeApi} from '../kube/api.js'
import {acquireLock, type HeldLease, type LockOptions} from './lease.js'
import type {EnvironmentOperation} from './lock-scope.js'

/**
 * The environment lock (failover, failback, restore, env sync, env create) is held in every region
 * it can reach: the source region of a failover may be gone, and whichever region a later deploy
 * talks to must show the lock. Regions are locked in name order so two CLIs contend in the same
 * order; if any region refuses, the regions already locked are released and the refusal is thrown.
 */

export interface HeldEnvironmentLock {
  holder: string
  /** The regions the lock is held in (the reachable ones the caller passed). */
  regions: string[]
  /** Renews every region's lease until release(); a failed renewal is reported, not thrown. */
  startRenewing(onError?: (region: string, error: unknown) => void): void
  release(): Promise<void>
}

export interface EnvironmentLockOptions extends Omit<LockOptions, 'scope'> {
  operation: EnvironmentOperation
}

export async function acquireEnvironmentLock(clients: ReadonlyMap<string, KubeApi>, options: EnvironmentLockOptions): Promise<HeldEnvironmentLock> {
  const {operation, ...rest} = options
  const held: Array<[string, HeldLease]> = []
  try {
    for (const region of [...clients.keys()].sort()) {
      held.push([region, await acquireLock(clients.get(region) as KubeApi, {...rest, scope: {kind: 'environment', operation}})])
    }
  } catch (error) {
    await Promise.all(held.map(([, lease]) => lease.release().catch(() => undefined)))
    throw error
  }
  return {
    holder: options.holder,
    regions: held.map(([region]) => region),
    startRenewing(onError) {
      for (const [region, lease] of held) lease.startRenewing((error) => onError?.(region, error))
    },
    async release() {
      await Promise.all(held.map(([, lease]) => lease.release().catch(() => undefined)))
    },
  }
}
