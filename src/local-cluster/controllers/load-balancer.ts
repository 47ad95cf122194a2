import {createHash} from 'node:crypto'

import type {KubeObject} from '../../kube/types.js'

/**
 * The simulated cloud load balancers of a local cluster (pure part). On a cloud, the cloud
 * controller manager's service controller gives a `type: LoadBalancer` Service an address, and an
 * ingress controller (AWS Load Balancer Controller, GKE's) gives an Ingress one; both write it to
 * `status.loadBalancer.ingress` (k8s.io/api core/v1 LoadBalancerStatus, networking/v1
 * IngressLoadBalancerStatus). The local control plane does the same with addresses that are
 * deterministic per cluster, so a re-created environment gets the same entry points.
 *
 * Simulated, following the real rules:
 * - a Service with `spec.loadBalancerClass` belongs to another implementation and is left alone
 *   (KEP-1959: the default controller must ignore it);
 * - a Service that stops being `type: LoadBalancer` loses its status (the service controller
 *   deletes the load balancer and clears the status);
 * - the local ingress controller serves Ingresses without a class and those of class
 *   {@link LOCAL_INGRESS_CLASS}; others (alb, gce) wait for a controller that never comes, as on
 *   a cluster without one.
 */

export const LOCAL_INGRESS_CLASS = 'mygate-local'
/** The suffix of Ingress load-balancer hostnames: NAMESPACE-NAME.CLUSTER.lb.mygate.local. */
export const LOAD_BALANCER_DOMAIN = 'lb.mygate.local'

export type LoadBalancerIngress = {hostname: string} | {ip: string}

/** The Ingress's hostname: readable, unique per cluster, namespace and name. */
export function ingressHostname(cluster: string, namespace: string, name: string): string {
  return `${namespace}-${name}.${cluster}.${LOAD_BALANCER_DOMAIN}`
}

/**
 * A Service's IP in 198.18.0.0/15 (RFC 2544's benchmarking range: never routed on the internet),
 * from a hash of cluster, namespace and name, so it is stable across restarts and re-creates.
 */
export function serviceLoadBalancerIp(cluster: string, namespace: string, name: string): string {
  const digest = createHash('sha256').update(`${cluster}/${namespace}/${name}`).digest()
  const third = digest[0] & 1 ? 19 : 18
  return `198.${third}.${digest[1]}.${Math.max(1, digest[2])}`
}

function ingressClassOf(ingress: KubeObject): string | undefined {
  const spec = (ingress.spec ?? {}) as {ingressClassName?: string}
  return spec.ingressClassName ?? ingress.metadata.annotations?.['kubernetes.io/ingress.class']
}

/** What `status.loadBalancer.ingress` should hold; undefined when this controller does not own the object. */
export function desiredLoadBalancerIngress(object: KubeObject, cluster: string): LoadBalancerIngress[] | undefined {
  const namespace = String(object.metadata.namespace ?? 'default')
  const name = String(object.metadata.name)
  if (object.kind === 'Service') {
    const spec = (object.spec ?? {}) as {type?: string; loadBalancerClass?: string}
    if (spec.loadBalancerClass !== undefined) return undefined
    return spec.type === 'LoadBalancer' ? [{ip: serviceLoadBalancerIp(cluster, namespace, name)}] : []
  }
  if (object.kind === 'Ingress') {
    const className = ingressClassOf(object)
    if (className !== undefined && className !== LOCAL_INGRESS_CLASS) return undefined
    return [{hostname: ingressHostname(cluster, namespace, name)}]
  }
  return undefined
}

export function currentLoadBalancerIngress(object: KubeObject): LoadBalancerIngress[] {
  const status = (object.status ?? {}) as {loadBalancer?: {ingress?: LoadBalancerIngress[]}}
  return status.loadBalancer?.ingress ?? []
}
