import type {KubeObject} from '../../../kube/types.js'
import type {ObjectReader} from './objects.js'
import type {ContainerSpec} from './pod-spec.js'

export type EnvResult = {ok: true; env: Map<string, string>} | {ok: false; reason: 'CreateContainerConfigError'; message: string}

/**
 * A container's environment as the kubelet builds it: envFrom first, then env in order (later
 * entries win, `$(VAR)` in values expands from earlier ones). A missing Secret, ConfigMap or key
 * that is not optional stops the container with CreateContainerConfigError; with `lenient` the
 * reference is skipped instead: the data plane leaves that verdict to the kubelet, which decides
 * whether such a container starts at all, and judges only what runs once it has.
 */
export function containerEnv(pod: KubeObject, container: ContainerSpec, objects: ObjectReader, options: {lenient?: boolean} = {}): EnvResult {
  const namespace = String(pod.metadata.namespace)
  const env = new Map<string, string>()
  for (const source of container.envFrom ?? []) {
    const ref = source.secretRef ?? source.configMapRef
    if (!ref) continue
    const data = source.secretRef ? objects.secret(namespace, ref.name) : objects.configMap(namespace, ref.name)
    if (!data) {
      if (ref.optional || options.lenient) continue
      return {ok: false, reason: 'CreateContainerConfigError', message: `${source.secretRef ? 'secret' : 'configmap'} "${ref.name}" not found`}
    }
    for (const [key, value] of Object.entries(data)) env.set(`${source.prefix ?? ''}${key}`, value)
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) {
      env.set(variable.name, variable.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string) => env.get(name) ?? match))
      continue
    }
    const from = variable.valueFrom
    const secretRef = from?.secretKeyRef
    const configMapRef = from?.configMapKeyRef
    if (secretRef || configMapRef) {
      const ref = (secretRef ?? configMapRef) as {name: string; key: string; optional?: boolean}
      const kind = secretRef ? 'secret' : 'configmap'
      const data = secretRef ? objects.secret(namespace, ref.name) : objects.configMap(namespace, ref.name)
      if (!data) {
        if (ref.optional || options.lenient) continue
        return {ok: false, reason: 'CreateContainerConfigError', message: `${kind} "${ref.name}" not found`}
      }
      if (!(ref.key in data)) {
        if (ref.optional || options.lenient) continue
        return {ok: false, reason: 'CreateContainerConfigError', message: `couldn't find key ${ref.key} in ${secretRef ? 'Secret' : 'ConfigMap'} ${namespace}/${ref.name}`}
      }
      env.set(variable.name, data[ref.key])
      continue
    }
    if (from?.fieldRef) {
      const value = fieldValue(pod, from.fieldRef.fieldPath)
      if (value !== undefined) env.set(variable.name, value)
      continue
    }
    env.set(variable.name, '')
  }
  return {ok: true, env}
}

function fieldValue(pod: KubeObject, path: string): string | undefined {
  switch (path) {
    case 'metadata.name':
      return String(pod.metadata.name)
    case 'metadata.namespace':
      return String(pod.metadata.namespace)
    case 'metadata.uid':
      return String(pod.metadata.uid)
    case 'status.podIP':
      return (pod.status as {podIP?: string} | undefined)?.podIP
    case 'spec.nodeName':
      return (pod.spec as {nodeName?: string} | undefined)?.nodeName
    default: {
      // metadata.labels['KEY'] / metadata.annotations['KEY'] (the downward API's documented forms).
      const keyed = /^metadata\.(labels|annotations)\['([^']+)'\]$/.exec(path)
      if (!keyed) return undefined
      const map = (keyed[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations) as Record<string, string> | undefined
      return map?.[keyed[2]]
    }
  }
}
