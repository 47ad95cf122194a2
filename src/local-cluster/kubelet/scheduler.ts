import type {KubeObject} from '../../kube/types.js'
import {podRequests} from '../compute-resources/pod-resources.js'
import {milliValue, parseResourceList, wholeValue} from '../compute-resources/quantity.js'
import {findCondition, type Condition} from '../controllers/conditions.js'

interface NodeSelectorRequirement {
  key: string
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt' | string
  values?: string[]
}
interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[]
  matchFields?: NodeSelectorRequirement[]
}
interface Toleration {
  key?: string
  operator?: 'Exists' | 'Equal'
  value?: string
  effect?: string
}
interface Taint {
  key: string
  value?: string
  effect: string
}
interface PodSchedulingSpec {
  nodeName?: string
  nodeSelector?: Record<string, string>
  tolerations?: Toleration[]
  affinity?: {nodeAffinity?: {requiredDuringSchedulingIgnoredDuringExecution?: {nodeSelectorTerms?: NodeSelectorTerm[]}}}
}

export type ScheduleDecision = {nodeName: string} | {unschedulable: string}

function requirementMatches(requirement: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = requirement.values ?? []
  switch (requirement.operator) {
    case 'In':
      return value !== undefined && values.includes(value)
    case 'NotIn':
      return value === undefined || !values.includes(value)
    case 'Exists':
      return value !== undefined
    case 'DoesNotExist':
      return value === undefined
    case 'Gt':
      return value !== undefined && Number(value) > Number(values[0])
    case 'Lt':
      return value !== undefined && Number(value) < Number(values[0])
    default:
      return false
  }
}

/** nodeSelector and required node affinity (terms are ORed, expressions in a term ANDed). */
export function nodeMatchesPod(node: KubeObject, spec: PodSchedulingSpec): boolean {
  const labels = node.metadata.labels ?? {}
  for (const [key, value] of Object.entries(spec.nodeSelector ?? {})) if (labels[key] !== value) return false
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms
  if (terms && terms.length > 0) {
    const fields: Record<string, string | undefined> = {'metadata.name': node.metadata.name}
    const anyTerm = terms.some(
      (term) =>
        (term.matchExpressions?.length || term.matchFields?.length) &&
        (term.matchExpressions ?? []).every((r) => requirementMatches(r, labels[r.key])) &&
        (term.matchFields ?? []).every((r) => requirementMatches(r, fields[r.key])),
    )
    if (!anyTerm) return false
  }
  return true
}

function tolerates(tolerations: readonly Toleration[], taint: Taint): boolean {
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false
    if (t.operator === 'Exists') return !t.key || t.key === taint.key
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '')
  })
}

function isNodeReady(node: KubeObject): boolean {
  const conditions = (node.status as {conditions?: Condition[]} | undefined)?.conditions
  return findCondition(conditions, 'Ready')?.status === 'True'
}

/** What the pods already bound to a node take of it. */
export interface NodeUsage {
  pods: number
  /** Sum of the pods' cpu requests, in millicores. */
  cpuMilli: number
  /** Sum of the pods' memory requests, in bytes. */
  memoryBytes: number
}

export const EMPTY_USAGE: NodeUsage = Object.freeze({pods: 0, cpuMilli: 0, memoryBytes: 0})

/** The resources a pod asks a node for (its requests; pods without requests ask for nothing). */
export function podFootprint(pod: KubeObject): NodeUsage {
  const requests = podRequests(pod)
  return {pods: 1, cpuMilli: requests.cpu ? milliValue(requests.cpu) : 0, memoryBytes: requests.memory ? wholeValue(requests.memory) : 0}
}

function allocatable(node: KubeObject): {pods: number; cpuMilli: number; memoryBytes: number} {
  const list = parseResourceList((node.status as {allocatable?: unknown} | undefined)?.allocatable)
  return {
    pods: list.pods ? wholeValue(list.pods) : Infinity,
    cpuMilli: list.cpu ? milliValue(list.cpu) : Infinity,
    memoryBytes: list.memory ? wholeValue(list.memory) : Infinity,
  }
}

/**
 * NodeResourcesFit: room for one more pod and for the pod's cpu and memory requests next to what
 * the node's pods already request (every shortage is a reason, as upstream reports them).
 */
function resourceShortages(node: KubeObject, usage: NodeUsage, wanted: NodeUsage): string[] {
  const room = allocatable(node)
  const reasons: string[] = []
  if (usage.pods + 1 > room.pods) reasons.push('Too many pods')
  if (wanted.cpuMilli > 0 && usage.cpuMilli + wanted.cpuMilli > room.cpuMilli) reasons.push('Insufficient cpu')
  if (wanted.memoryBytes > 0 && usage.memoryBytes + wanted.memoryBytes > room.memoryBytes) reasons.push('Insufficient memory')
  return reasons
}

/**
 * NodeResourcesFit's default scoring (LeastAllocated): the share of cpu and memory a node would
 * still have free with the pod on it, averaged; the freest node wins, so requests spread and a
 * node is not filled while others idle (which would leave no room for a large pod later).
 */
function leastAllocatedScore(node: KubeObject, usage: NodeUsage, wanted: NodeUsage): number {
  const room = allocatable(node)
  const share = (total: number, used: number) => (Number.isFinite(total) && total > 0 ? Math.max(0, total - used) / total : 1)
  return (share(room.cpuMilli, usage.cpuMilli + wanted.cpuMilli) + share(room.memoryBytes, usage.memoryBytes + wanted.memoryBytes)) / 2
}

