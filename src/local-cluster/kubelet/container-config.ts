import type {KubeObject} from '../../kube/types.js'

/**
 * What the kubelet needs from the API before it can start a pod's containers: the Secrets and
 * ConfigMaps its volumes mount and its containers' environment reads. A real kubelet stops
 * there when one is missing, with these messages (kubelet_pods.go makeEnvironmentVariables,
 * volume/secret and volume/configmap SetUpAt, operation_generator.go):
 *
 * - volume: the pod stays ContainerCreating, Warning FailedMount
 *   `MountVolume.SetUp failed for volume "creds" : secret "billing-db-credentials" not found`;
 * - environment: the container waits in CreateContainerConfigError with
 *   `secret "billing-db-credentials" not found` or
 *   `couldn't find key uri in Secret mygate-data/billing-db-credentials`.
 *
 * References marked `optional: true` are skipped when missing, as upstream.
 */

type Obj = Record<string, unknown>

export interface ConfigSource {
  secret(name: string): KubeObject | undefined
  configMap(name: string): KubeObject | undefined
}

export interface ContainerConfigProblems {
  /** One FailedMount message per volume that cannot be set up (in spec order). */
  mounts: string[]
  /** Container name -> why its configuration cannot be built (the first problem found). */
  containers: Record<string, string>
}

interface KeyToPath {
  key: string
}

interface EnvFromSource {
  configMapRef?: {name?: string; optional?: boolean}
  secretRef?: {name?: string; optional?: boolean}
}

interface EnvVar {
  valueFrom?: {
    configMapKeyRef?: {name?: string; key: string; optional?: boolean}
    secretKeyRef?: {name?: string; key: string; optional?: boolean}
  }
}

interface Container {
  name: string
  env?: EnvVar[]
  envFrom?: EnvFromSource[]
}

interface Volume {
  name: string
  secret?: {secretName?: string; optional?: boolean; items?: KeyToPath[]}
  configMap?: {name?: string; optional?: boolean; items?: KeyToPath[]}
  projected?: {sources?: Array<{secret?: {name?: string; optional?: boolean; items?: KeyToPath[]}; configMap?: {name?: string; optional?: boolean; items?: KeyToPath[]}}>}
}

interface PodSpec {
  containers?: Container[]
  initContainers?: Container[]
  volumes?: Volume[]
}

/** Keys a Secret holds (data; stringData too, should a writer's copy still carry it). */
function secretKeys(secret: KubeObject): Set<string> {
  const record = secret as Obj
  return new Set([...Object.keys((record.data as Obj | undefined) ?? {}), ...Object.keys((record.stringData as Obj | undefined) ?? {})])
}

function configMapKeys(configMap: KubeObject): Set<string> {
  const record = configMap as Obj
  return new Set([...Object.keys((record.data as Obj | undefined) ?? {}), ...Object.keys((record.binaryData as Obj | undefined) ?? {})])
}

/** Why a secret or configMap source cannot be set up, or undefined when it can (or may be skipped). */
function sourceProblem(kind: 'secret' | 'configmap', name: string, optional: boolean | undefined, items: KeyToPath[] | undefined, source: ConfigSource): string | undefined {
  const object = kind === 'secret' ? source.secret(name) : source.configMap(name)
  if (!object) return optional ? undefined : `${kind} "${name}" not found`
  const keys = kind === 'secret' ? secretKeys(object) : configMapKeys(object)
  for (const item of items ?? []) {
    if (keys.has(item.key) || optional) continue
    return kind === 'secret' ? `references non-existent secret key: ${item.key}` : `configmap references non-existent config key: ${item.key}`
  }
  return undefined
}

function volumeProblem(volume: Volume, source: ConfigSource): string | undefined {
  if (volume.secret) return sourceProblem('secret', String(volume.secret.secretName ?? ''), volume.secret.optional, volume.secret.items, source)
  if (volume.configMap) return sourceProblem('configmap', String(volume.configMap.name ?? ''), volume.configMap.optional, volume.configMap.items, source)
  if (volume.projected) {
    const problems = (volume.projected.sources ?? []).flatMap((s) => {
      const problem = s.secret
        ? sourceProblem('secret', String(s.secret.name ?? ''), s.secret.optional, s.secret.items, source)
        : s.configMap
          ? sourceProblem('configmap', String(s.configMap.name ?? ''), s.configMap.optional, s.configMap.items, source)
          : undefined
      return problem ? [problem] : []
    })
    // Several problems read `[a, b]`, as apimachinery's aggregate error prints them.
    return problems.length === 0 ? undefined : problems.length === 1 ? problems[0] : `[${problems.join(', ')}]`
  }
  return undefined
}

