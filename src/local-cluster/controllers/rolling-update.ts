/**
 * Rolling-update arithmetic of the Deployment controller, as pure functions over counts.
 *
 * Worked example: 10 replicas, maxSurge 25%, maxUnavailable 25%, old ReplicaSet at 10/10 available.
 * - Fenceposts: surge = ceil(2.5) = 3, unavailable = floor(2.5) = 2. At most 13 pods, at least 8 available.
 * - New RS scale-up: 13 - 10 = 3 room, 10 - 0 = 10 wanted -> new RS 0 -> 3 (13 pods).
 * - Old RS scale-down: minAvailable 8; room = 13 total - 8 - 3 unavailable new = 2 -> nothing
 *   unhealthy to clean; 10 available - 8 = 2 -> old RS 10 -> 8 (11 pods, 8 available).
 * - When the 3 new pods become available: new RS -> min(13 - 11, 10 - 3) = 2 more -> 5; then
 *   11 available - 8 = 3 -> old RS 8 -> 5. And so on until new = 10, old = 0.
 *
 * Edge rules from upstream (k8s.io/kubernetes pkg/controller/deployment/util):
 * - percentages scale against spec.replicas; surge rounds up, unavailable rounds down;
 * - when both resolve to 0 (e.g. 1 replica, maxSurge 0, maxUnavailable 25%) unavailable becomes 1,
 *   otherwise the rollout could never make progress;
 * - `maxUnavailable` for the Available condition is capped at spec.replicas.
 */

export type IntOrPercent = number | string

/** 25% and 25%: the API defaults for RollingUpdate. */
export const DEFAULT_MAX_SURGE: IntOrPercent = '25%'
export const DEFAULT_MAX_UNAVAILABLE: IntOrPercent = '25%'

/**
 * Resolves an int-or-percent against `total`. Returns undefined for text that is neither an
 * integer nor `N%` (the caller falls back to the default; validation is the API server's job).
 */
export function scaledValue(value: IntOrPercent | undefined, total: number, roundUp: boolean): number | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text)
  const match = /^(\d+)%$/.exec(text)
  if (!match) return undefined
  const exact = (Number(match[1]) * total) / 100
  return roundUp ? Math.ceil(exact) : Math.floor(exact)
}

export interface Fenceposts {
  maxSurge: number
  maxUnavailable: number
}

export function resolveFenceposts(
  replicas: number,
  maxSurge: IntOrPercent | undefined = DEFAULT_MAX_SURGE,
  maxUnavailable: IntOrPercent | undefined = DEFAULT_MAX_UNAVAILABLE,
): Fenceposts {
  const surge = scaledValue(maxSurge, replicas, true) ?? (scaledValue(DEFAULT_MAX_SURGE, replicas, true) as number)
  let unavailable = scaledValue(maxUnavailable, replicas, false) ?? (scaledValue(DEFAULT_MAX_UNAVAILABLE, replicas, false) as number)
  if (surge === 0 && unavailable === 0) unavailable = 1
  return {maxSurge: surge, maxUnavailable: unavailable}
}

/**
 * The new ReplicaSet's next size: grow towards spec.replicas without the total of all
 * ReplicaSets' spec.replicas passing replicas + maxSurge; shrink straight to spec.replicas.
 */
export function newReplicaSetSize(input: {replicas: number; maxSurge: number; newReplicas: number; allReplicas: number}): number {
  const {replicas, maxSurge, newReplicas, allReplicas} = input
  if (newReplicas >= replicas) return replicas
  const maxTotal = replicas + maxSurge
  if (allReplicas >= maxTotal) return newReplicas
  return newReplicas + Math.max(0, Math.min(maxTotal - allReplicas, replicas - newReplicas))
}

/** Counts of one ReplicaSet, as the scale-down arithmetic sees it. */
export interface ReplicaSetCounts {
  name: string
  /** spec.replicas */
  replicas: number
  /** status.availableReplicas */
  availableReplicas: number
}

/**
 * New spec.replicas for each old ReplicaSet (oldest first in `oldSets`), never dropping the
 * available total below replicas - maxUnavailable. Two passes, as upstream:
 * 1. scale away unhealthy (not available) old pods, up to
 *    allReplicas - minAvailable - unavailable pods of the new RS;
 * 2. scale down available old pods while more than minAvailable are available overall.
 */
