/**
 * How a service's traffic splits between its versions, two ways (the two traffic routers
 * mygate uses):
 * - by mesh weights: an Istio VirtualService routes W% to a subset; within a subset the
 *   versions share by their ready pods;
 * - by replicas: without a VirtualService, kube-proxy spreads requests evenly over the ready
 *   endpoints, so each version gets its share of ready pods.
 * Shares are fractions of the service's whole traffic. Weight sent to a subset with no ready
 * pod is lost (a real mesh answers it 503 "no healthy upstream"; we have no version to charge
 * it to), so shares may sum to less than 1.
 */

/** Ready pods per version, e.g. {"1.2.0": 3, "1.3.0": 1}. */
export type ReadyByVersion = ReadonlyMap<string, number>

export function shareByReadyPods(ready: ReadyByVersion): Map<string, number> {
  const total = [...ready.values()].reduce((sum, n) => sum + n, 0)
  const shares = new Map<string, number>()
  if (total === 0) return shares
  for (const [version, count] of ready) if (count > 0) shares.set(version, count / total)
  return shares
}

export interface WeightedDestination {
  /** Istio subset name; undefined routes to the whole service. */
  subset?: string
  /** Percent; a lone destination without a weight gets 100. */
  weight?: number
}

/**
 * @param routes the destinations of the service's HTTP route
 * @param readyInSubset ready pods per version inside a subset (undefined subset = whole service)
 */
export function shareByWeights(routes: readonly WeightedDestination[], readyInSubset: (subset: string | undefined) => ReadyByVersion): Map<string, number> {
  const weights = routes.map((route) => (route.weight === undefined ? (routes.length === 1 ? 100 : 0) : Math.max(0, route.weight)))
  const total = weights.reduce((sum, w) => sum + w, 0)
  const shares = new Map<string, number>()
  if (total === 0) return shares
  routes.forEach((route, i) => {
    if (weights[i] === 0) return
    for (const [version, share] of shareByReadyPods(readyInSubset(route.subset))) {
      shares.set(version, (shares.get(version) ?? 0) + (share * weights[i]) / total)
    }
  })
  return shares
}
