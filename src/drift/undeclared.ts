import {NAMESPACES} from '../config/types.js'
import {FIELD_MANAGER, type KubeObject} from '../kube/types.js'
import {managedFieldsOf} from './field-owners.js'
import {CONTROLLER_MANAGERS} from './drift-rules.js'

/**
 * Objects in mygate's namespaces that nothing declares, pure. Only objects made by hand count:
 *   - an object with ownerReferences belongs to its owner (ReplicaSets, Pods, ControllerRevisions);
 *   - an object no manager or only Kubernetes' controllers wrote is the control plane's own
 *     (`kube-root-ca.crt`, the `default` ServiceAccount, Endpoints, a StatefulSet's claims);
 *   - an object mygate wrote is one of its records or an operation's (environment record, rollout
 *     state and audit, leases, canary and colour Deployments, database Jobs).
 * What is left was created by a person or another tool: `kubectl create configmap` is reported
 * with its manager, `kubectl-create`.
 *
 * `env sync --prune` deletes them, except what holds or runs data: a PersistentVolumeClaim, a
 * Secret, a StatefulSet, or any workload in the data namespace (see isProtected).
 */

/** The kinds looked through for undeclared objects, besides every kind the desired state holds. */
export const SCANNED_KINDS: ReadonlyArray<{apiVersion: string; kind: string}> = [
  {apiVersion: 'v1', kind: 'ConfigMap'},
  {apiVersion: 'v1', kind: 'Secret'},
  {apiVersion: 'v1', kind: 'Service'},
  {apiVersion: 'v1', kind: 'ServiceAccount'},
  {apiVersion: 'v1', kind: 'PersistentVolumeClaim'},
  {apiVersion: 'apps/v1', kind: 'Deployment'},
  {apiVersion: 'apps/v1', kind: 'StatefulSet'},
  {apiVersion: 'batch/v1', kind: 'Job'},
  {apiVersion: 'batch/v1', kind: 'CronJob'},
  {apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy'},
  {apiVersion: 'networking.k8s.io/v1', kind: 'Ingress'},
  {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role'},
  {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding'},
  {apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler'},
  {apiVersion: 'policy/v1', kind: 'PodDisruptionBudget'},
]

export const MYGATE_NAMESPACES: readonly string[] = [NAMESPACES.apps, NAMESPACES.data, NAMESPACES.system]

/** The manager that made the object by hand, or undefined when it is not hand-made. */
export function handMadeBy(object: KubeObject): string | undefined {
  if ((object.metadata.ownerReferences ?? []).length > 0) return undefined
  const entries = managedFieldsOf(object)
  if (entries.length === 0) return undefined
  if (entries.some((entry) => entry.manager === FIELD_MANAGER)) return undefined
  const others = entries.filter((entry) => !CONTROLLER_MANAGERS.has(entry.manager))
  if (others.length === 0) return undefined
  // The oldest entry is the one that created it.
  return [...others].sort((a, b) => (a.time ?? '').localeCompare(b.time ?? ''))[0].manager
}

const DATA_WORKLOADS = new Set(['Deployment', 'ReplicaSet', 'Pod', 'Job', 'CronJob', 'DaemonSet'])

/** Never deleted by `env sync --prune`: it holds data, credentials or runs a database. */
export function isProtected(object: {kind: string; metadata: {namespace?: string}}): string | undefined {
  if (object.kind === 'PersistentVolumeClaim') return 'a PersistentVolumeClaim holds data'
  if (object.kind === 'Secret') return 'a Secret may hold the only copy of a credential'
  if (object.kind === 'StatefulSet') return 'a StatefulSet runs a database'
  if (object.metadata.namespace === NAMESPACES.data && DATA_WORKLOADS.has(object.kind)) return 'a workload in the data namespace'
  return undefined
}