export function scaleDownOldReplicaSets(input: {
  replicas: number
  maxUnavailable: number
  oldSets: readonly ReplicaSetCounts[]
  newSet: {replicas: number; availableReplicas: number} | undefined
}): Map<string, number> {
  const {replicas, maxUnavailable, oldSets, newSet} = input
  const result = new Map(oldSets.map((rs) => [rs.name, rs.replicas]))
  const oldTotal = oldSets.reduce((sum, rs) => sum + rs.replicas, 0)
  if (oldTotal === 0) return result
  const allReplicas = oldTotal + (newSet?.replicas ?? 0)
  const minAvailable = replicas - maxUnavailable
  const newUnavailable = Math.max(0, (newSet?.replicas ?? 0) - (newSet?.availableReplicas ?? 0))
  const maxScaledDown = allReplicas - minAvailable - newUnavailable
  if (maxScaledDown <= 0) return result

  let cleaned = 0
  for (const rs of oldSets) {
    if (cleaned >= maxScaledDown) break
    const current = result.get(rs.name) ?? 0
    const unhealthy = current - Math.min(current, rs.availableReplicas)
    if (current === 0 || unhealthy <= 0) continue
    const down = Math.min(maxScaledDown - cleaned, unhealthy)
    result.set(rs.name, current - down)
    cleaned += down
  }

  const available = oldSets.reduce((sum, rs) => sum + rs.availableReplicas, 0) + (newSet?.availableReplicas ?? 0)
  if (available <= minAvailable) return result
  const budget = available - minAvailable
  let scaled = 0
  for (const rs of oldSets) {
    if (scaled >= budget) break
    const current = result.get(rs.name) ?? 0
    if (current === 0) continue
    const down = Math.min(current, budget - scaled)
    result.set(rs.name, current - down)
    scaled += down
  }
  return result
}

/** maxUnavailable for the Available condition: 0 for Recreate or 0 replicas, else capped at replicas. */
export function availabilityThreshold(input: {replicas: number; strategy: 'RollingUpdate' | 'Recreate'; maxSurge?: IntOrPercent; maxUnavailable?: IntOrPercent}): number {
  if (input.strategy !== 'RollingUpdate' || input.replicas === 0) return 0
  const {maxUnavailable} = resolveFenceposts(input.replicas, input.maxSurge, input.maxUnavailable)
  return Math.min(maxUnavailable, input.replicas)
}

/** One ReplicaSet as proportional scaling sees it. */
export interface ScalableSet {
  name: string
  /** spec.replicas */
  replicas: number
  /** The deployment.kubernetes.io/max-replicas annotation: replicas + maxSurge when last scaled. */
  maxReplicasAnnotation?: number
  /** Creation time (ms), to break ties: newer first when adding, older first when removing. */
  createdAt: number
}

/**
 * Proportional scaling (upstream DeploymentController.scale, rolling case): when spec.replicas
 * changes while several ReplicaSets are active, every active set grows or shrinks in proportion
 * to its size, and the rounding leftover goes to the largest one.
 *
 * Worked example: 10 replicas, maxSurge 3, mid-rollout old 8 + new 5 (max-replicas annotation 13),
 * scaled to 20: allowed 20 + 5 = 25, to add 25 - 13 = 12. New: 5 * 25 / 13 = 9.6 -> 10 (+5);
 * old: 8 * 25 / 13 = 15.4 -> 15 (+7, within the 7 left). Result old 15, new 10.
 */
export function proportionalScale(input: {replicas: number; maxSurge: number; statusReplicas: number; sets: readonly ScalableSet[]}): Map<string, number> {
  const {replicas, maxSurge, statusReplicas} = input
  const active = input.sets.filter((rs) => rs.replicas > 0)
  const result = new Map(input.sets.map((rs) => [rs.name, rs.replicas]))
  const total = active.reduce((sum, rs) => sum + rs.replicas, 0)
  const allowed = replicas > 0 ? replicas + maxSurge : 0
  const toAdd = allowed - total
  if (toAdd === 0 || active.length === 0) return result
  const ordered = [...active].sort((a, b) => b.replicas - a.replicas || (toAdd > 0 ? b.createdAt - a.createdAt : a.createdAt - b.createdAt))
  let added = 0
  for (const rs of ordered) {
    let proportion = 0
    if (toAdd !== added) {
      let fraction: number
      if (replicas === 0) fraction = -rs.replicas
      else {
        const annotated = rs.maxReplicasAnnotation ?? statusReplicas
        fraction = annotated > 0 ? Math.round((rs.replicas * allowed) / annotated) - rs.replicas : 0
      }
      const left = toAdd - added
      proportion = toAdd > 0 ? Math.min(fraction, left) : Math.max(fraction, left)
    }
    result.set(rs.name, rs.replicas + proportion)
    added += proportion
  }
  const largest = ordered[0]
  result.set(largest.name, Math.max(0, (result.get(largest.name) ?? 0) + (toAdd - added)))
  return result
}
