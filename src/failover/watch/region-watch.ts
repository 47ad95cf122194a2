/**
 * `failover watch` as a pure state machine: what each region's probes say over time. A region is
 * declared lost only after `threshold` CONSECUTIVE failed probes, never on one blip (a slow API
 * answer, a pod restarting); one good probe makes it healthy again and starts the count over.
 * Route 53's health checks follow the same rule (a failure threshold of consecutive checks,
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html).
 *
 *   threshold 3:  fail, fail, ok, fail, fail  -> suspect twice, healthy, suspect twice: never lost
 *                 fail, fail, fail            -> lost at the third (one 'lost' transition), and
 *                 fail, ...                   -> still lost, no new transition
 *                 ok                          -> recovered
 *
 * Time comes in with each probe (`at`, epoch ms), so tests drive it with a fake clock.
 */

export type RegionCondition = 'healthy' | 'suspect' | 'lost'

export interface RegionWatch {
  region: string
  condition: RegionCondition
  /** Consecutive failed probes. */
  failures: number
  /** When the current run of failures began (epoch ms). */
  failingSince?: number
  /** When the region was declared lost (epoch ms). */
  lostAt?: number
  lastError?: string
}

export interface WatchState {
  threshold: number
  regions: RegionWatch[]
}

/** One probe of one region: did it pass, and if not, why. */
export interface RegionProbe {
  region: string
  ok: boolean
  /** Epoch ms. */
  at: number
  /** Why it failed: "API did not answer within 2s", "gateway: 0 ready pods". */
  error?: string
}

export type WatchTransition =
  | {type: 'blip'; region: string; failures: number; threshold: number; error?: string}
  | {type: 'lost'; region: string; failures: number; since: number; at: number; error?: string}
  | {type: 'recovered'; region: string; wasLost: boolean; failures: number}

export function initialWatchState(regions: readonly string[], threshold: number): WatchState {
  if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError(`threshold must be a whole number >= 1, got ${threshold}`)
  return {threshold, regions: regions.map((region) => ({region, condition: 'healthy', failures: 0}))}
}

/** Folds one round of probes into the state; the transitions say what changed. */
export function observeProbes(state: WatchState, probes: readonly RegionProbe[]): {state: WatchState; transitions: WatchTransition[]} {
  const transitions: WatchTransition[] = []
  const regions = state.regions.map((watch): RegionWatch => {
    const probe = probes.find((p) => p.region === watch.region)
    if (!probe) return watch
    if (probe.ok) {
      if (watch.failures > 0 || watch.condition !== 'healthy') transitions.push({type: 'recovered', region: watch.region, wasLost: watch.condition === 'lost', failures: watch.failures})
      return {region: watch.region, condition: 'healthy', failures: 0}
    }
    const failures = watch.failures + 1
    const failingSince = watch.failingSince ?? probe.at
    const error = probe.error
    if (watch.condition === 'lost') return {...watch, failures, lastError: error}
    if (failures >= state.threshold) {
      transitions.push({type: 'lost', region: watch.region, failures, since: failingSince, at: probe.at, ...(error === undefined ? {} : {error})})
      return {region: watch.region, condition: 'lost', failures, failingSince, lostAt: probe.at, ...(error === undefined ? {} : {lastError: error})}
    }
    transitions.push({type: 'blip', region: watch.region, failures, threshold: state.threshold, ...(error === undefined ? {} : {error})})
    return {region: watch.region, condition: 'suspect', failures, failingSince, ...(error === undefined ? {} : {lastError: error})}
  })
  return {state: {...state, regions}, transitions}
}

/** The regions lost now. */
export function lostRegions(state: WatchState): string[] {
  return state.regions.filter((r) => r.condition === 'lost').map((r) => r.region)
}

/** No region is failing (every probe of the last round passed). */
export function allHealthy(state: WatchState): boolean {
  return state.regions.every((r) => r.condition === 'healthy')
}