/** The cluster's claims and storage classes, as the scheduler's volume binding reads them. */
export interface VolumeLookup {
  claim(namespace: string | undefined, name: string): KubeObject | undefined
  storageClass(name: string): KubeObject | undefined
}

/**
 * VolumeBinding's pre-filter: a pod whose claim is missing, being deleted, or not yet bound
 * (with an Immediate storage class) fits no node. Claims of a WaitForFirstConsumer class are
 * bound after scheduling, so they pass.
 */
export function volumeBlocker(pod: KubeObject, volumes: VolumeLookup): string | undefined {
  const specVolumes = ((pod.spec as {volumes?: Array<{persistentVolumeClaim?: {claimName?: string}}>} | undefined)?.volumes ?? [])
  let unboundImmediate = false
  for (const volume of specVolumes) {
    const claimName = volume.persistentVolumeClaim?.claimName
    if (!claimName) continue
    const claim = volumes.claim(pod.metadata.namespace, claimName)
    if (!claim) return `persistentvolumeclaim "${claimName}" not found`
    if (claim.metadata.deletionTimestamp) return `persistentvolumeclaim "${claimName}" is being deleted`
    const bound = (claim.status as {phase?: string} | undefined)?.phase === 'Bound' && Boolean((claim.spec as {volumeName?: string} | undefined)?.volumeName)
    if (bound) continue
    const className = (claim.spec as {storageClassName?: string} | undefined)?.storageClassName
    const mode = className ? (volumes.storageClass(className)?.volumeBindingMode as string | undefined) : undefined
    if (mode !== 'WaitForFirstConsumer') unboundImmediate = true
  }
  return unboundImmediate ? 'pod has unbound immediate PersistentVolumeClaims' : undefined
}

/** `3 Insufficient cpu, 1 Too many pods`: reasons counted over nodes, sorted as upstream sorts the strings. */
function histogram(reasons: Map<string, number>): string {
  return [...reasons].map(([reason, count]) => `${count} ${reason}`).sort().join(', ')
}

/**
 * Picks a node for a pending pod, running the default scheduler's filters in its order:
 * NodeUnschedulable, TaintToleration (a NotReady node is tainted not-ready), NodeAffinity
 * (nodeSelector and required affinity), NodeResourcesFit (pod count, cpu and memory requests
 * against allocatable). Among the nodes that fit: the one with the most cpu and memory left free
 * (LeastAllocated), then the fewest pods, then by name (so replicas spread across zones). When none fits, the message is the scheduler's FitError with
 * the preemption post-filter's verdict, e.g.
 *
 *   0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.
 *
 * (no pod has a lower priority to evict: preemption finds no victims for resource shortages and
 * is "not helpful" for the filters it cannot change).
 */
export function pickNode(pod: KubeObject, nodes: readonly KubeObject[], usageOf: (nodeName: string) => NodeUsage, volumes?: VolumeLookup): ScheduleDecision {
  const spec = (pod.spec ?? {}) as PodSchedulingSpec
  const total = nodes.length
  const preemptionNotHelpful = `preemption: 0/${total} nodes are available: ${total} Preemption is not helpful for scheduling.`
  const blocked = volumes ? volumeBlocker(pod, volumes) : undefined
  if (blocked) return {unschedulable: `0/${total} nodes are available: ${blocked}. ${preemptionNotHelpful}`}

  const wanted = podFootprint(pod)
  const reasons = new Map<string, number>()
  const preemption = new Map<string, number>()
  const count = (map: Map<string, number>, reason: string) => map.set(reason, (map.get(reason) ?? 0) + 1)
  const unresolvable = (reason: string) => {
    count(reasons, reason)
    count(preemption, 'Preemption is not helpful for scheduling')
  }
  const fitting: KubeObject[] = []
  for (const node of nodes) {
    const name = node.metadata.name as string
    if ((node.spec as {unschedulable?: boolean} | undefined)?.unschedulable) unresolvable('node(s) were unschedulable')
    else if (!isNodeReady(node)) unresolvable('node(s) had untolerated taint {node.kubernetes.io/not-ready: }')
    else if (((node.spec as {taints?: Taint[]} | undefined)?.taints ?? []).some((taint) => (taint.effect === 'NoSchedule' || taint.effect === 'NoExecute') && !tolerates(spec.tolerations ?? [], taint)))
      unresolvable('node(s) had untolerated taint')
    else if (!nodeMatchesPod(node, spec)) unresolvable("node(s) didn't match Pod's node affinity/selector")
    else {
      const shortages = resourceShortages(node, usageOf(name), wanted)
      if (shortages.length === 0) fitting.push(node)
      else {
        for (const shortage of shortages) count(reasons, shortage)
        count(preemption, 'No preemption victims found for incoming pod')
      }
    }
  }
  if (fitting.length > 0) {
    const pods = (node: KubeObject) => usageOf(node.metadata.name as string).pods
    const free = (node: KubeObject) => leastAllocatedScore(node, usageOf(node.metadata.name as string), wanted)
    const best = [...fitting].sort((a, b) => free(b) - free(a) || pods(a) - pods(b) || String(a.metadata.name).localeCompare(String(b.metadata.name)))[0]
    return {nodeName: best.metadata.name as string}
  }
  const detail = histogram(reasons)
  const after = preemption.size > 0 ? `preemption: 0/${total} nodes are available: ${histogram(preemption)}.` : preemptionNotHelpful
  return {unschedulable: `0/${total} nodes are available${detail ? `: ${detail}` : ''}. ${after}`}
}
