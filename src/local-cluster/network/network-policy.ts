import type {KubeObject} from '../../kube/types.js'
import {type LabelSelector, matchesSelector} from '../controllers/label-selector.js'

/**
 * Whether Kubernetes NetworkPolicies let one connection through, by the published rules
 * (https://kubernetes.io/docs/concepts/services-networking/network-policies/):
 * - a pod is isolated for egress (ingress) when a policy in its namespace selects it and lists
 *   Egress (Ingress) in `policyTypes` (absent `policyTypes`: Ingress, plus Egress when the policy
 *   has `egress` rules); a pod no such policy selects is not isolated in that direction;
 * - an isolated connection is allowed when some rule of some selecting policy matches both the
 *   peer and the port (rules add up; no rule ever denies); a connection needs both the source's
 *   egress and the destination's ingress;
 * - a peer is `podSelector` (pods of the policy's namespace), `namespaceSelector` (every pod of
 *   the matching namespaces), both in one entry (those pods of those namespaces), or `ipBlock`;
 *   an empty or absent `from`/`to` matches every peer, an empty or absent `ports` every port;
 * - a named port is the destination pod's container port of that name.
 * `ipBlock` is matched against addresses outside the cluster only: whether it applies to pod IPs
 * is left to the network plugin ("cluster ingress and egress mechanisms often require rewriting
 * the source or destination IP"), so a policy that relies on it to admit a pod is not portable
 * and is refused here.
 */

export interface PodPeer {
  kind: 'pod'
  namespace: string
  labels: Record<string, string>
  /** Container ports, to resolve named ports when this pod is the destination. */
  ports?: Array<{name?: string; containerPort: number; protocol?: string}>
}

/** An address outside the cluster (object storage, a cloud API). */
export interface ExternalPeer {
  kind: 'external'
  ip: string
}

export type Peer = PodPeer | ExternalPeer

export interface Connection {
  /**
   * An address outside the cluster as the source is a connection arriving from elsewhere (a pod of
   * another cluster, seen by its address or its load balancer's): only the destination's ingress
   * applies, and only `ipBlock` can admit it.
   */
  from: Peer
  to: Peer
  port: number
  protocol?: 'TCP' | 'UDP' | 'SCTP'
}

export type PolicyVerdict = {allowed: true} | {allowed: false; reason: string}

interface PolicyPeer {
  podSelector?: LabelSelector
  namespaceSelector?: LabelSelector
  ipBlock?: {cidr: string; except?: string[]}
}

interface PolicyPort {
  protocol?: string
  port?: number | string
  endPort?: number
}

interface PolicyRule {
  from?: PolicyPeer[]
  to?: PolicyPeer[]
  ports?: PolicyPort[]
}

interface PolicySpec {
  podSelector?: LabelSelector
  policyTypes?: string[]
  ingress?: PolicyRule[]
  egress?: PolicyRule[]
}

/** `namespaceLabels(name)`: the namespace's labels (with `kubernetes.io/metadata.name`), undefined when it does not exist. */
export function connectionAllowed(policies: readonly KubeObject[], connection: Connection, namespaceLabels: (name: string) => Record<string, string> | undefined): PolicyVerdict {
  const {from, to} = connection
  const egress = from.kind === 'pod' ? isolating(policies, from, 'Egress') : []
  if (from.kind === 'pod' && egress.length > 0 && !egress.some((policy) => (spec(policy).egress ?? []).some((rule) => ruleMatches(rule, rule.to, policy, to, connection, namespaceLabels)))) {
    return {allowed: false, reason: `no NetworkPolicy in ${from.namespace} lets ${describePod(from)} connect to ${describePeer(to)} port ${connection.port} (egress isolated by ${names(egress)})`}
  }
  if (to.kind === 'pod') {
    const ingress = isolating(policies, to, 'Ingress')
    if (ingress.length > 0 && !ingress.some((policy) => (spec(policy).ingress ?? []).some((rule) => ruleMatches(rule, rule.from, policy, from, connection, namespaceLabels)))) {
      return {allowed: false, reason: `no NetworkPolicy in ${to.namespace} lets ${describePeer(from)} in to ${describePod(to)} port ${connection.port} (ingress isolated by ${names(ingress)})`}
    }
  }
  return {allowed: true}
}

