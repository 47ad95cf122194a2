import type {KubeObject} from './types.js'

/**
 * Readiness rules for the workloads mygate applies, as pure functions over observed objects.
 * They follow `kubectl rollout status`: a Deployment is ready when the controller has seen the
 * latest generation, every replica runs the new template and all of them are available.
 */

export type Verdict = 'succeeded' | 'failed' | 'pending'

export interface WorkloadStatus {
  verdict: Verdict
  /** What is happening, for progress lines: "2/3 ready". */
  message: string
}

interface Condition {
  type: string
  status: string
  reason?: string
  message?: string
}

interface WorkloadShape {
  metadata: {generation?: number}
  spec?: {replicas?: number; completions?: number}
  status?: {
    observedGeneration?: number
    replicas?: number
    updatedReplicas?: number
    readyReplicas?: number
    availableReplicas?: number
    currentRevision?: string
    updateRevision?: string
    succeeded?: number
    failed?: number
    conditions?: Condition[]
  }
}

export function deploymentStatus(object: KubeObject): WorkloadStatus {
  const d = object as unknown as WorkloadShape
  const want = d.spec?.replicas ?? 1
  const s = d.status ?? {}
  const progressing = s.conditions?.find((c) => c.type === 'Progressing')
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return {verdict: 'failed', message: `progress deadline exceeded: ${progressing.message ?? ''}`.trim()}
  }
  if ((s.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) return {verdict: 'pending', message: 'waiting for the controller'}
  const updated = s.updatedReplicas ?? 0
  const available = s.availableReplicas ?? 0
  const total = s.replicas ?? 0
  if (updated < want) return {verdict: 'pending', message: `${updated}/${want} updated`}
  if (total > updated) return {verdict: 'pending', message: `${total - updated} old replicas pending termination`}
  if (available < updated) return {verdict: 'pending', message: `${available}/${want} available`}
  return {verdict: 'succeeded', message: `${available}/${want} available`}
}

export function statefulSetStatus(object: KubeObject): WorkloadStatus {
  const d = object as unknown as WorkloadShape
  const want = d.spec?.replicas ?? 1
  const s = d.status ?? {}
  if ((s.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) return {verdict: 'pending', message: 'waiting for the controller'}
  const ready = s.readyReplicas ?? 0
  if (ready < want) return {verdict: 'pending', message: `${ready}/${want} ready`}
  if ((s.updatedReplicas ?? want) < want) return {verdict: 'pending', message: `${s.updatedReplicas ?? 0}/${want} updated`}
  if (s.updateRevision && s.currentRevision && s.updateRevision !== s.currentRevision && (s.updatedReplicas ?? 0) < want) {
    return {verdict: 'pending', message: 'rolling update in progress'}
  }
  return {verdict: 'succeeded', message: `${ready}/${want} ready`}
}

export function jobStatus(object: KubeObject): WorkloadStatus {
  const d = object as unknown as WorkloadShape
  const conditions = d.status?.conditions ?? []
  const failed = conditions.find((c) => c.type === 'Failed' && c.status === 'True')
  if (failed) return {verdict: 'failed', message: failed.message ?? failed.reason ?? 'job failed'}
  if (conditions.some((c) => c.type === 'Complete' && c.status === 'True')) return {verdict: 'succeeded', message: 'complete'}
  return {verdict: 'pending', message: `${d.status?.succeeded ?? 0}/${d.spec?.completions ?? 1} succeeded`}
}

/** Kinds whose readiness mygate waits for after applying them. */
export const WAITED_KINDS = ['Deployment', 'StatefulSet', 'Job'] as const

export function workloadStatus(object: KubeObject): WorkloadStatus {
  switch (object.kind) {
    case 'Deployment':
      return deploymentStatus(object)
    case 'StatefulSet':
      return statefulSetStatus(object)
    case 'Job':
      return jobStatus(object)
    default:
      return {verdict: 'succeeded', message: 'applied'}
  }
}

/** Waiting reasons that mean a pod will not become ready by itself. */
const FATAL_WAITING_REASONS = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
])

export interface PodProblem {
  pod: string
  reason: string
  /** True when the pod will not recover without a change (crash loop, bad image...). */
  fatal: boolean
}

interface PodShape {
  metadata: {name?: string}
  status?: {
    phase?: string
    conditions?: Condition[]
    containerStatuses?: Array<{name: string; ready?: boolean; restartCount?: number; state?: {waiting?: {reason?: string; message?: string}}}>
  }
}

/** Why a pod is not ready, or undefined when it is. */
export function podProblem(object: KubeObject): PodProblem | undefined {
  const pod = object as unknown as PodShape
  const name = String(pod.metadata.name)
  const status = pod.status ?? {}
  for (const container of status.containerStatuses ?? []) {
    const reason = container.state?.waiting?.reason
    if (reason && FATAL_WAITING_REASONS.has(reason)) {
      return {pod: name, reason: `${reason} (container ${container.name}, ${container.restartCount ?? 0} restarts)`, fatal: true}
    }
  }
  if (status.phase === 'Failed') return {pod: name, reason: 'pod failed', fatal: true}
  const scheduled = status.conditions?.find((c) => c.type === 'PodScheduled')
  if (scheduled?.status === 'False') return {pod: name, reason: `unschedulable: ${scheduled.message ?? scheduled.reason ?? ''}`.trim(), fatal: false}
  const ready = status.conditions?.find((c) => c.type === 'Ready')
  if (ready?.status === 'True') return undefined
  const notReady = (status.containerStatuses ?? []).filter((c) => !c.ready).map((c) => c.name)
  return {pod: name, reason: notReady.length > 0 ? `not ready (${notReady.join(', ')})` : `phase ${status.phase ?? 'Pending'}`, fatal: false}
}
