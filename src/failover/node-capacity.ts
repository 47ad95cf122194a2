import {cpuMillicores, memoryBytes} from '../catalog/quantity.js'
import type {Catalog, Tier} from '../catalog/types.js'
import type {ProviderName} from '../config/types.js'
import type {KubeApi} from '../kube/api.js'
import type {KubeObject} from '../kube/types.js'
import type {CloudNodeGroups} from '../providers/cloud-failover.js'
import {
  type GroupSize,
  type LiveNodeGroup,
  type Resources,
  describeSize,
  lowerToStandby,
  nodesFor,
  plannedGroupSizes,
  raiseToFull,
  sameSize,
} from '../providers/node-group-sizing.js'
import {CAPACITY_LABEL, ON_DEMAND_GROUP, SPOT_GROUP} from '../providers/node-groups.js'
import type {CheckResult} from './checks.js'

/**
 * Node groups follow the failover (issue 11): the region that takes over gets the tier's full
 * node group sizes before its workloads are scaled up, the region that stops serving goes to its
 * standby sizes once its apps are scaled down, never below what its remaining pods need. And the
 * readiness check "node capacity for full scale is available or can be requested", with what it
 * measured. Sizes are decided in src/providers/node-group-sizing.ts; the cloud calls are behind
 * CloudNodeGroups (EKS UpdateNodegroupConfig, GKE setAutoscaling/setSize).
 */

export interface NodeGroupChange {
  group: string
  from: GroupSize
  to: GroupSize
  /** False when the group already had the size (a resumed failover). */
  changed: boolean
}

/** Which group a node belongs to: by the capacity label every mygate node group carries. */
const GROUP_BY_CAPACITY: Record<string, string> = {'on-demand': ON_DEMAND_GROUP, spot: SPOT_GROUP}

function groupOfNode(node: KubeObject): string | undefined {
  const capacity = node.metadata.labels?.[CAPACITY_LABEL]
  return capacity === undefined ? undefined : GROUP_BY_CAPACITY[capacity]
}

/** The region's groups raised to the tier's full sizes (groups the plan has that do not exist are named). */
export async function raiseNodeGroups(groups: CloudNodeGroups, input: {region: string; tier: Tier; catalog: Catalog}): Promise<{changes: NodeGroupChange[]; missing: string[]}> {
  const planned = plannedGroupSizes(input.tier, input.catalog.services, 'full')
  const live = await groups.read(input.region, [...planned.keys()])
  const changes: NodeGroupChange[] = []
  for (const group of live) {
    const target = raiseToFull(group.size, planned.get(group.name)!)
    changes.push({group: group.name, from: group.size, to: target, changed: sameSize(group.size, target) ? false : await groups.resize(input.region, group.name, target)})
  }
  return {changes, missing: [...planned.keys()].filter((name) => !live.some((group) => group.name === name))}
}

/**
 * The region's groups lowered to standby, each kept at the nodes its remaining pods take (their
 * requests against one of the group's nodes' allocatable). Pods being deleted do not count.
 */
export async function lowerNodeGroups(groups: CloudNodeGroups, input: {region: string; tier: Tier; catalog: Catalog; client: KubeApi}): Promise<{changes: NodeGroupChange[]}> {
  const planned = plannedGroupSizes(input.tier, input.catalog.services, 'standby')
  const live = await groups.read(input.region, [...planned.keys()])
  const needs = await nodesNeededPerGroup(input.client)
  const changes: NodeGroupChange[] = []
  for (const group of live) {
    const target = lowerToStandby(planned.get(group.name)!, needs.get(group.name) ?? 0)
    changes.push({group: group.name, from: group.size, to: target, changed: sameSize(group.size, target) ? false : await groups.resize(input.region, group.name, target)})
  }
  return {changes}
}

/** The nodes each group's running pods take, per the group's largest node. */
export async function nodesNeededPerGroup(client: KubeApi): Promise<Map<string, number>> {
  const [nodes, pods] = await Promise.all([client.list('v1', 'Node'), client.list('v1', 'Pod')])
  const groupOf = new Map<string, string>()
  const perNode = new Map<string, Resources>()
  for (const node of nodes.items) {
    const group = groupOfNode(node)
    if (!group) continue
    groupOf.set(String(node.metadata.name), group)
    const offer = allocatable(node)
    const best = perNode.get(group)
    if (!best || offer.cpuMilli > best.cpuMilli) perNode.set(group, offer)
  }
  const requested = new Map<string, Resources>()
  for (const pod of pods.items) {
    const nodeName = (pod.spec as {nodeName?: string} | undefined)?.nodeName
    const phase = (pod.status as {phase?: string} | undefined)?.phase
    const group = nodeName ? groupOf.get(nodeName) : undefined
    if (!group || phase === 'Succeeded' || phase === 'Failed' || pod.metadata.deletionTimestamp) continue
    const sum = requested.get(group) ?? {cpuMilli: 0, memoryBytes: 0}
    const own = podRequests(pod)
    requested.set(group, {cpuMilli: sum.cpuMilli + own.cpuMilli, memoryBytes: sum.memoryBytes + own.memoryBytes})
  }
  return new Map([...requested].map(([group, need]) => [group, nodesFor(need, perNode.get(group) ?? {cpuMilli: 0, memoryBytes: 0})]))
}

