import type {KubeObject} from '../../kube/types.js'
import {addResourceLists, maxResourceLists, parseResourceList, type ResourceList} from './quantity.js'

interface ContainerResources {
  name?: string
  restartPolicy?: string
  resources?: {requests?: unknown; limits?: unknown}
}

interface PodSpecResources {
  containers?: ContainerResources[]
  initContainers?: ContainerResources[]
  overhead?: unknown
}

/** A sidecar: an init container that keeps running (restartPolicy Always, Kubernetes 1.29+). */
const isSidecar = (container: ContainerResources): boolean => container.restartPolicy === 'Always'

/**
 * What a pod asks the scheduler and the quota for, per resource (upstream
 * `resourcehelper.PodRequests` / `PodLimits`): the app containers and sidecars add up; an
 * ordinary init container runs alone (beside the sidecars started before it), so the pod needs
 * the larger of the two; pod overhead comes on top (on limits only where a limit is set).
 *
 * Worked example: containers 100m + 200m, init container 500m, no sidecars -> max(300m, 500m) = 500m.
 */
function podTotal(spec: PodSpecResources | undefined, pick: (c: ContainerResources) => unknown): ResourceList {
  let containers: ResourceList = {}
  for (const container of spec?.containers ?? []) containers = addResourceLists(containers, parseResourceList(pick(container)))
  let sidecars: ResourceList = {}
  let initPeak: ResourceList = {}
  for (const container of spec?.initContainers ?? []) {
    const own = parseResourceList(pick(container))
    if (isSidecar(container)) {
      sidecars = addResourceLists(sidecars, own)
      initPeak = maxResourceLists(initPeak, sidecars)
    } else {
      initPeak = maxResourceLists(initPeak, addResourceLists(own, sidecars))
    }
  }
  return maxResourceLists(addResourceLists(containers, sidecars), initPeak)
}

export function podRequests(pod: KubeObject): ResourceList {
  const spec = pod.spec as PodSpecResources | undefined
  return addResourceLists(podTotal(spec, (c) => c.resources?.requests), parseResourceList(spec?.overhead))
}

export function podLimits(pod: KubeObject): ResourceList {
  const spec = pod.spec as PodSpecResources | undefined
  const limits = podTotal(spec, (c) => c.resources?.limits)
  const overhead = Object.fromEntries(Object.entries(parseResourceList(spec?.overhead)).filter(([name]) => limits[name] !== undefined))
  return addResourceLists(limits, overhead)
}

/** Every container of a pod spec (init containers first, as the kubelet and admission visit them). */
export function allContainers<T>(spec: {containers?: T[]; initContainers?: T[]; ephemeralContainers?: T[]} | undefined): T[] {
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? []), ...(spec?.ephemeralContainers ?? [])]
}
