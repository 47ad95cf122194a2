import {FIELD_MANAGER} from '../kube/types.js'
import type {FieldDifference} from './compare.js'
import {type IgnoreEntry, isIgnored} from './ignore-list.js'

/**
 * What is drift (issue 13), pure. Any difference in a field mygate renders is drift, including
 * what someone added inside what mygate renders whole (an env entry, a port, a volume, a label:
 * `kubectl set env` is drift). These are not:
 *
 * 1. what the environment's `drift.ignore` list names (mygate.yaml);
 * 2. the replicas of a Deployment or StatefulSet an HPA of the desired state scales: the
 *    HorizontalPodAutoscaler owns `spec.replicas` by design (kubernetes #74099);
 * 3. fields only Kubernetes' own controllers own (kube-controller-manager's
 *    `deployment.kubernetes.io/revision` annotation, the scheduler's, the kubelet's): set by the
 *    control plane, not by a person;
 * 4. a value mygate itself last wrote outside an apply: an operation's deliberate write (the
 *    blue-green selector and the old colour scaled to zero, a restart annotation, failover
 *    scaling). The manager is `mygate` with operation Update; a hand edit is never that.
 * Status, API-server defaults and objects an operation in progress owns never reach this rule:
 * the comparison skips status, the dry-run fills in defaults, and the diff skips those objects.
 *
 * Worked examples (classify):
 *   Deployment api, changed spec.template.spec.containers[name=api].image, owner kubectl-set -> drift
 *   Deployment api (HPA api), changed spec.replicas, owner kube-controller-manager            -> not drift (hpa)
 *   Deployment api (no HPA),  changed spec.replicas, owner kubectl                             -> drift
 *   Deployment api, added metadata.annotations["deployment.kubernetes.io/revision"], owner kube-controller-manager -> not drift (controller)
 *   Service api, added spec.selector["mygate.dev/color"], owner mygate (Update)                -> not drift (mygate operation)
 */

/** Field managers of Kubernetes' own components (as they name themselves in managedFields). */
export const CONTROLLER_MANAGERS: ReadonlySet<string> = new Set([
  'kube-controller-manager',
  'kube-scheduler',
  'kubelet',
  'kube-apiserver',
  'cloud-controller-manager',
  'kube-proxy',
])

export type NotDriftReason = 'ignored' | 'hpa' | 'controller' | 'mygate-operation'

export type Classification = {drift: true} | {drift: false; reason: NotDriftReason; because: string}

export interface ObjectContext {
  kind: string
  name: string
  namespace?: string
  /** Names of workloads in the object's namespace an HPA of the desired state targets. */
  hpaTargets: ReadonlySet<string>
  ignore?: readonly IgnoreEntry[]
}

export function classify(difference: FieldDifference, object: ObjectContext): Classification {
  if (isIgnored(object.ignore, {kind: object.kind, name: object.name, namespace: object.namespace, field: difference.field})) {
    return {drift: false, reason: 'ignored', because: 'listed in drift.ignore (mygate.yaml)'}
  }
  if ((object.kind === 'Deployment' || object.kind === 'StatefulSet') && difference.field === 'spec.replicas' && object.hpaTargets.has(object.name)) {
    return {drift: false, reason: 'hpa', because: `the HorizontalPodAutoscaler ${object.name} scales it`}
  }
  const owners = difference.owners
  if (difference.kind !== 'missing' && owners.length > 0 && owners.every((owner) => CONTROLLER_MANAGERS.has(owner.manager))) {
    return {drift: false, reason: 'controller', because: `set by ${owners[0].manager}`}
  }
  if (difference.kind !== 'missing' && owners[0]?.manager === FIELD_MANAGER && owners[0].operation !== 'Apply') {
    return {drift: false, reason: 'mygate-operation', because: 'last written by a mygate operation'}
  }
  return {drift: true}
}
