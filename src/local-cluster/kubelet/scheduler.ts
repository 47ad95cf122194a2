import type {KubeObject} from '../../kube/types.js'
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

function podCapacity(node: KubeObject): number {
  const pods = (node.status as {allocatable?: {pods?: string}} | undefined)?.allocatable?.pods
  return pods === undefined ? Infinity : Number(pods)
}

/**
 * Picks a node for a pending pod: Ready, schedulable, taints tolerated, selector and required
 * affinity satisfied, room for another pod; among those the least loaded, then by name (so
 * replicas spread across zones). Returns the scheduler's "0/3 nodes are available" message when
 * none fits.
 */
export function pickNode(pod: KubeObject, nodes: readonly KubeObject[], podsOnNode: (nodeName: string) => number): ScheduleDecision {
  const spec = (pod.spec ?? {}) as PodSchedulingSpec
  const reasons = new Map<string, number>()
  const reject = (reason: string) => reasons.set(reason, (reasons.get(reason) ?? 0) + 1)
  const fitting: KubeObject[] = []
  for (const node of nodes) {
    if (!isNodeReady(node)) reject("node(s) had untolerated taint {node.kubernetes.io/not-ready: }")
    else if ((node.spec as {unschedulable?: boolean} | undefined)?.unschedulable) reject('node(s) were unschedulable')
    else if (((node.spec as {taints?: Taint[]} | undefined)?.taints ?? []).some((taint) => (taint.effect === 'NoSchedule' || taint.effect === 'NoExecute') && !tolerates(spec.tolerations ?? [], taint)))
      reject('node(s) had untolerated taint')
    else if (!nodeMatchesPod(node, spec)) reject("node(s) didn't match Pod's node affinity/selector")
    else if (podsOnNode(node.metadata.name as string) >= podCapacity(node)) reject('Too many pods')
    else fitting.push(node)
  }
  if (fitting.length > 0) {
    const best = [...fitting].sort((a, b) => podsOnNode(a.metadata.name as string) - podsOnNode(b.metadata.name as string) || String(a.metadata.name).localeCompare(String(b.metadata.name)))[0]
    return {nodeName: best.metadata.name as string}
  }
  const detail = [...reasons].map(([reason, count]) => `${count} ${reason}`).sort().join(', ')
  return {unschedulable: `0/${nodes.length} nodes are available${detail ? `: ${detail}` : ''}. preemption: 0/${nodes.length} nodes are available: ${nodes.length} Preemption is not helpful for scheduling.`}
}
