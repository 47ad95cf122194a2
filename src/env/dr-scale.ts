import type {DrMode} from '../config/types.js'
import type {KubeObject} from '../kube/types.js'

/**
 * The secondary region of a two-region environment runs at its disaster-recovery scale:
 * - warm-standby: every service runs, apps at one replica (HPAs floor at one) so failover only
 *   has to scale up;
 * - pilot-light: only the data services (MongoDB, Redis) run; app workloads are left out and
 *   are created at failover.
 * Data services keep their full replica count in both modes, since their data must be current.
 */
export function scaleForDisasterRecovery(objects: KubeObject[], mode: DrMode): KubeObject[] {
  const appKinds = new Set(['Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'VirtualService', 'DestinationRule'])
  const isApp = (o: KubeObject) => appKinds.has(o.kind)
  if (mode === 'pilot-light') return objects.filter((o) => !isApp(o))
  return objects.flatMap((o): KubeObject[] => {
    if (o.kind === 'Deployment') {
      return [{...o, spec: {...(o.spec as Record<string, unknown>), replicas: 1}}]
    }
    if (o.kind === 'HorizontalPodAutoscaler') {
      return [{...o, spec: {...(o.spec as Record<string, unknown>), minReplicas: 1}}]
    }
    // A PDB demanding more than one available pod would block node drains at one replica.
    if (o.kind === 'PodDisruptionBudget') return []
    return [o]
  })
}
