import type {KubeObject} from '../../../kube/types.js'
import {apiErrors} from '../../store/api-error.js'
import type {AdmissionPlugin, AdmissionReader, AdmissionRequest} from '../types.js'
import {enforceTightened, formatLevelVersion, type LevelVersion, policyFromLabels, sameLevelVersion} from './policy.js'
import {evaluatePodSecurity, formatViolations, type PodMeta, type Violation} from './standards.js'

type Obj = Record<string, unknown>

const NAMESPACES = {group: '', resource: 'namespaces'}
const PODS = {group: '', resource: 'pods'}

/** Where each workload kind keeps its pod template (pod-security-admission's PodSpecExtractor). */
function podTemplateOf(typeKey: string, object: KubeObject): {metadata?: PodMeta; spec?: unknown} | undefined {
  const spec = (object.spec ?? {}) as Obj
  switch (typeKey) {
    case 'apps/deployments':
    case 'apps/replicasets':
    case 'apps/statefulsets':
    case 'apps/daemonsets':
    case 'batch/jobs':
    case '/replicationcontrollers':
      return spec.template as {metadata?: PodMeta; spec?: unknown} | undefined
    case 'batch/cronjobs':
      return ((spec.jobTemplate as Obj | undefined)?.spec as Obj | undefined)?.template as {metadata?: PodMeta; spec?: unknown} | undefined
    case '/podtemplates':
      return (object as Obj).template as {metadata?: PodMeta; spec?: unknown} | undefined
    default:
      return undefined
  }
}

const key = (request: AdmissionRequest): string => `${request.type.group}/${request.type.resource}`

function namespacePolicy(cluster: AdmissionReader, namespace: string | undefined) {
  const ns = namespace === undefined ? undefined : cluster.get(NAMESPACES, undefined, namespace)
  return policyFromLabels(ns?.metadata.labels).policy
}

const evaluate = (lv: LevelVersion, meta: PodMeta | undefined, spec: unknown): Violation[] => evaluatePodSecurity(lv.level, lv.version, meta ?? {}, spec)

/** A pod update matters only when its containers' images or security settings change (upstream isSignificantPodUpdate). */
function significantPodUpdate(next: KubeObject, previous: KubeObject): boolean {
  const view = (pod: KubeObject) => {
    const spec = (pod.spec ?? {}) as {containers?: Obj[]; initContainers?: Obj[]; ephemeralContainers?: Obj[]}
    const pick = (c: Obj) => ({name: c.name, image: c.image, securityContext: c.securityContext})
    return JSON.stringify([(spec.containers ?? []).map(pick), (spec.initContainers ?? []).map(pick), (spec.ephemeralContainers ?? []).map(pick)])
  }
  return view(next) !== view(previous)
}

function admitPod(request: AdmissionRequest): void {
  if (request.subresource !== undefined) return
  if (request.operation === 'UPDATE' && request.oldObject && !significantPodUpdate(request.object, request.oldObject)) return
  const policy = namespacePolicy(request.cluster, request.object.metadata.namespace)
  const meta = request.object.metadata as PodMeta
  const enforced = evaluate(policy.enforce, meta, request.object.spec)
  if (enforced.length > 0) {
    throw apiErrors.forbidden(request.type, String(request.object.metadata.name ?? ''), `violates PodSecurity "${formatLevelVersion(policy.enforce)}": ${formatViolations(enforced)}`)
  }
  warn(request, policy.warn, meta, request.object.spec)
}

function warn(request: AdmissionRequest, lv: LevelVersion, meta: PodMeta | undefined, spec: unknown): void {
  const violations = evaluate(lv, meta, spec)
  if (violations.length > 0) request.warnings.push(`would violate PodSecurity "${formatLevelVersion(lv)}": ${formatViolations(violations)}`)
}

/** Workloads are never rejected for their template: they get the warn level's Warning, as upstream. */
function admitWorkload(request: AdmissionRequest, template: {metadata?: PodMeta; spec?: unknown}): void {
  if (request.subresource !== undefined) return
  const policy = namespacePolicy(request.cluster, request.object.metadata.namespace)
  warn(request, policy.warn, template.metadata, template.spec)
}

/**
 * Namespace writes: invalid Pod Security labels are rejected (on update only when they changed),
 * and tightening the enforce level warns about the existing pods that would now be rejected
 * (one warning per distinct set of reasons, naming the first pod and how many others share it).
 */
function admitNamespace(request: AdmissionRequest): void {
  if (request.subresource !== undefined) return
  const next = policyFromLabels(request.object.metadata.labels)
  const name = String(request.object.metadata.name ?? '')
  if (request.operation === 'CREATE') {
    if (next.errors.length > 0) throw apiErrors.invalid(request.type, name, next.errors)
    return
  }
  const previous = policyFromLabels(request.oldObject?.metadata.labels)
  if (next.errors.length > 0 && JSON.stringify(next.errors) !== JSON.stringify(previous.errors)) throw apiErrors.invalid(request.type, name, next.errors)
  if (sameLevelVersion(previous.policy.enforce, next.policy.enforce) || !enforceTightened(previous.policy.enforce, next.policy.enforce)) return
  const byReasons = new Map<string, {first: string; count: number}>()
  for (const pod of request.cluster.list(PODS, {namespace: name})) {
    const violations = evaluate(next.policy.enforce, pod.metadata as PodMeta, pod.spec)
    if (violations.length === 0) continue
    const reasons = violations.map((v) => v.reason).join(', ')
    const seen = byReasons.get(reasons)
    const podName = String(pod.metadata.name)
    if (!seen) byReasons.set(reasons, {first: podName, count: 1})
    else byReasons.set(reasons, {first: podName < seen.first ? podName : seen.first, count: seen.count + 1})
  }
  if (byReasons.size === 0) return
  request.warnings.push(`existing pods in namespace ${JSON.stringify(name)} violate the new PodSecurity enforce level ${JSON.stringify(formatLevelVersion(next.policy.enforce))}`)
  const lines = [...byReasons].map(([reasons, {first, count}]) =>
    count === 1 ? `${first}: ${reasons}` : count === 2 ? `${first} (and 1 other pod): ${reasons}` : `${first} (and ${count - 1} other pods): ${reasons}`,
  )
  request.warnings.push(...lines.sort())
}

/**
 * The PodSecurity admission plugin (built into kube-apiserver since 1.23, on by default): pods
 * are checked against their namespace's enforce level and rejected with upstream's message;
 * pods and workload templates get a Warning for the warn level. The audit level writes only to
 * the API server's audit log, which the local control plane does not keep, so it has no visible
 * effect here either. No namespace is exempt (the upstream default configuration).
 */
export const podSecurityAdmission: AdmissionPlugin = {
  name: 'PodSecurity',
  validate(request) {
    const typeKey = key(request)
    if (typeKey === '/namespaces') return admitNamespace(request)
    if (typeKey === '/pods') return admitPod(request)
    const template = podTemplateOf(typeKey, request.object)
    if (template) admitWorkload(request, template)
  },
}
