import type {ServiceDescriptor} from '../catalog/types.js'
import {NAMESPACES} from '../config/types.js'
import type {EnvironmentSpec} from '../config/types.js'
import {MANAGED_BY, PART_OF} from '../kube/types.js'

/**
 * The naming and label contract every rendered object follows. Rollout, apply and failover code
 * rely on it; change it only together with them.
 *
 * - Namespaces: app services (`kind: app`) live in `NAMESPACES.apps` (`mygate`), data services
 *   (mongodb, redis) in `NAMESPACES.data` (`mygate-data`); `NAMESPACES.system` holds mygate's
 *   own records and no workloads.
 * - Workload names: the Deployment (apps) or StatefulSet (data) is named after the service, as
 *   are its Service, ServiceAccount (apps), ConfigMap (apps), NetworkPolicy, PodDisruptionBudget,
 *   HorizontalPodAutoscaler,
 *   DestinationRule, VirtualService, Role, RoleBinding and PrometheusRule. A data service's
 *   headless Service is named after the service too (pods resolve as NAME-0.NAME.mygate-data).
 * - Every object carries {@link commonLabels}: `app.kubernetes.io/name`, `app.kubernetes.io/part-of:
 *   mygate`, `app.kubernetes.io/managed-by: mygate`, `app.kubernetes.io/version` (the image tag)
 *   and `mygate.dev/environment: ENV`. Baseline objects that belong to no service use the name
 *   `mygate-baseline` and the mygate package version.
 * - A Deployment's selector and pod template labels are {@link podSelectorLabels}:
 *   `{app.kubernetes.io/name: NAME, mygate.dev/track: stable}` (the pod template also carries the
 *   common labels). The Service selects `{app.kubernetes.io/name: NAME}` only
 *   ({@link serviceSelectorLabels}), so canary / blue-green copies with another track receive
 *   traffic once rollout code creates them; Istio subsets `stable` and `canary` split on
 *   `mygate.dev/track`.
 * - Images: apps use `${env.registry}/${image.repository}:${env.versions[name] ?? image.tag}`;
 *   data services use `${image.repository}:${image.tag}` as written in their descriptor.
 */

export const LABEL_NAME = 'app.kubernetes.io/name'
export const LABEL_PART_OF = 'app.kubernetes.io/part-of'
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by'
export const LABEL_VERSION = 'app.kubernetes.io/version'
export const LABEL_ENVIRONMENT = 'mygate.dev/environment'
export const LABEL_TRACK = 'mygate.dev/track'
/** On objects that belong in one region's cluster only (a replica-set member's Service): see objectsForRegion. */
export const LABEL_REGION = 'mygate.dev/region'

export const TRACK_STABLE = 'stable'
export const TRACK_CANARY = 'canary'

/** `app.kubernetes.io/name` of baseline objects that belong to no single service. */
export const BASELINE_NAME = 'mygate-baseline'

export function commonLabels(name: string, version: string, envName: string): Record<string, string> {
  return {
    [LABEL_NAME]: name,
    [LABEL_PART_OF]: PART_OF,
    [LABEL_MANAGED_BY]: MANAGED_BY,
    [LABEL_VERSION]: version,
    [LABEL_ENVIRONMENT]: envName,
  }
}

export function serviceSelectorLabels(name: string): Record<string, string> {
  return {[LABEL_NAME]: name}
}

export function podSelectorLabels(name: string, track: string = TRACK_STABLE): Record<string, string> {
  return {[LABEL_NAME]: name, [LABEL_TRACK]: track}
}

export function serviceNamespace(service: Pick<ServiceDescriptor, 'kind'>): string {
  return service.kind === 'app' ? NAMESPACES.apps : NAMESPACES.data
}

/** The image tag deployed for a service in an environment (the version label's value). */
export function imageTag(service: ServiceDescriptor, env: EnvironmentSpec): string {
  // Apps and MongoDB databases are deployed (`mygate deploy`, a database by role): the version the
  // environment recorded wins over the descriptor's. Redis stays pinned by its descriptor.
  return service.kind === 'app' || service.kind === 'mongodb' ? (env.versions[service.name] ?? service.image.tag) : service.image.tag
}

export function imageReference(service: ServiceDescriptor, env: EnvironmentSpec): string {
  const tag = imageTag(service, env)
  return service.kind === 'app' ? `${env.registry}/${service.image.repository}:${tag}` : `${service.image.repository}:${tag}`
}

/**
 * The objects one region's cluster gets: everything, except objects labelled for another region
 * (LABEL_REGION; e.g. the per-member Services of a two-region environment).
 */
export function objectsForRegion<T extends {metadata: {labels?: Record<string, string>}}>(objects: T[], region: string): T[] {
  return objects.filter((object) => {
    const only = object.metadata.labels?.[LABEL_REGION]
    return only === undefined || only === region
  })
}
