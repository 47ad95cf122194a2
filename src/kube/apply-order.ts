import type {KubeObject} from './types.js'

/**
 * The one order in which objects are applied (and rendered): Helm's `InstallOrder`
 * (helm/helm pkg/release/v1/util/kind_sorter.go), the best-known statement of what a cluster
 * needs first: namespaces and policy before what lives in them, quotas and limit ranges before
 * the pods they admit, Secrets and ConfigMaps before the workloads that mount them, CRDs before
 * custom resources, RBAC before workloads, Services before the Deployments behind them.
 *
 * The custom resources mygate renders (Istio, Prometheus Operator) come after Helm's list, in
 * alphabetical order: where Helm puts kinds it does not know (last, alphabetically), so the order
 * is Helm's exactly. Any other kind sorts after them, alphabetically by kind, as in Helm.
 */
export const KIND_ORDER = [
  'PriorityClass',
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  // Custom resources mygate renders (their CRDs come first, above).
  'DestinationRule',
  'PeerAuthentication',
  'PrometheusRule',
  'VirtualService',
] as const

const RANK = new Map<string, number>(KIND_ORDER.map((kind, index) => [kind, index]))

/** Position of a kind in the apply order; every kind not listed shares the last rank. */
export function kindRank(kind: string): number {
  return RANK.get(kind) ?? KIND_ORDER.length
}

/** Apply order, then (unlisted kinds alphabetically) kind, namespace and name: one total order. */
export function compareObjects(a: KubeObject, b: KubeObject): number {
  return (
    kindRank(a.kind) - kindRank(b.kind) ||
    compareText(a.kind, b.kind) ||
    compareText(a.metadata.namespace ?? '', b.metadata.namespace ?? '') ||
    compareText(a.metadata.name ?? '', b.metadata.name ?? '')
  )
}

// Code-unit order, not localeCompare: output must not depend on the machine's locale.
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** A sorted copy, in apply order. */
export function sortObjects(objects: KubeObject[]): KubeObject[] {
  return [...objects].sort(compareObjects)
}
