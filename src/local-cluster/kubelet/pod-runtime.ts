import type {KubeObject} from '../../kube/types.js'

/**
 * What runs inside the simulated containers, beyond the kubelet's own timeline: a hook the data
 * plane implements so mongod containers crash on a bad key file, report readiness from their
 * replica-set state, and database Jobs exit with their script's outcome. The kubelet works
 * without one (every container then runs and exits 0 as before).
 */
export interface ContainerVerdict {
  /** The main process exits right after it starts, with this code (CrashLoopBackOff). */
  crashExitCode?: number
  /** The readiness probe fails (Running, not Ready). */
  notReady?: boolean
  /** The probe's output for the Unhealthy event. */
  probeMessage?: string
}

export interface CompletionOutcome {
  exitCode: number
  /** What the container left in its termination message file. */
  terminationMessage?: string
}

export interface PodRuntime {
  /** The verdict for a bound pod's containers at `now`; undefined when nothing special runs there. */
  containers(pod: KubeObject, now: number): ContainerVerdict | undefined
  /** A run-to-completion pod's outcome when its run ends: 'pending' to look again shortly, undefined for the default (exit 0). */
  completion(pod: KubeObject, now: number): CompletionOutcome | 'pending' | undefined
  /** The kubelet listens: pods (`namespace/name`) whose verdict may have changed. */
  onPodsChanged(listener: (keys: string[]) => void): () => void
  /** A pod is gone for good (its container logs go too). */
  podDeleted?(pod: KubeObject): void
}
