/**
 * Canary traffic arithmetic. Two traffic routers exist:
 * - no mesh: traffic follows the ready pods behind the Service (it selects stable and canary pods
 *   alike), so a weight is approximated by the ratio of canary to stable replicas;
 * - Istio: the VirtualService splits traffic by exact weights between the DestinationRule subsets.
 */

export interface ReplicaSplit {
  stable: number
  canary: number
}

function assertWeight(weightPercent: number): void {
  if (!Number.isInteger(weightPercent) || weightPercent < 0 || weightPercent > 100) {
    throw new RangeError(`canary weight must be a whole percentage within 0..100, got ${weightPercent}`)
  }
}

/**
 * Replica counts that serve `weightPercent` of traffic on the canary when there is no mesh.
 *
 * Rules, in order:
 * 1. weight 0: everything on stable ({stable: total, canary: 0}).
 * 2. weight 100: everything on the canary ({stable: 0, canary: total}).
 * 3. otherwise canary = total * weight / 100 rounded to the nearest whole pod, ties going to
 *    stable (the safer side), then clamped so that both tracks keep at least one pod: a canary
 *    weight above 0 must put the new version in front of some traffic, and stable must keep
 *    serving while the weight is below 100. stable = total - canary.
 * 4. With a single replica rule 3 cannot hold both tracks within the total, so one extra pod is
 *    run (a surge of 1): {stable: 1, canary: 1}, which serves 50% whatever the weight. The
 *    effective weight is reported by `effectiveWeight`, never hidden.
 *
 * Worked examples (total, weight -> stable/canary, effective weight):
 *   10, 25 -> 2.5 ties to stable  -> 8/2   (20%)
 *   10, 10 -> 1                   -> 9/1   (10%)
 *    4, 10 -> 0.4 rounds to 0, clamped to 1 -> 3/1 (25%)
 *    3, 50 -> 1.5 ties to stable  -> 2/1   (33%)
 *    3, 90 -> 2.7 rounds to 3, clamped to 2 -> 1/2 (67%)
 *    2, 50 -> 1                   -> 1/1   (50%)
 *    1, 10 -> single replica      -> 1/1   (50%)
 *    0, 50 -> nothing to split    -> 0/0
 */
export function canaryReplicaSplit({totalReplicas, weightPercent}: {totalReplicas: number; weightPercent: number}): ReplicaSplit {
  assertWeight(weightPercent)
  if (!Number.isInteger(totalReplicas) || totalReplicas < 0) {
    throw new RangeError(`replica count must be a whole number >= 0, got ${totalReplicas}`)
  }
  if (totalReplicas === 0) return {stable: 0, canary: 0}
  if (weightPercent === 0) return {stable: totalReplicas, canary: 0}
  if (weightPercent === 100) return {stable: 0, canary: totalReplicas}
  if (totalReplicas === 1) return {stable: 1, canary: 1}
  // Round half down in integers: ceil((total*weight - 50) / 100) is round(total*weight/100)
  // with x.5 going down, exactly, without floating-point surprises.
  const rounded = Math.ceil((totalReplicas * weightPercent - 50) / 100)
  const canary = Math.min(Math.max(rounded, 1), totalReplicas - 1)
  return {stable: totalReplicas - canary, canary}
}

/**
 * The canary weight actually served by replica ratio: the canary's share of ready pods, in whole
 * percent (rounded to nearest). No ready pods at all serve nothing: 0.
 *
 *   effectiveWeight(9, 1) = 10;  effectiveWeight(2, 1) = 33;  effectiveWeight(1, 2) = 67;
 *   effectiveWeight(0, 3) = 100; effectiveWeight(0, 0) = 0
 */
export function effectiveWeight(stableReady: number, canaryReady: number): number {
  const total = stableReady + canaryReady
  if (total <= 0) return 0
  return Math.round((100 * canaryReady) / total)
}

export interface WeightedRoute {
  subset: 'stable' | 'canary'
  weight: number
}

/**
 * Istio VirtualService route weights for a canary weight: stable first, the two summing to 100.
 *
 *   virtualServiceRoutes(25) = [{subset: 'stable', weight: 75}, {subset: 'canary', weight: 25}]
 */
export function virtualServiceRoutes(weightPercent: number): [WeightedRoute, WeightedRoute] {
  assertWeight(weightPercent)
  return [
    {subset: 'stable', weight: 100 - weightPercent},
    {subset: 'canary', weight: weightPercent},
  ]
}
