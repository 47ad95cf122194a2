import type {KubeObject} from '../../../kube/types.js'

/** The parts of a pod spec the data plane reads. */
export interface EnvVar {
  name: string
  value?: string
  valueFrom?: {
    secretKeyRef?: {name: string; key: string; optional?: boolean}
    configMapKeyRef?: {name: string; key: string; optional?: boolean}
    fieldRef?: {fieldPath: string}
  }
}

export interface VolumeMount {
  name: string
  mountPath: string
  subPath?: string
  readOnly?: boolean
}

export interface SecurityContext {
  runAsUser?: number
  runAsGroup?: number
  fsGroup?: number
  runAsNonRoot?: boolean
}

export interface ContainerSpec {
  name: string
  image?: string
  command?: string[]
  args?: string[]
  env?: EnvVar[]
  envFrom?: Array<{secretRef?: {name: string; optional?: boolean}; configMapRef?: {name: string; optional?: boolean}; prefix?: string}>
  volumeMounts?: VolumeMount[]
  ports?: Array<{name?: string; containerPort: number; protocol?: string}>
  securityContext?: SecurityContext
  readinessProbe?: Probe
  livenessProbe?: Probe
  startupProbe?: Probe
  terminationMessagePath?: string
  terminationMessagePolicy?: 'File' | 'FallbackToLogsOnError'
}

export interface Probe {
  exec?: {command?: string[]}
  tcpSocket?: {port: number | string}
  httpGet?: {port: number | string; path?: string}
  timeoutSeconds?: number
  periodSeconds?: number
}

export interface KeyToPath {
  key: string
  path: string
  mode?: number
}

export interface Volume {
  name: string
  secret?: {secretName: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean}
  configMap?: {name: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean}
  emptyDir?: Record<string, unknown>
  persistentVolumeClaim?: {claimName: string; readOnly?: boolean}
  projected?: {defaultMode?: number; sources?: Array<{secret?: {name: string; items?: KeyToPath[]; optional?: boolean}; configMap?: {name: string; items?: KeyToPath[]; optional?: boolean}}>}
}

export interface PodSpec {
  containers: ContainerSpec[]
  initContainers?: ContainerSpec[]
  volumes?: Volume[]
  securityContext?: SecurityContext
  hostname?: string
  subdomain?: string
}

export const podSpecOf = (pod: KubeObject): PodSpec => ({containers: [], ...((pod.spec ?? {}) as Partial<PodSpec>)}) as PodSpec

/** The official image's name: `mongo`, `mongo:7.0`, `docker.io/library/mongo:7.0@sha256:...`. */
export function isMongoImage(image: string | undefined): boolean {
  if (!image) return false
  const withoutDigest = image.split('@')[0]
  const path = withoutDigest.replace(/:[^/:]+$/, '')
  return /(^|\/)mongo$/.test(path)
}

/**
 * The process a container runs. A pod's `command` replaces the image's ENTRYPOINT and `args` its
 * CMD. The `mongo` image's entrypoint is docker-entrypoint.sh (docker-library/mongo): when its
 * first argument starts with '-' it prepends `mongod`; with no arguments the image's CMD is
 * `mongod`; anything else is executed as given.
 */
export function containerProcess(container: ContainerSpec): {argv: string[]; viaEntrypoint: boolean} {
  if (container.command && container.command.length > 0) {
    const argv = [...container.command, ...(container.args ?? [])]
    const viaEntrypoint = basename(argv[0]) === 'docker-entrypoint.sh'
    return {argv: viaEntrypoint ? entrypointArgv(argv.slice(1)) : argv, viaEntrypoint}
  }
  if (isMongoImage(container.image)) return {argv: entrypointArgv(container.args ?? []), viaEntrypoint: true}
  return {argv: [...(container.args ?? [])], viaEntrypoint: false}
}

function entrypointArgv(args: string[]): string[] {
  if (args.length === 0) return ['mongod']
  return args[0].startsWith('-') ? ['mongod', ...args] : args
}

export const basename = (path: string): string => path.split('/').at(-1) ?? path

/**
 * `$(VAR)` references in command and args, expanded from the container's environment as the
 * kubelet does: an undefined reference stays as written, `$$(VAR)` is the escaped literal.
 */
export function expandReferences(text: string, env: ReadonlyMap<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$'
    return name !== undefined && env.has(name) ? (env.get(name) as string) : match
  })
}
