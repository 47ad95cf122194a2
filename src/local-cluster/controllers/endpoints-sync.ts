import type {KubeObject} from '../../kube/types.js'
import {matchesMapSelector} from './label-selector.js'
import {isPodReady, podPhase} from './pod-state.js'

interface ServicePort {
  name?: string
  port: number
  targetPort?: number | string
  protocol?: string
  appProtocol?: string
}

interface EndpointPort {
  name?: string
  port: number
  protocol: string
  appProtocol?: string
}

interface EndpointAddress {
  ip: string
  nodeName?: string
  targetRef: {kind: 'Pod'; namespace?: string; name?: string; uid?: string}
}

export interface EndpointSubset {
  addresses?: EndpointAddress[]
  notReadyAddresses?: EndpointAddress[]
  ports?: EndpointPort[]
}

/** A Service's targetPort against one pod: a number as is, a name through the pod's container ports. */
export function resolveTargetPort(port: ServicePort, pod: KubeObject): number | undefined {
  const target = port.targetPort ?? port.port
  if (typeof target === 'number') return target
  if (/^\d+$/.test(target)) return Number(target)
  const containers = ((pod.spec as {containers?: Array<{ports?: Array<{name?: string; containerPort: number; protocol?: string}>}>} | undefined)?.containers) ?? []
  for (const container of containers) {
    const found = container.ports?.find((p) => p.name === target && (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP'))
    if (found) return found.containerPort
  }
  return undefined
}

/**
 * The subsets of a Service's Endpoints (upstream endpoints controller): pods the selector picks
 * that have an IP and are not terminating or finished; Ready ones as addresses, the rest as
 * notReadyAddresses (all as addresses with publishNotReadyAddresses). Pods whose named ports
 * resolve differently land in different subsets. Returns undefined for a Service without a
 * selector: its Endpoints are managed by hand.
 */
export function endpointSubsets(service: KubeObject, pods: readonly KubeObject[]): EndpointSubset[] | undefined {
  const spec = (service.spec ?? {}) as {selector?: Record<string, string>; ports?: ServicePort[]; publishNotReadyAddresses?: boolean}
  if (!spec.selector || Object.keys(spec.selector).length === 0) return undefined
  const groups = new Map<string, EndpointSubset>()
  const sorted = [...pods].sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)))
  for (const pod of sorted) {
    if (!matchesMapSelector(spec.selector, pod.metadata.labels)) continue
    const ip = (pod.status as {podIP?: string} | undefined)?.podIP
    const phase = podPhase(pod)
    if (!ip || pod.metadata.deletionTimestamp || phase === 'Succeeded' || phase === 'Failed') continue
    const ports: EndpointPort[] = []
    for (const port of spec.ports ?? []) {
      const number = resolveTargetPort(port, pod)
      if (number === undefined) continue
      ports.push({...(port.name ? {name: port.name} : {}), port: number, protocol: port.protocol ?? 'TCP', ...(port.appProtocol ? {appProtocol: port.appProtocol} : {})})
    }
    if ((spec.ports ?? []).length > 0 && ports.length === 0) continue
    const key = JSON.stringify(ports)
    let subset = groups.get(key)
    if (!subset) groups.set(key, (subset = ports.length ? {ports} : {}))
    const address: EndpointAddress = {
      ip,
      ...((pod.spec as {nodeName?: string} | undefined)?.nodeName ? {nodeName: (pod.spec as {nodeName: string}).nodeName} : {}),
      targetRef: {kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid},
    }
    if (isPodReady(pod) || spec.publishNotReadyAddresses) (subset.addresses ??= []).push(address)
    else (subset.notReadyAddresses ??= []).push(address)
  }
  return [...groups.values()]
}

/** The Endpoints object for a Service with a selector. */
export function buildEndpoints(service: KubeObject, subsets: EndpointSubset[]): KubeObject {
  const labels: Record<string, string> = {...service.metadata.labels}
  if ((service.spec as {clusterIP?: string} | undefined)?.clusterIP === 'None') labels['service.kubernetes.io/headless'] = ''
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {name: service.metadata.name, namespace: service.metadata.namespace, ...(Object.keys(labels).length ? {labels} : {})},
    ...(subsets.length ? {subsets} : {}),
  }
}
