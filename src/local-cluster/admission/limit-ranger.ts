import type {KubeObject} from '../../kube/types.js'
import {compareQuantities, formatQuantity, milliValue, parseResourceList, type Quantity, type ResourceList, wholeValue} from '../compute-resources/quantity.js'
import {podLimits, podRequests} from '../compute-resources/pod-resources.js'
import {apiErrors} from '../store/api-error.js'
import type {AdmissionPlugin, AdmissionRequest} from './types.js'

type Obj = Record<string, unknown>

const LIMIT_RANGES = {group: '', resource: 'limitranges'}
export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger'

interface LimitRangeItem {
  type?: string
  max?: Obj
  min?: Obj
  default?: Obj
  defaultRequest?: Obj
  maxLimitRequestRatio?: Obj
}

interface Container {
  name: string
  resources?: {requests?: Obj; limits?: Obj}
}

const itemsOf = (request: AdmissionRequest): LimitRangeItem[] =>
  request.cluster
    .list(LIMIT_RANGES, {namespace: request.object.metadata.namespace})
    .sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)))
    .flatMap((lr) => ((lr.spec as {limits?: LimitRangeItem[]} | undefined)?.limits ?? []))

const isPodCreate = (request: AdmissionRequest): boolean =>
  request.operation === 'CREATE' && request.subresource === undefined && request.type.group === '' && request.type.resource === 'pods'

const isClaimCreate = (request: AdmissionRequest): boolean =>
  request.operation === 'CREATE' && request.subresource === undefined && request.type.group === '' && request.type.resource === 'persistentvolumeclaims'

/**
 * Sets the LimitRange defaults on containers that state no request or limit for a resource
 * (upstream mergeContainerResources), and records what it set in the
 * `kubernetes.io/limit-ranger` annotation, as upstream does:
 *
 *   LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app
 */
function applyDefaults(pod: KubeObject, items: readonly LimitRangeItem[]): void {
  const spec = (pod.spec ?? {}) as {containers?: Container[]; initContainers?: Container[]}
  const notes: string[] = []
  const containerItems = items.filter((item) => item.type === 'Container')
  if (containerItems.length === 0) return
  const visit = (containers: Container[] | undefined, prefix: string) => {
    for (const container of containers ?? []) {
      const resources = (container.resources ??= {})
      const requests = (resources.requests ??= {})
      const limits = (resources.limits ??= {})
      const setRequests = new Set<string>()
      const setLimits = new Set<string>()
      for (const item of containerItems) {
        for (const [name, value] of Object.entries(item.default ?? {})) {
          if (limits[name] === undefined) {
            limits[name] = value
            setLimits.add(name)
          }
        }
        for (const [name, value] of Object.entries(item.defaultRequest ?? {})) {
          if (requests[name] === undefined) {
            requests[name] = value
            setRequests.add(name)
          }
        }
      }
      if (setRequests.size > 0) notes.push(`${[...setRequests].sort().join(', ')} request for ${prefix} ${container.name}`)
      if (setLimits.size > 0) notes.push(`${[...setLimits].sort().join(', ')} limit for ${prefix} ${container.name}`)
      if (Object.keys(requests).length === 0) delete resources.requests
      if (Object.keys(limits).length === 0) delete resources.limits
      if (Object.keys(resources).length === 0) delete container.resources
    }
  }
  visit(spec.initContainers, 'init container')
  visit(spec.containers, 'container')
  if (notes.length > 0) pod.metadata.annotations = {...pod.metadata.annotations, [LIMIT_RANGER_ANNOTATION]: `LimitRanger plugin set: ${notes.join('; ')}`}
}