export function allocatable(node: KubeObject): Resources {
  const values = ((node.status as {allocatable?: Record<string, string>} | undefined)?.allocatable ?? {}) as Record<string, string>
  return {cpuMilli: values.cpu ? cpuMillicores(values.cpu) : 0, memoryBytes: values.memory ? memoryBytes(values.memory) : 0}
}

export function podRequests(pod: KubeObject): Resources {
  const total = {cpuMilli: 0, memoryBytes: 0}
  for (const container of ((pod.spec as {containers?: unknown[]} | undefined)?.containers ?? []) as Array<{resources?: {requests?: Record<string, string>}}>) {
    const requests = container.resources?.requests ?? {}
    if (requests.cpu) total.cpuMilli += cpuMillicores(requests.cpu)
    if (requests.memory) total.memoryBytes += memoryBytes(requests.memory)
  }
  return total
}

/** Lines for a step's detail: "ng-on-demand 1..3 desired 1 -> 1..3 desired 2". */
export function describeChanges(region: string, changes: readonly NodeGroupChange[], missing: readonly string[] = []): string {
  const moved = changes.filter((change) => change.changed).map((change) => `${change.group} ${describeSize(change.from)} -> ${describeSize(change.to)}`)
  const kept = changes.filter((change) => !change.changed).map((change) => `${change.group} already ${describeSize(change.to)}`)
  const absent = missing.map((name) => `${name} absent`)
  return `${region} node groups: ${[...moved, ...kept, ...absent].join(', ') || 'none'}`
}

/**
 * How far the target's node groups can grow, or why that is not known:
 * - `node-groups`: the cloud's node groups (nodes now and their maximum, summed over groups and,
 *   on a regional GKE cluster whose sizes are per zone, over zones) and what one node offers;
 * - `unknown`: local, kubeconfig, or a cloud API that did not answer. Unknown is treated as the
 *   strictest case: a shortfall then fails the check.
 */
export type NodeGrowth = {kind: 'node-groups'; nodes: number; maxNodes: number; perNode: Resources} | {kind: 'unknown'; reason: string}

/** What mygate cannot know about growing nodes on a provider without node groups of its own. */
export function growthUnknownOn(provider: ProviderName): string {
  return provider === 'local'
    ? "the local control plane's simulated nodes are all there are (no node groups to request)"
    : provider === 'kubeconfig'
      ? "whether more nodes can be requested is unknown (kubeconfig: the clusters' node groups are not mygate's)"
      : `node groups of provider ${provider} are not read`
}

/** The node groups as one growth figure for the check. */
export function growthOf(live: readonly LiveNodeGroup[], perNode: Resources): NodeGrowth {
  const total = (pick: (size: GroupSize) => number) => live.reduce((sum, group) => sum + pick(group.size) * (group.zones ?? 1), 0)
  return {kind: 'node-groups', nodes: total((size) => size.desiredSize), maxNodes: total((size) => size.maxSize), perNode}
}

/**
 * The capacity check, pure: the requests full scale adds against what the target's nodes have
 * free, and when they fall short, whether the node groups can be asked for the nodes missing.
 * Worked examples (one node offers 2000m / 8 GiB):
 *   needs 1000m, free 1500m                                  -> pass
 *   needs 3000m, free 1000m, groups at 2 of max 6           -> warn: 1 more node requested (2 -> 3 of max 6)
 *   needs 9000m, free 1000m, groups at 2 of max 4           -> fail: 4 more nodes needed, max 4
 *   needs 3000m, free 1000m, kubeconfig                     -> fail: whether more nodes can be requested is unknown
 */
export function judgeNodeCapacity(needed: Resources, free: Resources, growth: NodeGrowth): CheckResult {
  const base = `needs ${needed.cpuMilli}m CPU / ${mib(needed.memoryBytes)} Mi, free ${free.cpuMilli}m / ${mib(free.memoryBytes)} Mi`
  const fits = needed.cpuMilli <= free.cpuMilli && needed.memoryBytes <= free.memoryBytes
  if (growth.kind === 'unknown') return {check: 'capacity', verdict: fits ? 'pass' : 'fail', measured: `${base}; ${growth.reason}`}
  const groups = `node groups at ${growth.nodes} of max ${growth.maxNodes} nodes`
  if (fits) return {check: 'capacity', verdict: 'pass', measured: `${base}; ${groups}`}
  const shortfall = {cpuMilli: Math.max(0, needed.cpuMilli - free.cpuMilli), memoryBytes: Math.max(0, needed.memoryBytes - free.memoryBytes)}
  const more = nodesFor(shortfall, growth.perNode)
  if (Number.isFinite(more) && growth.nodes + more <= growth.maxNodes) {
    return {check: 'capacity', verdict: 'warn', measured: `${base}; ${more} more node(s) can be requested (${growth.nodes} -> ${growth.nodes + more} of max ${growth.maxNodes})`}
  }
  const what = Number.isFinite(more) ? `${more} more node(s) needed` : 'no node of the target offers what the shortfall needs'
  return {check: 'capacity', verdict: 'fail', measured: `${base}; ${what}, ${groups}: raise the node groups' maximum`}
}

function mib(bytes: number): number {
  return Math.round(bytes / 1024 / 1024)
}
