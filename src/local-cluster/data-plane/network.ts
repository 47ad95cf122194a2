import type {KubeObject} from '../../kube/types.js'
import {matchesMapSelector} from '../controllers/label-selector.js'
import {isPodActive, isPodReady} from '../controllers/pod-state.js'
import type {LocalObjectStore} from '../store/object-store.js'
import {podSpecOf} from './pod/pod-spec.js'

/**
 * How a host name in a connection string or a replica-set config reaches a mongod pod, following
 * Kubernetes DNS (https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/):
 * - `SVC.NS.svc.cluster.local` names a Service: a headless one answers with its pods' IPs (the
 *   port is the pod's), a ClusterIP one forwards its `port` to `targetPort`; either way only Ready
 *   pods are endpoints unless the Service sets `publishNotReadyAddresses` (members must find each
 *   other before they are Ready, so per-member Services need it);
 * - `POD.SUB.NS.svc.cluster.local` names a pod whose `hostname`/`subdomain` are POD/SUB when a
 *   headless Service SUB exists (StatefulSet members: `billing-db-0.billing-db.mygate-data...`);
 * - shorter names go through the pod's search path (NS.svc.cluster.local, svc.cluster.local,
 *   cluster.local);
 * - `SVC.NS.svc.clusterset.local` (the Multi-Cluster Services API, KEP-1645) names a Service in any
 *   cluster of the environment: the local daemon routes between its region clusters this way,
 *   as VPC peering or a shared VPC does for real clusters.
 * A cluster that is down (region outage) answers nothing: its names still resolve, connections
 * time out.
 */

export interface ClusterView {
  name: string
  clusterSet: string
  store: LocalObjectStore
  isDown(): boolean
}

export interface Endpoint {
  cluster: string
  pod: KubeObject
  /** The port the connection reaches on the pod. */
  port: number
}

export type Resolution = {ok: true; endpoints: Endpoint[]} | {ok: false; error: string}

const PODS = {group: '', resource: 'pods'}
const SERVICES = {group: '', resource: 'services'}
const CLUSTER_DOMAIN = 'cluster.local'
const CLUSTERSET_DOMAIN = 'clusterset.local'

export function splitHostPort(hostPort: string): {host: string; port: number} {
  const match = /^(.*?)(?::(\d+))?$/.exec(hostPort.trim())
  return {host: (match?.[1] ?? hostPort).toLowerCase().replace(/\.$/, ''), port: match?.[2] ? Number(match[2]) : 27017}
}

export const isClusterSetName = (host: string): boolean => splitHostPort(host).host.endsWith(`.svc.${CLUSTERSET_DOMAIN}`)

interface ServicePort {
  port: number
  targetPort?: number | string
  name?: string
}

function targetPortOf(pod: KubeObject, target: number | string | undefined, servicePort: number): number | undefined {
  if (target === undefined) return servicePort
  if (typeof target === 'number') return target
  if (/^\d+$/.test(target)) return Number(target)
  for (const container of podSpecOf(pod).containers) for (const port of container.ports ?? []) if (port.name === target) return port.containerPort
  return undefined
}

function serviceEndpoints(cluster: ClusterView, namespace: string, name: string, port: number): Endpoint[] | undefined {
  const service = cluster.store.getShared(SERVICES, namespace, name)
  if (!service) return undefined
  const spec = (service.spec ?? {}) as {selector?: Record<string, string>; clusterIP?: string; ports?: ServicePort[]; publishNotReadyAddresses?: boolean}
  const selector = spec.selector ?? {}
  if (Object.keys(selector).length === 0) return []
  const headless = spec.clusterIP === 'None'
  const servicePort = headless ? undefined : (spec.ports ?? []).find((p) => p.port === port)
  if (!headless && !servicePort) return []
  const out: Endpoint[] = []
  for (const pod of cluster.store.listShared(PODS, {namespace}).items) {
    if (!matchesMapSelector(selector, pod.metadata.labels) || !isPodActive(pod)) continue
    if (!(pod.status as {podIP?: string} | undefined)?.podIP) continue
    if (!isPodReady(pod) && !spec.publishNotReadyAddresses) continue
    const target = headless ? port : targetPortOf(pod, servicePort?.targetPort, port)
    if (target !== undefined) out.push({cluster: cluster.name, pod, port: target})
  }
  // A headless Service without endpoints has no A records (getaddrinfo fails); a ClusterIP one
  // resolves to its IP and refuses connections.
  return headless && out.length === 0 ? undefined : out
}