/** min, max and maxLimitRequestRatio of one LimitRange item against a request/limit pair (upstream's messages). */
function checkItem(kind: string, item: LimitRangeItem, requests: ResourceList, limits: ResourceList, errors: string[]): void {
  const show = formatQuantity
  for (const [name, bound] of Object.entries(parseResourceList(item.min)).sort(([a], [b]) => a.localeCompare(b))) {
    const request = requests[name]
    const limit = limits[name]
    if (!request) errors.push(`minimum ${name} usage per ${kind} is ${show(bound)}.  No request is specified`)
    else if (compareQuantities(request, bound) < 0) errors.push(`minimum ${name} usage per ${kind} is ${show(bound)}, but request is ${show(request)}`)
    else if (limit && compareQuantities(limit, bound) < 0) errors.push(`minimum ${name} usage per ${kind} is ${show(bound)}, but limit is ${show(limit)}`)
  }
  for (const [name, bound] of Object.entries(parseResourceList(item.max)).sort(([a], [b]) => a.localeCompare(b))) {
    const request = requests[name]
    const limit = limits[name]
    if (kind === 'PersistentVolumeClaim') {
      if (!request) errors.push(`maximum ${name} usage per ${kind} is ${show(bound)}.  No request is specified`)
      else if (compareQuantities(request, bound) > 0) errors.push(`maximum ${name} usage per ${kind} is ${show(bound)}, but request is ${show(request)}`)
      continue
    }
    if (!limit) errors.push(`maximum ${name} usage per ${kind} is ${show(bound)}.  No limit is specified`)
    else if (compareQuantities(limit, bound) > 0) errors.push(`maximum ${name} usage per ${kind} is ${show(bound)}, but limit is ${show(limit)}`)
    else if (request && compareQuantities(request, bound) > 0) errors.push(`maximum ${name} usage per ${kind} is ${show(bound)}, but request is ${show(request)}`)
  }
  for (const [name, ratio] of Object.entries(parseResourceList(item.maxLimitRequestRatio)).sort(([a], [b]) => a.localeCompare(b))) {
    const value = (q: Quantity | undefined) => (q === undefined ? 0 : name === 'cpu' ? milliValue(q) : wholeValue(q))
    const request = value(requests[name])
    const limit = value(limits[name])
    if (request === 0) errors.push(`${name} max limit to request ratio per ${kind} is ${show(ratio)}, but no request is specified or request is 0`)
    else if (limit === 0) errors.push(`${name} max limit to request ratio per ${kind} is ${show(ratio)}, but no limit is specified or limit is 0`)
    else if (limit / request > milliValue(ratio) / 1000) errors.push(`${name} max limit to request ratio per ${kind} is ${show(ratio)}, but provided ratio is ${(limit / request).toFixed(6)}`)
  }
}

/** Several errors read `[a, b]`, one reads as itself (apimachinery's aggregate error). */
const aggregate = (errors: readonly string[]): string => (errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`)

/**
 * The LimitRanger admission plugin: defaults from the namespace's LimitRanges on new pods
 * (mutating), then min/max/maxLimitRequestRatio per Container and per Pod, and storage bounds on
 * new PersistentVolumeClaims (validating), rejected with upstream's messages, e.g.
 *
 *   pods "web-1" is forbidden: maximum cpu usage per Container is 2, but limit is 4
 *
 * As upstream, pod updates are not checked (containers' resources cannot change).
 */
export const limitRangerAdmission: AdmissionPlugin = {
  name: 'LimitRanger',
  admit(request) {
    if (!isPodCreate(request)) return
    applyDefaults(request.object, itemsOf(request))
  },
  validate(request) {
    if (!isPodCreate(request) && !isClaimCreate(request)) return
    const items = itemsOf(request)
    if (items.length === 0) return
    const errors: string[] = []
    if (isClaimCreate(request)) {
      const requests = parseResourceList(((request.object.spec as Obj | undefined)?.resources as Obj | undefined)?.requests)
      for (const item of items.filter((i) => i.type === 'PersistentVolumeClaim')) checkItem('PersistentVolumeClaim', item, requests, {}, errors)
    } else {
      const spec = (request.object.spec ?? {}) as {containers?: Container[]; initContainers?: Container[]}
      for (const item of items) {
        if (item.type === 'Container') {
          for (const container of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
            checkItem('Container', item, parseResourceList(container.resources?.requests), parseResourceList(container.resources?.limits), errors)
          }
        } else if (item.type === 'Pod') {
          checkItem('Pod', item, podRequests(request.object), podLimits(request.object), errors)
        }
      }
    }
    if (errors.length > 0) throw apiErrors.forbidden(request.type, String(request.object.metadata.name ?? ''), aggregate([...new Set(errors)]))
  },
}
