import type {KubeObject} from '../../kube/types.js'
import {droppedIn, podPeer, policyGeneration} from './jobs/job-network.js'
import type {ClusterView} from './network.js'

/**
 * Whether the NetworkPolicies let a pod's connection reach a pod, in the same cluster or in
 * another cluster of the environment (a member name `*.svc.clusterset.local`, README "Networking
 * between regions"), as an enforcing network plugin (Calico, Cilium, the VPC CNI's network policy
 * agent) decides it:
 * - one cluster: the source's egress and the destination's ingress, pod to pod;
 * - two clusters: each cluster knows only its own pods, so to each the other end is an address
 *   outside the cluster (https://kubernetes.io/docs/concepts/services-networking/network-policies/
 *   "ipBlock ... cluster-external IPs"): the source's cluster applies its egress policies to the
 *   destination pod's address, the destination's cluster its ingress policies to the source pod's
 *   address. The local cluster set routes pod to pod without NAT (providers/local/address-plan.ts),
 *   so those are the pods' own addresses, each from its cluster's Pod range: only `ipBlock` rules
 *   can admit them (the `*-cross-region` policies).
 * A dropped connection is never refused, it times out; the caller words it.
 */

export interface PodEnd {
  cluster: ClusterView
  pod: KubeObject
}

const podIpOf = (pod: KubeObject): string | undefined => (pod.status as {podIP?: string} | undefined)?.podIP

/**
 * Verdicts by everything they depend on (both clusters' policies and namespaces, both pods as
 * they are now, the port): the data plane asks for every pair of members at every heartbeat round.
 */
const verdicts = new Map<string, string | undefined>()
const VERDICTS_KEPT = 10_000
const podVersion = (pod: KubeObject): string => `${pod.metadata.uid}@${pod.metadata.resourceVersion}`

/** undefined when the connection goes through; otherwise why it is dropped. */
export function connectionDropped(from: PodEnd, to: PodEnd, port: number): string | undefined {
  const key = `${from.cluster.name}:${policyGeneration(from.cluster)}|${to.cluster.name}:${policyGeneration(to.cluster)}|${podVersion(from.pod)}|${podVersion(to.pod)}|${port}`
  if (verdicts.has(key)) return verdicts.get(key)
  const verdict = decide(from, to, port)
  if (verdicts.size >= VERDICTS_KEPT) verdicts.clear()
  verdicts.set(key, verdict)
  return verdict
}

function decide(from: PodEnd, to: PodEnd, port: number): string | undefined {
  if (from.cluster.name === to.cluster.name) return droppedIn(from.cluster, podPeer(from.pod), podPeer(to.pod), port)
  const fromIp = podIpOf(from.pod)
  const toIp = podIpOf(to.pod)
  // A pod without an address has no network to connect from or to.
  if (!fromIp || !toIp) return `no pod address (${fromIp ? String(to.pod.metadata.name) : String(from.pod.metadata.name)} has none)`
  const egress = droppedIn(from.cluster, podPeer(from.pod), {kind: 'external', ip: toIp}, port)
  if (egress) return `${egress} [cluster ${from.cluster.name}]`
  const ingress = droppedIn(to.cluster, {kind: 'external', ip: fromIp}, podPeer(to.pod), port)
  return ingress ? `${ingress} [cluster ${to.cluster.name}]` : undefined
}
