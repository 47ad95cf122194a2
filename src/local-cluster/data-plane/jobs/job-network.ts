import type {KubeObject} from '../../../kube/types.js'
import {connectionAllowed, type Peer, type PodPeer} from '../../network/network-policy.js'
import {podSpecOf} from '../pod/pod-spec.js'
import type {ClusterView} from '../network.js'

/**
 * The NetworkPolicies of the Job's own cluster, applied to a connection a Job's pod opens (a
 * database Job to a member, a backup Job's transfer to object storage), as a network plugin that
 * enforces them would: a dropped connection is a time-out, never an error the tool could tell
 * apart. Connections between pods of two clusters (the clusterset names): pod-connections.ts.
 */

/** Stands in for the regional object-storage endpoint (TEST-NET-3, RFC 5737): outside the cluster, HTTPS. */
export const OBJECT_STORAGE_PEER: Peer = {kind: 'external', ip: '203.0.113.10'}
export const OBJECT_STORAGE_PORT = 443

const POLICIES = {group: 'networking.k8s.io', resource: 'networkpolicies'}
const NAMESPACES = {group: '', resource: 'namespaces'}

export function podPeer(pod: KubeObject): PodPeer {
  return {
    kind: 'pod',
    namespace: String(pod.metadata.namespace),
    labels: pod.metadata.labels ?? {},
    ports: podSpecOf(pod).containers.flatMap((c) => c.ports ?? []),
  }
}

/**
 * The cluster's NetworkPolicies, listed once per store revision: the data plane asks for every
 * pair of members at each heartbeat round, and listing sorts the whole collection.
 */
const listed = new WeakMap<object, {revision: string; policies: KubeObject[]; signature: string; generation: number}>()
function listPolicies(cluster: ClusterView): {policies: KubeObject[]; generation: number} {
  const revision = cluster.store.resourceVersion()
  const cached = listed.get(cluster.store)
  if (cached?.revision === revision) return cached
  const policies = cluster.store.listShared(POLICIES).items
  // What a verdict depends on besides the two pods: the policies and the namespaces' labels.
  const namespaces = cluster.store.listShared(NAMESPACES).items
  const signature = [...policies, ...namespaces].map((o) => `${o.metadata.uid}@${o.metadata.resourceVersion}`).join(',')
  const generation = cached === undefined ? 0 : cached.signature === signature ? cached.generation : cached.generation + 1
  const entry = {revision, policies, signature, generation}
  listed.set(cluster.store, entry)
  return entry
}
const policiesOf = (cluster: ClusterView): KubeObject[] => listPolicies(cluster).policies

/** Moves on whenever a verdict of this cluster's policies could change: a policy or a namespace changed. */
export const policyGeneration = (cluster: ClusterView): number => listPolicies(cluster).generation

/** undefined when the connection may go; otherwise why it is dropped. */
export function droppedByPolicy(cluster: ClusterView, from: KubeObject, to: Peer, port: number): string | undefined {
  return droppedIn(cluster, podPeer(from), to, port)
}

/**
 * The same, with the cluster's own policies only, for any two peers: a pod of this cluster to an
 * outside address (egress), an outside address to a pod of this cluster (ingress), or two pods.
 */
export function droppedIn(cluster: ClusterView, from: Peer, to: Peer, port: number): string | undefined {
  const policies = policiesOf(cluster)
  if (policies.length === 0) return undefined
  const namespaceLabels = (name: string): Record<string, string> | undefined => {
    const namespace = cluster.store.getShared(NAMESPACES, undefined, name)
    return namespace ? {...(namespace.metadata.labels ?? {}), 'kubernetes.io/metadata.name': name} : undefined
  }
  const verdict = connectionAllowed(policies, {from, to, port}, namespaceLabels)
  return verdict.allowed ? undefined : verdict.reason
}