/** The first reason a container's environment cannot be built: envFrom first, then env, in order. */
function environmentProblem(container: Container, namespace: string, source: ConfigSource): string | undefined {
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) {
      const name = String(from.configMapRef.name ?? '')
      if (!source.configMap(name) && !from.configMapRef.optional) return `configmap "${name}" not found`
    }
    if (from.secretRef) {
      const name = String(from.secretRef.name ?? '')
      if (!source.secret(name) && !from.secretRef.optional) return `secret "${name}" not found`
    }
  }
  for (const variable of container.env ?? []) {
    const configRef = variable.valueFrom?.configMapKeyRef
    if (configRef) {
      const name = String(configRef.name ?? '')
      const configMap = source.configMap(name)
      if (!configMap) {
        if (!configRef.optional) return `configmap "${name}" not found`
      } else if (!configMapKeys(configMap).has(configRef.key) && !configRef.optional) {
        return `couldn't find key ${configRef.key} in ConfigMap ${namespace}/${name}`
      }
    }
    const secretRef = variable.valueFrom?.secretKeyRef
    if (secretRef) {
      const name = String(secretRef.name ?? '')
      const secret = source.secret(name)
      if (!secret) {
        if (!secretRef.optional) return `secret "${name}" not found`
      } else if (!secretKeys(secret).has(secretRef.key) && !secretRef.optional) {
        return `couldn't find key ${secretRef.key} in Secret ${namespace}/${name}`
      }
    }
  }
  return undefined
}

/** Every problem that keeps the kubelet from starting this pod's containers (empty when none). */
export function containerConfigProblems(pod: KubeObject, source: ConfigSource): ContainerConfigProblems {
  const spec = (pod.spec ?? {}) as PodSpec
  const namespace = String(pod.metadata.namespace ?? 'default')
  const mounts = (spec.volumes ?? []).flatMap((volume) => {
    const problem = volumeProblem(volume, source)
    return problem ? [`MountVolume.SetUp failed for volume ${JSON.stringify(volume.name)} : ${problem}`] : []
  })
  const containers: Record<string, string> = {}
  for (const container of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    const problem = environmentProblem(container, namespace, source)
    if (problem) containers[container.name] = problem
  }
  return {mounts, containers}
}

/** The Secret and ConfigMap names a pod reads (to know which pods a change to one concerns). */
export function referencedConfig(pod: KubeObject): {secrets: Set<string>; configMaps: Set<string>} {
  const spec = (pod.spec ?? {}) as PodSpec
  const secrets = new Set<string>()
  const configMaps = new Set<string>()
  for (const volume of spec.volumes ?? []) {
    if (volume.secret?.secretName) secrets.add(volume.secret.secretName)
    if (volume.configMap?.name) configMaps.add(volume.configMap.name)
    for (const s of volume.projected?.sources ?? []) {
      if (s.secret?.name) secrets.add(s.secret.name)
      if (s.configMap?.name) configMaps.add(s.configMap.name)
    }
  }
  for (const container of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    for (const from of container.envFrom ?? []) {
      if (from.secretRef?.name) secrets.add(from.secretRef.name)
      if (from.configMapRef?.name) configMaps.add(from.configMapRef.name)
    }
    for (const variable of container.env ?? []) {
      if (variable.valueFrom?.secretKeyRef?.name) secrets.add(variable.valueFrom.secretKeyRef.name)
      if (variable.valueFrom?.configMapKeyRef?.name) configMaps.add(variable.valueFrom.configMapKeyRef.name)
    }
  }
  return {secrets, configMaps}
}

export const NO_PROBLEMS: ContainerConfigProblems = Object.freeze({mounts: [], containers: {}})
