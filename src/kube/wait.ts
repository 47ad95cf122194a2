import type {KubeApi, WatchHandle} from './api.js'
import {podProblem, PodProblem, workloadStatus, WorkloadStatus} from './readiness.js'
import type {KubeObject} from './types.js'

export interface WorkloadRef {
  apiVersion: string
  kind: string
  namespace: string
  name: string
}

export type FinalVerdict = 'succeeded' | 'failed' | 'timed out'

export interface WorkloadResult {
  ref: WorkloadRef
  verdict: FinalVerdict
  message: string
  /** Pods that are not ready, with why (filled for failed and timed-out workloads). */
  pods: PodProblem[]
  elapsedMs: number
}

export interface WaitOptions {
  timeoutMs: number
  /** Called when a workload's status changes (for progress output). */
  onUpdate?: (ref: WorkloadRef, status: WorkloadStatus) => void
  /** Called once per workload when its verdict is final. */
  onResult?: (result: WorkloadResult) => void
}

const key = (ref: {kind: string; namespace?: string; name?: string}) => `${ref.kind}/${ref.namespace}/${ref.name}`

/**
 * Waits until every workload is ready, failed or out of time, by WATCHING each kind per namespace
 * (one list + one watch stream per kind and namespace, never polling). Pods are watched too, so a
 * crash-looping workload fails fast, naming its pods, instead of waiting for the deadline.
 */
export async function waitForWorkloads(client: KubeApi, refs: WorkloadRef[], options: WaitOptions): Promise<WorkloadResult[]> {
  const started = Date.now()
  const pending = new Map(refs.map((ref) => [key(ref), ref]))
  const results = new Map<string, WorkloadResult>()
  const latest = new Map<string, KubeObject>()
  const podsByWorkload = new Map<string, Map<string, KubeObject>>()
  const watches: WatchHandle[] = []
  if (refs.length === 0) return []

  let finish!: () => void
  const finished = new Promise<void>((resolve) => (finish = resolve))

  const settle = (ref: WorkloadRef, verdict: FinalVerdict, message: string) => {
    const k = key(ref)
    if (!pending.has(k)) return
    pending.delete(k)
    const pods = [...(podsByWorkload.get(k)?.values() ?? [])].map(podProblem).filter((p): p is PodProblem => p !== undefined)
    const result: WorkloadResult = {ref, verdict, message, pods: verdict === 'succeeded' ? [] : pods, elapsedMs: Date.now() - started}
    results.set(k, result)
    options.onResult?.(result)
    if (pending.size === 0) finish()
  }

  const observeWorkload = (object: KubeObject) => {
    const k = key({kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name})
    const ref = pending.get(k)
    if (!ref) return
    latest.set(k, object)
    const status = workloadStatus(object)
    options.onUpdate?.(ref, status)
    if (status.verdict === 'succeeded') settle(ref, 'succeeded', status.message)
    else if (status.verdict === 'failed') settle(ref, 'failed', status.message)
  }

  // Pods belong to a workload by the app.kubernetes.io/name label mygate puts on both.
  const workloadForPod = (pod: KubeObject): WorkloadRef | undefined => {
    const app = pod.metadata.labels?.['app.kubernetes.io/name']
    return [...pending.values()].find((ref) => ref.namespace === pod.metadata.namespace && (ref.name === app || pod.metadata.name?.startsWith(`${ref.name}-`)))
  }

  const observePod = (type: string, pod: KubeObject) => {
    const ref = workloadForPod(pod)
    if (!ref) return
    const k = key(ref)
    const pods = podsByWorkload.get(k) ?? new Map<string, KubeObject>()
    podsByWorkload.set(k, pods)
    if (type === 'DELETED') pods.delete(String(pod.metadata.name))
    else pods.set(String(pod.metadata.name), pod)
    const problem = type === 'DELETED' ? undefined : podProblem(pod)
    if (problem?.fatal) settle(ref, 'failed', `pod ${problem.pod}: ${problem.reason}`)
  }

  const groups = new Map<string, WorkloadRef[]>()
  for (const ref of refs) {
    const g = `${ref.apiVersion}|${ref.kind}|${ref.namespace}`
    groups.set(g, [...(groups.get(g) ?? []), ref])
  }
  const namespaces = new Set(refs.map((r) => r.namespace))

  const timer = setTimeout(finish, options.timeoutMs)
  try {
    const startWatch = async (apiVersion: string, kind: string, namespace: string, onEvent: (type: string, o: KubeObject) => void) => {
      const list = await client.list(apiVersion, kind, {namespace})
      for (const item of list.items) onEvent('ADDED', item)
      if (pending.size === 0) return
      const path = await client.pathFor({apiVersion, kind, namespace})
      const watch = client.watch(path, {resourceVersion: list.resourceVersion, timeoutSeconds: Math.ceil(options.timeoutMs / 1000) + 5}, (event) => {
        if (event.type === 'BOOKMARK' || event.type === 'ERROR') return
        event.object.apiVersion ??= apiVersion
        event.object.kind ??= kind
        onEvent(event.type, event.object)
      })
      watches.push(watch)
      watch.done.catch(() => undefined)
    }
    await Promise.all([
      ...[...namespaces].map((ns) => startWatch('v1', 'Pod', ns, observePod)),
      ...[...groups.values()].map((group) => startWatch(group[0].apiVersion, group[0].kind, group[0].namespace, (_t, o) => observeWorkload(o))),
    ])
    if (pending.size > 0) await finished
  } finally {
    clearTimeout(timer)
    for (const watch of watches) watch.stop()
  }
  for (const ref of [...pending.values()]) {
    const last = latest.get(key(ref))
    settle(ref, 'timed out', last ? workloadStatus(last).message : 'not observed')
  }
  return refs.map((ref) => results.get(key(ref))!)
}