function spec(policy: KubeObject): PolicySpec {
  return (policy.spec ?? {}) as PolicySpec
}

function policyTypes(policy: KubeObject): string[] {
  const {policyTypes: types, egress} = spec(policy)
  return types ?? (egress ? ['Ingress', 'Egress'] : ['Ingress'])
}

function isolating(policies: readonly KubeObject[], pod: PodPeer, direction: 'Ingress' | 'Egress'): KubeObject[] {
  return policies.filter((policy) => policy.metadata.namespace === pod.namespace && policyTypes(policy).includes(direction) && matchesSelector(spec(policy).podSelector, pod.labels))
}

function ruleMatches(rule: PolicyRule, peers: PolicyPeer[] | undefined, policy: KubeObject, peer: Peer, connection: Connection, namespaceLabels: (name: string) => Record<string, string> | undefined): boolean {
  const peerOk = peers === undefined || peers.length === 0 || peers.some((p) => peerMatches(p, String(policy.metadata.namespace), peer, namespaceLabels))
  return peerOk && portMatches(rule.ports, connection)
}

function peerMatches(entry: PolicyPeer, policyNamespace: string, peer: Peer, namespaceLabels: (name: string) => Record<string, string> | undefined): boolean {
  if (entry.ipBlock) return peer.kind === 'external' && inBlock(peer.ip, entry.ipBlock)
  if (peer.kind !== 'pod') return false
  if (entry.namespaceSelector) {
    const labels = namespaceLabels(peer.namespace)
    if (!labels || !matchesSelector(entry.namespaceSelector, labels)) return false
  } else if (peer.namespace !== policyNamespace) {
    return false
  }
  return entry.podSelector === undefined || matchesSelector(entry.podSelector, peer.labels)
}

function portMatches(ports: PolicyPort[] | undefined, connection: Connection): boolean {
  if (!ports || ports.length === 0) return true
  const protocol = connection.protocol ?? 'TCP'
  return ports.some((entry) => {
    if ((entry.protocol ?? 'TCP') !== protocol) return false
    if (entry.port === undefined) return true
    if (typeof entry.port === 'number') return entry.endPort === undefined ? entry.port === connection.port : connection.port >= entry.port && connection.port <= entry.endPort
    if (/^\d+$/.test(entry.port)) return Number(entry.port) === connection.port
    // A named port is resolved on the destination pod.
    const to = connection.to
    return to.kind === 'pod' && (to.ports ?? []).some((p) => p.name === entry.port && p.containerPort === connection.port && (p.protocol ?? 'TCP') === protocol)
  })
}

function ipToNumber(ip: string): number | undefined {
  const parts = ip.split('.').map(Number)
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3]
}

export function cidrContains(cidr: string, ip: string): boolean {
  const [base, bitsText] = cidr.split('/')
  const bits = Number(bitsText ?? 32)
  const network = ipToNumber(base)
  const address = ipToNumber(ip)
  if (network === undefined || address === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return false
  if (bits === 0) return true
  const mask = (0xffffffff << (32 - bits)) >>> 0
  return ((network & mask) >>> 0) === ((address & mask) >>> 0)
}

function inBlock(ip: string, block: {cidr: string; except?: string[]}): boolean {
  return cidrContains(block.cidr, ip) && !(block.except ?? []).some((except) => cidrContains(except, ip))
}

function describePod(pod: PodPeer): string {
  const name = pod.labels['app.kubernetes.io/name'] ?? pod.labels['job-name'] ?? pod.labels['app.kubernetes.io/component']
  return name ? `pod ${pod.namespace}/${name}` : `a pod of ${pod.namespace}`
}

function describePeer(peer: Peer): string {
  return peer.kind === 'pod' ? describePod(peer) : peer.ip
}

function names(policies: KubeObject[]): string {
  return policies.map((p) => String(p.metadata.name)).join(', ')
}
