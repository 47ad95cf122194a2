import type {KubeObject} from '../kube/types.js'

/**
 * Pure readings of a database Job's pod: has it finished, can it start at all, and what did the
 * script report. Kubernetes' shapes: containerStatuses[].state.{waiting,terminated}
 * (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-states), the
 * termination message (https://kubernetes.io/docs/tasks/debug/debug-application/determine-reason-pod-failure/).
 */

interface ContainerStatus {
  name: string
  state?: {
    waiting?: {reason?: string; message?: string}
    terminated?: {exitCode?: number; reason?: string; message?: string}
  }
}

interface PodShape {
  metadata: {name?: string}
  status?: {phase?: string; reason?: string; message?: string; containerStatuses?: ContainerStatus[]}
}

/**
 * Waiting reasons that mean the container will not start without a change. CreateContainerConfigError:
 * a Secret or key it references is missing; the image ones: a wrong image. A pod waiting for
 * ContainerCreating or PodInitializing is merely on its way.
 */
export const CANNOT_START_REASONS = new Set(['CreateContainerConfigError', 'CreateContainerError', 'InvalidImageName', 'ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull'])

export type PodReading =
  | {kind: 'pending'}
  | {kind: 'cannot-start'; reason: string; message: string}
  | {kind: 'terminated'; exitCode: number; verdict: string}

/** Where the Job's pod is: still on its way, stuck, or finished (with exit code and termination message). */
export function readJobPod(pod: KubeObject, container = 'op'): PodReading {
  const shape = pod as unknown as PodShape
  const status = shape.status?.containerStatuses?.find((c) => c.name === container)
  const terminated = status?.state?.terminated
  if (terminated) return {kind: 'terminated', exitCode: terminated.exitCode ?? 1, verdict: (terminated.message ?? '').trim()}
  const waiting = status?.state?.waiting
  if (waiting?.reason && CANNOT_START_REASONS.has(waiting.reason)) return {kind: 'cannot-start', reason: waiting.reason, message: waiting.message ?? ''}
  // Evicted or deleted by the deadline before the container ran.
  if (shape.status?.phase === 'Failed') return {kind: 'terminated', exitCode: 1, verdict: shape.status.message ?? shape.status.reason ?? 'pod failed'}
  return {kind: 'pending'}
}

/** The script's result: the JSON object on the last non-empty log line, or undefined when there is none (the connection failed first). */
export function lastJsonLine(log: string): Record<string, unknown> | undefined {
  const lines = log.split('\n').map((line) => line.trim()).filter((line) => line !== '')
  const last = lines.at(-1)
  if (!last?.startsWith('{')) return undefined
  try {
    const value = JSON.parse(last) as unknown
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** The last lines of a log, for an error message when there is no result line. */
export function logTail(log: string, lines = 3): string {
  return log
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .slice(-lines)
    .join(' | ')
}
