import {UsageError} from '../errors.js'
import type {KubeObject} from '../kube/types.js'

/**
 * Schema validation of rendered objects against the upstream Kubernetes OpenAPI schemas
 * (kubernetes-models) and the published Istio / Prometheus Operator CRD schemas. Every kind the
 * renderer can produce must be listed here: an object of an unlisted kind is an error, never
 * silently accepted.
 */

interface SchemaError {
  instancePath?: string
  message?: string
}

type ValidateFn = (object: KubeObject) => SchemaError[]

// `never` accepts every model's typed constructor; objects are checked at run time instead.
type ModelClass = new (data: never) => {validate(): void}

// Imported lazily: only `render` (and later deploy) pays for the schema code.
const MODELS: Record<string, () => Promise<ModelClass>> = {
  'v1/Namespace': async () => (await import('kubernetes-models/v1/Namespace')).Namespace,
  'v1/Service': async () => (await import('kubernetes-models/v1/Service')).Service,
  'v1/ServiceAccount': async () => (await import('kubernetes-models/v1/ServiceAccount')).ServiceAccount,
  'v1/ConfigMap': async () => (await import('kubernetes-models/v1/ConfigMap')).ConfigMap,
  'v1/ResourceQuota': async () => (await import('kubernetes-models/v1/ResourceQuota')).ResourceQuota,
  'v1/LimitRange': async () => (await import('kubernetes-models/v1/LimitRange')).LimitRange,
  'apps/v1/Deployment': async () => (await import('kubernetes-models/apps/v1/Deployment')).Deployment,
  'apps/v1/StatefulSet': async () => (await import('kubernetes-models/apps/v1/StatefulSet')).StatefulSet,
  // Database operations (templates/mongodb/ops/job.yaml).
  'batch/v1/Job': async () => (await import('kubernetes-models/batch/v1/Job')).Job,
  'autoscaling/v2/HorizontalPodAutoscaler': async () =>
    (await import('kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler')).HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': async () => (await import('kubernetes-models/policy/v1/PodDisruptionBudget')).PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': async () => (await import('kubernetes-models/networking.k8s.io/v1/NetworkPolicy')).NetworkPolicy,
  'rbac.authorization.k8s.io/v1/Role': async () => (await import('kubernetes-models/rbac.authorization.k8s.io/v1/Role')).Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': async () =>
    (await import('kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding')).RoleBinding,
  'networking.k8s.io/v1/Ingress': async () => (await import('kubernetes-models/networking.k8s.io/v1/Ingress')).Ingress,
  'networking.gke.io/v1/ManagedCertificate': async () => (await import('@kubernetes-models/gke/networking.gke.io/v1/ManagedCertificate')).ManagedCertificate,
  'cloud.google.com/v1/BackendConfig': async () => (await import('@kubernetes-models/gke/cloud.google.com/v1/BackendConfig')).BackendConfig,
  'networking.istio.io/v1beta1/VirtualService': async () =>
    (await import('@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService')).VirtualService,
  'networking.istio.io/v1beta1/DestinationRule': async () =>
    (await import('@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule')).DestinationRule,
  'security.istio.io/v1beta1/PeerAuthentication': async () =>
    (await import('@kubernetes-models/istio/security.istio.io/v1beta1/PeerAuthentication')).PeerAuthentication,
  'monitoring.coreos.com/v1/PrometheusRule': async () =>
    (await import('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule')).PrometheusRule,
}

/** The apiVersion/kind pairs validateObjects() knows. */
export const VALIDATED_KINDS: readonly string[] = Object.keys(MODELS)

const validators = new Map<string, Promise<ValidateFn>>()

function validatorFor(key: string): Promise<ValidateFn> | undefined {
  const load = MODELS[key]
  if (!load) return undefined
  let entry = validators.get(key)
  if (!entry) {
    entry = load().then((Model) => (object: KubeObject) => {
      try {
        new Model(object as never).validate()
        return []
      } catch (error) {
        const errors = (error as {errors?: SchemaError[]}).errors
        return errors && errors.length > 0 ? errors : [{instancePath: '', message: (error as Error).message}]
      }
    })
    validators.set(key, entry)
  }
  return entry
}

/** `/spec/template/spec/containers/0/ports` -> `spec.template.spec.containers[0].ports` */
export function fieldPath(instancePath: string | undefined): string {
  if (!instancePath) return '(object)'
  return instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((path, segment) => (/^\d+$/.test(segment) ? `${path}[${segment}]` : path === '' ? segment : `${path}.${segment}`), '')
}

export interface ValidationProblem {
  object: string
  field: string
  message: string
}

/**
 * Validates every object; throws one UsageError naming the first failing object and field
 * (all problems are in `details.problems`).
 */
export async function validateObjects(objects: KubeObject[]): Promise<void> {
  const problems: ValidationProblem[] = []
  for (const object of objects) {
    const key = `${object.apiVersion}/${object.kind}`
    const validator = validatorFor(key)
    if (!validator) {
      problems.push({object: describeObject(object), field: 'apiVersion/kind', message: `no schema known for ${key}`})
      continue
    }
    for (const error of (await validator)(object)) {
      problems.push({object: describeObject(object), field: fieldPath(error.instancePath), message: error.message ?? 'is invalid'})
    }
  }
  if (problems.length > 0) {
    const [first] = problems
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''
    throw new UsageError(`rendered ${first.object} is invalid: ${first.field} ${first.message}${more}`, {
      hint: 'fix the template or descriptor that produces this field',
      details: {problems},
    })
  }
}

/** `Kind namespace/name` (or `Kind name` when cluster-scoped), for messages. */
function describeObject(object: Pick<KubeObject, 'kind' | 'metadata'>): string {
  const {namespace, name} = object.metadata ?? {}
  return namespace ? `${object.kind} ${namespace}/${name}` : `${object.kind} ${name}`
}
