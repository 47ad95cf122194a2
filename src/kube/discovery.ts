import {KindNotServedError} from './api-error.js'
import type {KubeApi} from './api.js'

/**
 * What API discovery says a cluster serves, for kinds that only exist where an operator installed
 * their CRD. A real EKS or GKE cluster without prometheus-operator has no
 * monitoring.coreos.com/v1 and refuses a PrometheusRule ("no matches for kind"), so mygate asks
 * discovery before applying one and says, once per kind, what was not applied and what installs it.
 * Discovery itself is the access layer's (KubeApi.resourceFor, cached per group/version).
 */

/** Kinds mygate renders whose CRDs come with an operator: what installs them and what is lost without. */
const OPERATOR_KINDS: Record<string, {install: string; without: string}> = {
  'monitoring.coreos.com/v1/PrometheusRule': {install: 'prometheus-operator', without: 'alerts not applied'},
  'networking.istio.io/v1/VirtualService': {install: 'Istio', without: 'mesh routing not applied'},
  'networking.istio.io/v1beta1/VirtualService': {install: 'Istio', without: 'mesh routing not applied'},
  'networking.istio.io/v1/DestinationRule': {install: 'Istio', without: 'mesh routing not applied'},
  'networking.istio.io/v1beta1/DestinationRule': {install: 'Istio', without: 'mesh routing not applied'},
  'security.istio.io/v1beta1/PeerAuthentication': {install: 'Istio', without: 'mesh mTLS not applied'},
}

/** Whether the cluster serves the kind (discovery); other failures (unreachable, 5xx) propagate. */
export async function servesKind(client: Pick<KubeApi, 'resourceFor'>, apiVersion: string, kind: string): Promise<boolean> {
  try {
    await client.resourceFor(apiVersion, kind)
    return true
  } catch (error) {
    if (error instanceof KindNotServedError) return false
    throw error
  }
}

/**
 * One line for a kind the cluster does not serve, the same in `env create` and `env diff`:
 * "PrometheusRule not served by the cluster (install prometheus-operator): alerts not applied".
 * A kind with no known operator: "KIND not served by the cluster (APIVERSION: install its CRD)".
 */
export function notServedLine(apiVersion: string, kind: string): string {
  const known = OPERATOR_KINDS[`${apiVersion}/${kind}`]
  return known ? `${kind} not served by the cluster (install ${known.install}): ${known.without}` : `${kind} not served by the cluster (${apiVersion}: install its CRD)`
}
