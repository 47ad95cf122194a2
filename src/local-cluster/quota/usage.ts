import type {KubeObject} from '../../kube/types.js'
import {podLimits, podRequests} from '../compute-resources/pod-resources.js'
import {addResourceLists, parseQuantity, parseResourceList, type Quantity, type ResourceList} from '../compute-resources/quantity.js'
import type {ResourceRef} from '../store/types.js'

/**
 * What objects charge against a ResourceQuota, as upstream's quota evaluators count it
 * (pkg/quota/v1/evaluator/core: pods.go, persistent_volume_claims.go, services.go, and the
 * generic object-count evaluator):
 *
 * - a pod that is not terminal (Succeeded/Failed) and not past its deletion grace period charges
 *   `pods` and its compute resources: `requests.cpu` (also `cpu`), `requests.memory` (also
 *   `memory`), `limits.cpu`, `limits.memory`, the ephemeral-storage equivalents; every pod,
 *   terminal or not, charges `count/pods`;
 * - a PersistentVolumeClaim charges `persistentvolumeclaims`, `requests.storage` and the same two
 *   per storage class (`standard.storageclass.storage.k8s.io/requests.storage`);
 * - every object charges `count/RESOURCE[.GROUP]`; services, secrets, configmaps, resource
 *   quotas and replication controllers also charge their legacy names (`services`, `secrets`...).
 *
 * Scoped quotas (spec.scopes, spec.scopeSelector) are not evaluated: a quota with scopes is
 * treated as covering the whole namespace, which only errs on the strict side.
 */

const ONE = (): Quantity => parseQuantity('1')

/** Resources whose legacy quota name is the plural resource itself (core group). */
const LEGACY_COUNT_NAMES: Record<string, string> = {
  '/services': 'services',
  '/secrets': 'secrets',
  '/configmaps': 'configmaps',
  '/resourcequotas': 'resourcequotas',
  '/replicationcontrollers': 'replicationcontrollers',
}

export const PODS_REF: ResourceRef = {group: '', resource: 'pods'}
export const PVCS_REF: ResourceRef = {group: '', resource: 'persistentvolumeclaims'}

const typeKeyOf = (ref: ResourceRef): string => `${ref.group}/${ref.resource}`

/** `count/deployments.apps`, `count/pods`: the object-count quota name of a resource. */
export function countName(ref: ResourceRef): string {
  return ref.group === '' ? `count/${ref.resource}` : `count/${ref.resource}.${ref.group}`
}

/** Whether a pod still charges compute resources and `pods` (upstream QuotaV1Pod). */
export function podCharges(pod: KubeObject, now: number): boolean {
  const phase = (pod.status as {phase?: string} | undefined)?.phase
  if (phase === 'Succeeded' || phase === 'Failed') return false
  const deletion = pod.metadata.deletionTimestamp ? Date.parse(pod.metadata.deletionTimestamp) : undefined
  if (deletion !== undefined && pod.metadata.deletionGracePeriodSeconds !== undefined && now > deletion + pod.metadata.deletionGracePeriodSeconds * 1000) return false
  return true
}

/** The per-container (or per-pod) compute usage names of requests and limits (upstream podComputeUsageHelper). */
export function computeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const out: ResourceList = {pods: ONE()}
  const alias = (from: ResourceList, name: string, ...as: string[]) => {
    if (from[name]) for (const key of as) out[key] = from[name]
  }
  alias(requests, 'cpu', 'cpu', 'requests.cpu')
  alias(requests, 'memory', 'memory', 'requests.memory')
  alias(requests, 'ephemeral-storage', 'ephemeral-storage', 'requests.ephemeral-storage')
  alias(limits, 'cpu', 'limits.cpu')
  alias(limits, 'memory', 'limits.memory')
  alias(limits, 'ephemeral-storage', 'limits.ephemeral-storage')
  return out
}

