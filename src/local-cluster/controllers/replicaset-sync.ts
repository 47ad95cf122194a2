import type {KubeObject} from '../../kube/types.js'
import {type Action, sameJson} from './actions.js'
import {type Condition, findCondition, parseTimestamp, setCondition, timestamp} from './conditions.js'
import {type LabelSelector, matchesSelector} from './label-selector.js'
import {ownerRefTo} from './owner-refs.js'
import {isPodActive, isPodReady, countAvailable, podConditions, podPhase} from './pod-state.js'
import {eventAction} from './events.js'
import {PODS, REPLICASETS} from './resources.js'
import {randomSuffix} from './template-hash.js'

interface ReplicaSetSpec {
  replicas?: number
  minReadySeconds?: number
  selector?: LabelSelector
  template?: {metadata?: {labels?: Record<string, string>; annotations?: Record<string, string>}; spec?: Record<string, unknown>}
}

export interface ReplicaSetStatus {
  replicas: number
  fullyLabeledReplicas: number
  readyReplicas: number
  availableReplicas: number
  observedGeneration?: number
  conditions?: Condition[]
}

/**
 * The pod a ReplicaSet (or any pod-template owner) creates: template + controller ref, named
 * PREFIX-xxxxx here rather than by generateName so the "Created pod" event can name it (a rare
 * name clash is an AlreadyExists, retried on the next pass).
 */
export function buildPodFromTemplate(owner: KubeObject, template: ReplicaSetSpec['template'], namePrefix: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${namePrefix}-${randomSuffix()}`,
      namespace: owner.metadata.namespace,
      labels: {...template?.metadata?.labels},
      ...(template?.metadata?.annotations ? {annotations: {...template.metadata.annotations}} : {}),
      ownerReferences: [ownerRefTo(owner)],
    },
    spec: structuredClone(template?.spec ?? {containers: []}),
  }
}

const PHASE_RANK: Record<string, number> = {Pending: 0, Unknown: 1, Running: 2}

/**
 * Orders pods so the ones to delete first come first (upstream ActivePods' Less): not yet bound,
 * then Pending before Unknown before Running, not ready before ready, ready for less time, more
 * restarts, newer.
 */
export function comparePodsForDeletion(a: KubeObject, b: KubeObject): number {
  const bound = (pod: KubeObject) => ((pod.spec as {nodeName?: string} | undefined)?.nodeName ? 1 : 0)
  if (bound(a) !== bound(b)) return bound(a) - bound(b)
  const phase = (pod: KubeObject) => PHASE_RANK[podPhase(pod)] ?? 1
  if (phase(a) !== phase(b)) return phase(a) - phase(b)
  const ready = (pod: KubeObject) => (isPodReady(pod) ? 1 : 0)
  if (ready(a) !== ready(b)) return ready(a) - ready(b)
  if (ready(a) === 1) {
    const since = (pod: KubeObject) => parseTimestamp(findCondition(podConditions(pod), 'Ready')?.lastTransitionTime) ?? 0
    if (since(a) !== since(b)) return since(b) - since(a)
  }
  const restarts = (pod: KubeObject) =>
    ((pod.status as {containerStatuses?: Array<{restartCount?: number}>} | undefined)?.containerStatuses ?? []).reduce((max, c) => Math.max(max, c.restartCount ?? 0), 0)
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a)
  const created = (pod: KubeObject) => parseTimestamp(pod.metadata.creationTimestamp) ?? 0
  return created(b) - created(a)
}

/**
 * One pass of the ReplicaSet controller: create or delete pods towards spec.replicas and report
 * counts. `pods` are the pods this ReplicaSet controls (any phase). `createFailure` is the API's
 * message when the last pass could not create a pod: it shows as the ReplicaFailure condition
 * (reason FailedCreate) until a pass creates what it needs, as upstream's calculateStatus does.
 */
export function reconcileReplicaSet(rs: KubeObject, pods: readonly KubeObject[], now: number, createFailure?: string): {actions: Action[]; status: ReplicaSetStatus; requeueAfterMs?: number} {
  const spec = (rs.spec ?? {}) as ReplicaSetSpec
  const active = pods.filter(isPodActive)
  const actions: Action[] = []
  const wanted = rs.metadata.deletionTimestamp ? active.length : (spec.replicas ?? 1)
  const diff = active.length - wanted
  if (diff < 0) {
    for (let i = 0; i < -diff; i++) {
      const pod = buildPodFromTemplate(rs, spec.template, rs.metadata.name as string)
      actions.push({
        type: 'create',
        ref: PODS,
        object: pod,
        report: {owner: rs, component: 'replicaset-controller', now, success: {reason: 'SuccessfulCreate', message: `Created pod: ${pod.metadata.name}`}, failurePrefix: 'Error creating: '},
      })
    }
  } else if (diff > 0) {
    for (const pod of [...active].sort(comparePodsForDeletion).slice(0, diff)) {
      actions.push(
        {type: 'delete', ref: PODS, namespace: pod.metadata.namespace, name: pod.metadata.name as string, uid: pod.metadata.uid},
        eventAction(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`, 'replicaset-controller', now),
      )
    }
  }

  const {available, requeueAfterMs} = countAvailable(active, spec.minReadySeconds ?? 0, now)
  const templateLabels = {matchLabels: spec.template?.metadata?.labels ?? {}}
  const status: ReplicaSetStatus = {
    replicas: active.length,
    fullyLabeledReplicas: active.filter((pod) => matchesSelector(templateLabels, pod.metadata.labels)).length,
    readyReplicas: active.filter(isPodReady).length,
    availableReplicas: available,
    observedGeneration: rs.metadata.generation,
  }
  const oldStatus = (rs.status ?? {}) as Record<string, unknown>
  const oldConditions = (oldStatus.conditions as Condition[] | undefined) ?? []
  const conditions =
    createFailure !== undefined && diff < 0
      ? setCondition(oldConditions, {type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: createFailure, lastTransitionTime: timestamp(now)})
      : oldConditions.filter((c) => c.type !== 'ReplicaFailure')
  if (conditions.length > 0) status.conditions = conditions
  const merged: Record<string, unknown> = {...oldStatus, ...status}
  if (conditions.length === 0) delete merged.conditions
  if (!sameJson(oldStatus, merged)) actions.push({type: 'updateStatus', ref: REPLICASETS, object: {...rs, status: merged}})
  return {actions, status, requeueAfterMs}
}