function podByHostname(cluster: ClusterView, namespace: string, hostname: string, subdomain: string, port: number): Endpoint[] | undefined {
  const service = cluster.store.getShared(SERVICES, namespace, subdomain)
  const spec = (service?.spec ?? {}) as {clusterIP?: string; publishNotReadyAddresses?: boolean}
  if (!service || spec.clusterIP !== 'None') return undefined
  const pod = cluster.store.listShared(PODS, {namespace}).items.find((p) => {
    const podSpec = podSpecOf(p)
    return podSpec.hostname === hostname && podSpec.subdomain === subdomain && isPodActive(p)
  })
  if (!pod || !(pod.status as {podIP?: string} | undefined)?.podIP) return undefined
  if (!isPodReady(pod) && !spec.publishNotReadyAddresses) return undefined
  return [{cluster: cluster.name, pod, port}]
}

/** Resolves one fully qualified name; undefined is NXDOMAIN. */
function resolveFqdn(fqdn: string, port: number, from: ClusterView, clusters: readonly ClusterView[]): Endpoint[] | undefined {
  if (fqdn.endsWith(`.svc.${CLUSTER_DOMAIN}`)) {
    const labels = fqdn.slice(0, -`.svc.${CLUSTER_DOMAIN}`.length).split('.')
    if (labels.length === 2) return serviceEndpoints(from, labels[1], labels[0], port)
    if (labels.length === 3) return podByHostname(from, labels[2], labels[0], labels[1], port)
    return undefined
  }
  if (fqdn.endsWith(`.svc.${CLUSTERSET_DOMAIN}`)) {
    const labels = fqdn.slice(0, -`.svc.${CLUSTERSET_DOMAIN}`.length).split('.')
    if (labels.length !== 2) return undefined
    let found: Endpoint[] | undefined
    for (const cluster of clusters) {
      if (cluster.clusterSet !== from.clusterSet) continue
      const endpoints = serviceEndpoints(cluster, labels[1], labels[0], port)
      if (endpoints) found = [...(found ?? []), ...endpoints]
    }
    return found
  }
  return undefined
}

/** The DNS names a pod in `namespace` tries for `host` (ndots:5 and the cluster search path). */
export function searchNames(host: string, namespace: string): string[] {
  if (host.endsWith(`.${CLUSTER_DOMAIN}`) || host.endsWith(`.${CLUSTERSET_DOMAIN}`)) return [host]
  return [`${host}.${namespace}.svc.${CLUSTER_DOMAIN}`, `${host}.svc.${CLUSTER_DOMAIN}`, `${host}.${CLUSTER_DOMAIN}`, host]
}

/** Where a connection to `hostPort` from a pod of `from`/`namespace` lands. */
export function resolveHost(hostPort: string, from: ClusterView, namespace: string, clusters: readonly ClusterView[]): Resolution {
  const {host, port} = splitHostPort(hostPort)
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) {
    const pod = from.store.listShared(PODS).items.find((p) => (p.status as {podIP?: string} | undefined)?.podIP === host && isPodActive(p))
    return pod ? {ok: true, endpoints: [{cluster: from.name, pod, port}]} : {ok: false, error: `connect ETIMEDOUT ${host}:${port}`}
  }
  for (const name of searchNames(host, namespace)) {
    const endpoints = resolveFqdn(name, port, from, clusters)
    if (endpoints === undefined) continue
    if (endpoints.length === 0) return {ok: false, error: `connect ECONNREFUSED ${host}:${port}`}
    return {ok: true, endpoints}
  }
  return {ok: false, error: `getaddrinfo ENOTFOUND ${host}`}
}