/** What one object charges (every quota name it touches). */
export function objectUsage(ref: ResourceRef, object: KubeObject, now: number): ResourceList {
  let usage: ResourceList = {[countName(ref)]: ONE()}
  const key = typeKeyOf(ref)
  if (LEGACY_COUNT_NAMES[key]) usage[LEGACY_COUNT_NAMES[key]] = ONE()
  if (key === '/pods' && podCharges(object, now)) usage = addResourceLists(usage, computeUsage(podRequests(object), podLimits(object)))
  if (key === '/persistentvolumeclaims') {
    const spec = (object.spec ?? {}) as {storageClassName?: string; resources?: {requests?: unknown}}
    const storage = parseResourceList(spec.resources?.requests).storage
    usage.persistentvolumeclaims = ONE()
    if (storage) usage['requests.storage'] = storage
    if (spec.storageClassName) {
      usage[`${spec.storageClassName}.storageclass.storage.k8s.io/persistentvolumeclaims`] = ONE()
      if (storage) usage[`${spec.storageClassName}.storageclass.storage.k8s.io/requests.storage`] = storage
    }
  }
  if (key === '/services') {
    const type = (object.spec as {type?: string} | undefined)?.type
    if (type === 'LoadBalancer') usage['services.loadbalancers'] = ONE()
    if (type === 'NodePort' || type === 'LoadBalancer') usage['services.nodeports'] = ONE()
  }
  return usage
}

/** The resource types whose objects can charge a quota name (to know what to sum). */
export function refsCharging(name: string): ResourceRef[] {
  if (name.startsWith('count/')) {
    const [resource, ...group] = name.slice('count/'.length).split('.')
    return [{group: group.join('.'), resource}]
  }
  if (name.includes('storageclass.storage.k8s.io/') || name === 'persistentvolumeclaims' || name === 'requests.storage') return [PVCS_REF]
  if (name === 'services.loadbalancers' || name === 'services.nodeports') return [{group: '', resource: 'services'}]
  const legacy = Object.entries(LEGACY_COUNT_NAMES).find(([, legacyName]) => legacyName === name)
  if (legacy) return [{group: '', resource: legacy[0].slice(1)}]
  return [PODS_REF]
}

/** Keeps only the given names (quota.Mask). */
export function mask(list: ResourceList, names: Iterable<string>): ResourceList {
  const out: ResourceList = {}
  for (const name of names) if (list[name]) out[name] = list[name]
  return out
}

/**
 * The names of a pod's compute resources that each container must state when a quota limits
 * them (upstream's "BACKWARD COMPATIBILITY REQUIREMENT": quota on cpu or memory requires every
 * container to request it). Returns upstream's message, or undefined when nothing is missing:
 *
 *   must specify limits.cpu for: app,sidecar; requests.memory for: app
 */
export function missingComputeResources(pod: KubeObject, hardNames: readonly string[]): string | undefined {
  const required = hardNames.filter((name) => ['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'].includes(name))
  if (required.length === 0) return undefined
  const spec = (pod.spec ?? {}) as {containers?: Array<{name: string; resources?: {requests?: unknown; limits?: unknown}}>; initContainers?: Array<{name: string; resources?: {requests?: unknown; limits?: unknown}}>}
  const missing = new Map<string, Set<string>>()
  for (const container of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    const stated = computeUsage(parseResourceList(container.resources?.requests), parseResourceList(container.resources?.limits))
    for (const name of required) {
      if (stated[name]) continue
      if (!missing.has(name)) missing.set(name, new Set())
      missing.get(name)!.add(container.name)
    }
  }
  if (missing.size === 0) return undefined
  const parts = [...missing.keys()].sort().map((name) => `${name} for: ${[...missing.get(name)!].sort().join(',')}`)
  return `must specify ${parts.join('; ')}`
}

/** Lists a namespace's objects of one type (the store, or admission's read view of it). */
export type NamespaceLister = (ref: ResourceRef, namespace: string) => readonly KubeObject[]

/**
 * What a namespace uses now of each quota name in `names` (zero for names nothing charges):
 * the quota controller's status.used, and the base quota admission adds a new object to.
 */
export function namespaceUsage(list: NamespaceLister, namespace: string, names: readonly string[], now: number): ResourceList {
  const byType = new Map<string, {ref: ResourceRef; names: string[]}>()
  for (const name of names) {
    for (const ref of refsCharging(name)) {
      const key = typeKeyOf(ref)
      if (!byType.has(key)) byType.set(key, {ref, names: []})
      byType.get(key)!.names.push(name)
    }
  }
  let used: ResourceList = Object.fromEntries(names.map((name) => [name, {nano: 0n, format: 'DecimalSI' as const}]))
  for (const {ref, names: charged} of byType.values()) {
    for (const object of list(ref, namespace)) used = addResourceLists(used, mask(objectUsage(ref, object, now), charged))
  }
  return used
}
