import type {KubeObject} from '../../kube/types.js'
import type {ResourceRef} from '../store/types.js'
import {applyActions} from './actions.js'
import {currentLoadBalancerIngress, desiredLoadBalancerIngress} from './load-balancer.js'
import {SERVICES} from './resources.js'
import type {ControllerContext, ControllerDefinition} from './runtime.js'

export const INGRESSES: ResourceRef = {group: 'networking.k8s.io', resource: 'ingresses'}

/**
 * The local cluster's stand-in for the cloud's load balancers (see load-balancer.ts): Services of
 * type LoadBalancer and Ingresses get `status.loadBalancer.ingress` written through the status
 * subresource, as the cloud controller manager and ingress controllers write it.
 */
export function loadBalancerController(context: ControllerContext, clusterName: string): ControllerDefinition {
  const {store} = context
  const refs: Record<string, ResourceRef> = {svc: SERVICES, ing: INGRESSES}
  const keyOf = (prefix: string) => (event: {type: string; object: KubeObject}) =>
    event.type === 'DELETED' ? [] : [`${prefix}:${event.object.metadata.namespace ?? ''}/${event.object.metadata.name}`]
  return {
    name: 'load-balancer',
    watches: [
      {ref: SERVICES, keys: keyOf('svc')},
      {ref: INGRESSES, keys: keyOf('ing')},
    ],
    reconcile(key) {
      const [prefix, rest] = key.split(':', 2)
      const [namespace, name] = rest.split('/', 2)
      const ref = refs[prefix]
      const object = ref ? store.get(ref, namespace, name) : undefined
      if (!object || object.metadata.deletionTimestamp) return
      const desired = desiredLoadBalancerIngress(object, clusterName)
      if (desired === undefined) return
      if (JSON.stringify(currentLoadBalancerIngress(object)) === JSON.stringify(desired)) return
      const status = {...((object.status ?? {}) as Record<string, unknown>), loadBalancer: desired.length > 0 ? {ingress: desired} : {}}
      applyActions(store, [{type: 'updateStatus', ref, object: {...object, status}}])
    },
  }
}
