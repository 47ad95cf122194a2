import type {KubeObject} from '../../kube/types.js'
import {type Condition, findCondition, parseTimestamp} from './conditions.js'

/** Readiness and availability of pods, as the ReplicaSet and StatefulSet controllers count them. */

export function podPhase(pod: KubeObject): string {
  return ((pod.status as {phase?: string} | undefined)?.phase) ?? 'Pending'
}

export function podConditions(pod: KubeObject): Condition[] | undefined {
  return (pod.status as {conditions?: Condition[]} | undefined)?.conditions
}

/** Terminal pods (Succeeded/Failed) and pods being deleted no longer count as replicas. */
export function isPodActive(pod: KubeObject): boolean {
  const phase = podPhase(pod)
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp
}

export function isPodReady(pod: KubeObject): boolean {
  return findCondition(podConditions(pod), 'Ready')?.status === 'True'
}

/**
 * Available = Ready for at least minReadySeconds (upstream podutil.IsPodAvailable). Returns the
 * milliseconds still to wait when the pod is Ready but not yet available, so callers can requeue.
 */
export function podAvailability(pod: KubeObject, minReadySeconds: number, now: number): {available: boolean; waitMs?: number} {
  const ready = findCondition(podConditions(pod), 'Ready')
  if (ready?.status !== 'True') return {available: false}
  if (minReadySeconds <= 0) return {available: true}
  const since = parseTimestamp(ready.lastTransitionTime)
  if (since === undefined) return {available: false}
  const due = since + minReadySeconds * 1000
  return due <= now ? {available: true} : {available: false, waitMs: due - now}
}

/**
 * How many of `pods` are available (Ready for minReadySeconds), and the soonest moment one more
 * will be, so the controller can requeue then rather than poll.
 */
export function countAvailable(pods: readonly KubeObject[], minReadySeconds: number, now: number): {available: number; requeueAfterMs?: number} {
  let available = 0
  let requeueAfterMs: number | undefined
  for (const pod of pods) {
    const verdict = podAvailability(pod, minReadySeconds, now)
    if (verdict.available) available++
    else if (verdict.waitMs !== undefined) requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, verdict.waitMs)
  }
  return {available, ...(requeueAfterMs !== undefined ? {requeueAfterMs} : {})}
}
