import {canaryReplicaSplit, effectiveWeight, virtualServiceRoutes} from '../rollout/canary-math.js'
import type {KubeApi} from '../kube/api.js'
import {APP_NAMESPACE, canaryDeploymentName} from '../rollout/names.js'
import {scaleDeployment, scaleDownIfExists} from '../strategies/workloads.js'

/**
 * How a canary's share of traffic is set. One interface, two implementations:
 * - `replicas` (no mesh): the Service selects stable and canary pods alike, so the weight is the
 *   ratio of canary to stable replicas (canaryReplicaSplit);
 * - `mesh` (environment spec.mesh): the Istio VirtualService SERVICE splits traffic between the
 *   DestinationRule subsets stable/canary by exact weights; the canary runs enough replicas for
 *   its share and stable keeps its full size.
 * Both need the canary Deployment to exist (canary-driver.ts creates it); the router only sizes
 * it and moves traffic.
 */
export interface TrafficRouter {
  readonly kind: 'mesh' | 'replicas'
  /**
   * Replica counts for a weight: what the canary must run (and be ready with) before the
   * traffic moves, and what stable runs afterwards.
   */
  replicasFor(weight: number): {stable: number; canary: number}
  /** Moves `weight` percent of traffic to the canary, whose pods are already ready. */
  shiftTraffic(weight: number): Promise<void>
  /** Everything back on stable at once: the rollback path (and the end of a promotion). */
  resetToStable(): Promise<void>
  /** The weight actually served, for the progress line ("8/2 replicas, 20% effective"). */
  describe(weight: number): string
}

export interface RouterOptions {
  client: KubeApi
  service: string
  /** Stable replicas before the rollout. */
  totalReplicas: number
  namespace?: string
}

export function replicaRatioRouter({client, service, totalReplicas, namespace = APP_NAMESPACE}: RouterOptions): TrafficRouter {
  return {
    kind: 'replicas',
    replicasFor: (weight) => canaryReplicaSplit({totalReplicas, weightPercent: weight}),
    async shiftTraffic(weight) {
      // The canary was scaled up and is ready; shrinking stable is what moves the traffic.
      const split = canaryReplicaSplit({totalReplicas, weightPercent: weight})
      await scaleDeployment(client, service, split.stable, namespace)
    },
    async resetToStable() {
      // Canary first: once its pods go, every request lands on stable, whatever stable's size.
      await Promise.all([scaleDownIfExists(client, canaryDeploymentName(service), namespace), scaleDeployment(client, service, totalReplicas, namespace)])
    },
    describe(weight) {
      const split = canaryReplicaSplit({totalReplicas, weightPercent: weight})
      return `${split.stable} stable / ${split.canary} canary replicas (${effectiveWeight(split.stable, split.canary)}% effective)`
    },
  }
}

export function meshRouter({client, service, totalReplicas, namespace = APP_NAMESPACE}: RouterOptions): TrafficRouter {
  const patchWeights = async (weight: number) => {
    const [stable, canary] = virtualServiceRoutes(weight)
    const host = `${service}.${namespace}.svc.cluster.local`
    // A merge patch replaces lists whole: the one http route is written complete.
    await client.mergePatch(
      {apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', name: service, namespace},
      {
        spec: {
          http: [
            {
              name: 'primary',
              route: [
                {destination: {host, subset: stable.subset}, weight: stable.weight},
                {destination: {host, subset: canary.subset}, weight: canary.weight},
              ],
            },
          ],
        },
      },
    )
  }
  return {
    kind: 'mesh',
    replicasFor: (weight) => ({stable: totalReplicas, canary: weight === 0 ? 0 : Math.max(1, Math.ceil((totalReplicas * weight) / 100))}),
    shiftTraffic: patchWeights,
    async resetToStable() {
      // The weight flip is what returns traffic; the canary's pods go right after.
      await patchWeights(0)
      await scaleDownIfExists(client, canaryDeploymentName(service), namespace)
    },
    describe: (weight) => `VirtualService ${100 - weight}/${weight} (stable/canary)`,
  }
}
