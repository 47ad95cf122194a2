import type {KubeObject} from '../kube/types.js'

/**
 * Output order: kinds in the order they can be applied (namespaces and policy first, workloads
 * after what they reference), then namespace, then name. Unknown kinds sort last.
 */
export const KIND_ORDER = [
  'Namespace',
  'ResourceQuota',
  'LimitRange',
  'NetworkPolicy',
  'PeerAuthentication',
  'ServiceAccount',
  'Role',
  'RoleBinding',
  'ConfigMap',
  'Service',
  'StatefulSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
  'DestinationRule',
  'VirtualService',
  'PrometheusRule',
] as const

const rank = new Map<string, number>(KIND_ORDER.map((kind, index) => [kind, index]))

export function compareObjects(a: KubeObject, b: KubeObject): number {
  const byKind = (rank.get(a.kind) ?? KIND_ORDER.length) - (rank.get(b.kind) ?? KIND_ORDER.length)
  if (byKind !== 0) return byKind
  return (
    compareText(a.kind, b.kind) ||
    compareText(a.metadata.namespace ?? '', b.metadata.namespace ?? '') ||
    compareText(a.metadata.name ?? '', b.metadata.name ?? '')
  )
}

// Code-unit order, not localeCompare: output must not depend on the machine's locale.
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export function sortObjects(objects: KubeObject[]): KubeObject[] {
  return [...objects].sort(compareObjects)
}

/** `Kind namespace/name` (or `Kind name` when cluster-scoped), for messages. */
export function describeObject(object: Pick<KubeObject, 'kind' | 'metadata'>): string {
  const {namespace, name} = object.metadata ?? {}
  return namespace ? `${object.kind} ${namespace}/${name}` : `${object.kind} ${name}`
}
