import {NAMESPACES} from '../config/types.js'
import type {KubeApi} from '../kube/api.js'
import {MANAGED_BY, type KubeObject} from '../kube/types.js'

/**
 * Fencing a region through its own cluster API (forced failover, issue 11): the region must not
 * come back as a second writer. Its writers (every app Deployment) go to zero replicas, their
 * autoscalers are removed (an HPA's floor of one would bring them back), and a deny-all
 * NetworkPolicy closes the apps namespace both ways. The databases are not touched: their members
 * must stay up to rejoin (and report their rollbacks) once the region is back, and the forced
 * config has already removed them from the set, so they cannot be elected.
 *
 * Simulation note: the local control plane does not enforce NetworkPolicies on its simulated
 * connections (templates/mongodb/ops/README.md); the writers at zero are what fences locally.
 */

export const FENCE_POLICY = 'mygate-failover-fence'
export const FENCED_ANNOTATION = 'mygate.dev/fenced-by'
/** The replicas a Deployment asked for before the fence, so lifting it restores what mygate does not re-render (flagd). */
export const REPLICAS_BEFORE_FENCE_ANNOTATION = 'mygate.dev/replicas-before-fence'

export function fencePolicy(runId: string): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: FENCE_POLICY,
      namespace: NAMESPACES.apps,
      labels: {'app.kubernetes.io/managed-by': MANAGED_BY},
      annotations: {[FENCED_ANNOTATION]: runId},
    },
    // An empty podSelector selects every pod; no rules in either direction denies everything.
    spec: {podSelector: {}, policyTypes: ['Ingress', 'Egress']},
  }
}

export interface FenceOutcome {
  writersStopped: string[]
  autoscalersRemoved: number
}

export async function fenceRegion(client: KubeApi, runId: string): Promise<FenceOutcome> {
  await client.apply(fencePolicy(runId))
  const autoscalers = await client.list('autoscaling/v2', 'HorizontalPodAutoscaler', {namespace: NAMESPACES.apps})
  for (const hpa of autoscalers.items) {
    await client.delete({apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: String(hpa.metadata.name), namespace: NAMESPACES.apps})
  }
  const deployments = await client.list('apps/v1', 'Deployment', {namespace: NAMESPACES.apps})
  const writersStopped: string[] = []
  for (const deployment of deployments.items) {
    const name = String(deployment.metadata.name)
    const replicas = (deployment.spec as {replicas?: number} | undefined)?.replicas ?? 1
    if (replicas === 0 && deployment.metadata.annotations?.[FENCED_ANNOTATION]) continue
    await client.mergePatch(
      {apiVersion: 'apps/v1', kind: 'Deployment', name, namespace: NAMESPACES.apps},
      {metadata: {annotations: {[FENCED_ANNOTATION]: runId, [REPLICAS_BEFORE_FENCE_ANNOTATION]: String(replicas)}}, spec: {replicas: 0}},
    )
    writersStopped.push(name)
  }
  return {writersStopped, autoscalersRemoved: autoscalers.items.length}
}

/** Fenced: the deny-all policy is in place and no app Deployment asks for a replica. */
export async function isFenced(client: KubeApi): Promise<boolean> {
  const policy = await client.get('networking.k8s.io/v1', 'NetworkPolicy', FENCE_POLICY, NAMESPACES.apps)
  if (!policy) return false
  const deployments = await client.list('apps/v1', 'Deployment', {namespace: NAMESPACES.apps})
  return deployments.items.every((d) => ((d.spec as {replicas?: number} | undefined)?.replicas ?? 1) === 0)
}

/**
 * Lifts the fence (failback, once the region is caught up): the policy goes, and every Deployment
 * the fence stopped gets back the replicas it had (the caller then sizes the apps it renders;
 * this brings back the ones it does not, such as flagd). True when there was a fence.
 */
export async function liftFence(client: KubeApi): Promise<boolean> {
  const deployments = await client.list('apps/v1', 'Deployment', {namespace: NAMESPACES.apps})
  let lifted = false
  for (const deployment of deployments.items) {
    const annotations = deployment.metadata.annotations ?? {}
    if (annotations[FENCED_ANNOTATION] === undefined) continue
    const before = Number(annotations[REPLICAS_BEFORE_FENCE_ANNOTATION] ?? '1')
    await client.mergePatch(
      {apiVersion: 'apps/v1', kind: 'Deployment', name: String(deployment.metadata.name), namespace: NAMESPACES.apps},
      {metadata: {annotations: {[FENCED_ANNOTATION]: null, [REPLICAS_BEFORE_FENCE_ANNOTATION]: null}}, spec: {replicas: Number.isInteger(before) && before >= 0 ? before : 1}},
    )
    lifted = true
  }
  const removed = await client.delete({apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', name: FENCE_POLICY, namespace: NAMESPACES.apps})
  return removed || lifted
}
