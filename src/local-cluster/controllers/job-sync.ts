import type {KubeObject} from '../../kube/types.js'
import {type Action, sameJson} from './actions.js'
import {type Condition, findCondition, parseTimestamp, setCondition, timestamp} from './conditions.js'
import {ownerRefTo} from './owner-refs.js'
import {isPodActive, isPodReady, podPhase} from './pod-state.js'
import {eventAction} from './events.js'
import {JOBS, PODS} from './resources.js'
import {randomSuffix} from './template-hash.js'

interface JobSpec {
  completions?: number
  parallelism?: number
  backoffLimit?: number
  activeDeadlineSeconds?: number
  suspend?: boolean
  template?: {metadata?: {labels?: Record<string, string>; annotations?: Record<string, string>}; spec?: Record<string, unknown>}
}

export interface JobStatus {
  active?: number
  succeeded?: number
  failed?: number
  ready?: number
  startTime?: string
  completionTime?: string
  conditions?: Condition[]
}

const DEFAULT_BACKOFF_LIMIT = 6

/** True once the Job has a Complete or Failed condition: nothing more will run. */
export function isJobFinished(job: KubeObject): boolean {
  const conditions = (job.status as JobStatus | undefined)?.conditions
  return ['Complete', 'Failed'].some((type) => findCondition(conditions, type)?.status === 'True')
}

export function buildJobPod(job: KubeObject): KubeObject {
  const spec = (job.spec ?? {}) as JobSpec
  const uid = job.metadata.uid ?? ''
  const name = job.metadata.name ?? ''
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${name}-${randomSuffix()}`,
      namespace: job.metadata.namespace,
      labels: {
        ...spec.template?.metadata?.labels,
        'batch.kubernetes.io/controller-uid': uid,
        'batch.kubernetes.io/job-name': name,
        'controller-uid': uid,
        'job-name': name,
      },
      ...(spec.template?.metadata?.annotations ? {annotations: {...spec.template.metadata.annotations}} : {}),
      ownerReferences: [ownerRefTo(job)],
    },
    spec: {restartPolicy: 'Never', ...structuredClone(spec.template?.spec ?? {containers: []})},
  }
}

/**
 * One pass of the Job controller: keep min(parallelism, completions - succeeded) pods running
 * until `completions` pods succeeded (Complete) or more than backoffLimit failed (Failed,
 * BackoffLimitExceeded), or activeDeadlineSeconds passed (Failed, DeadlineExceeded). A finished
 * Job's leftover pods are deleted. completions unset counts as 1. Failed pods are replaced at
 * once (upstream waits an exponential back-off first).
 */
export function reconcileJob(job: KubeObject, pods: readonly KubeObject[], now: number): {actions: Action[]; status: JobStatus; requeueAfterMs?: number} {
  const spec = (job.spec ?? {}) as JobSpec
  const old = (job.status ?? {}) as JobStatus
  const active = pods.filter(isPodActive)
  const succeeded = pods.filter((pod) => podPhase(pod) === 'Succeeded').length
  const failed = pods.filter((pod) => podPhase(pod) === 'Failed').length
  const completions = spec.completions ?? 1
  const parallelism = spec.parallelism ?? 1
  const backoffLimit = spec.backoffLimit ?? DEFAULT_BACKOFF_LIMIT
  const at = timestamp(now)
  const actions: Action[] = []
  const status: JobStatus = {...old, startTime: old.startTime ?? (spec.suspend ? undefined : at), succeeded, failed}
  if (status.startTime === undefined) delete status.startTime
  let conditions = old.conditions ?? []
  let requeueAfterMs: number | undefined
  const deleteActive = () => {
    for (const pod of active) actions.push({type: 'delete', ref: PODS, namespace: pod.metadata.namespace, name: pod.metadata.name as string, uid: pod.metadata.uid})
  }
  const event = (type: 'Normal' | 'Warning', reason: string, message: string) => actions.push(eventAction(job, type, reason, message, 'job-controller', now))
  const fail = (reason: string, message: string) => {
    event('Warning', reason, message)
    conditions = setCondition(conditions, {type: 'FailureTarget', status: 'True', reason, message, lastProbeTime: at, lastTransitionTime: at})
    conditions = setCondition(conditions, {type: 'Failed', status: 'True', reason, message, lastProbeTime: at, lastTransitionTime: at})
    deleteActive()
  }

  const started = parseTimestamp(status.startTime)
  const deadlineAt = spec.activeDeadlineSeconds !== undefined && started !== undefined ? started + spec.activeDeadlineSeconds * 1000 : undefined
  if (isJobFinished(job)) {
    deleteActive()
  } else if (failed > backoffLimit) {
    fail('BackoffLimitExceeded', 'Job has reached the specified backoff limit')
  } else if (deadlineAt !== undefined && now >= deadlineAt) {
    fail('DeadlineExceeded', 'Job was active longer than specified deadline')
  } else if (succeeded >= completions) {
    conditions = setCondition(conditions, {type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastProbeTime: at, lastTransitionTime: at})
    conditions = setCondition(conditions, {type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastProbeTime: at, lastTransitionTime: at})
    status.completionTime = old.completionTime ?? at
    event('Normal', 'Completed', 'Job completed')
    deleteActive()
  } else {
    const wanted = spec.suspend ? 0 : Math.min(parallelism, completions - succeeded)
    for (let i = active.length; i < wanted; i++) {
      const pod = buildJobPod(job)
      actions.push({
        type: 'create',
        ref: PODS,
        object: pod,
        report: {owner: job, component: 'job-controller', now, success: {reason: 'SuccessfulCreate', message: `Created pod: ${pod.metadata.name}`}, failurePrefix: 'Error creating: '},
      })
    }
    for (const pod of active.slice(wanted)) actions.push({type: 'delete', ref: PODS, namespace: pod.metadata.namespace, name: pod.metadata.name as string, uid: pod.metadata.uid})
    if (deadlineAt !== undefined) requeueAfterMs = deadlineAt - now + 1
  }
  const finishedNow = conditions.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')
  status.active = finishedNow ? 0 : active.length
  status.ready = finishedNow ? 0 : active.filter(isPodReady).length
  status.conditions = conditions
  if (conditions.length === 0) delete status.conditions
  if (!sameJson(old, status)) actions.push({type: 'updateStatus', ref: JOBS, object: {...job, status}})
  return {actions, status, requeueAfterMs}
}
