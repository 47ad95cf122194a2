import {NAMESPACES} from '../../config/types.js'
import type {KubeObject} from '../../kube/types.js'
import {LABEL_RESTORED_SET} from './restored-set.js'

/**
 * A restored set is rendered so that only mygate's Jobs reach it (restored-set.ts), and the
 * service's own egress policy names its live database's pods. Before the service is pointed at
 * the restored set both sides must allow the connection: NetworkPolicies are additive (a
 * connection is allowed when any policy selecting the pod allows it,
 * https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource),
 * so two small policies are added rather than the rendered ones changed: ingress to the set's
 * members from the service's pods, egress from the service's pods to the set's members. Both carry
 * the restored-set label; --undo keeps them (the set is kept and may be switched to again).
 */
export function switchNetworkPolicies(input: {service: string; set: string; port: number}): KubeObject[] {
  const labels = {'app.kubernetes.io/managed-by': 'mygate', [LABEL_RESTORED_SET]: input.set}
  const servicePods = {matchLabels: {'app.kubernetes.io/name': input.service}}
  const setPods = {matchLabels: {'app.kubernetes.io/name': input.set}}
  const port = [{protocol: 'TCP', port: input.port}]
  return [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: {name: `${input.set}-from-${input.service}`, namespace: NAMESPACES.data, labels},
      spec: {
        podSelector: setPods,
        policyTypes: ['Ingress'],
        ingress: [{from: [{namespaceSelector: {matchLabels: {'kubernetes.io/metadata.name': NAMESPACES.apps}}, podSelector: servicePods}], ports: port}],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: {name: `${input.service}-to-${input.set}`, namespace: NAMESPACES.apps, labels},
      spec: {
        podSelector: servicePods,
        policyTypes: ['Egress'],
        egress: [{to: [{namespaceSelector: {matchLabels: {'kubernetes.io/metadata.name': NAMESPACES.data}}, podSelector: setPods}], ports: port}],
      },
    },
  ]
}
