/**
 * The Pod Security Standards (https://kubernetes.io/docs/concepts/security/pod-security-standards/)
 * as pure checks of a pod's metadata and spec, with the reasons and details the upstream
 * pod-security-admission library (k8s.io/pod-security-admission/policy, check_*.go) reports, so
 * a rejected pod reads as it does on a real cluster:
 *
 *   allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false)
 *
 * Versions: a policy pinned to v1.N runs the checks as they were in Kubernetes 1.N; `latest`
 * (and anything newer than the simulated server, v1.31) runs the v1.31 rules. Checks added
 * after 1.31 (host probes/lifecycle hosts in 1.34, restricted procMount and user-namespace
 * relaxations in 1.35) are not part of this server, as on a real 1.31 API server.
 *
 * Order: baseline checks, then restricted ones, each group by check id (upstream sorts them so
 * messages are stable); at the restricted level a restricted check replaces the baseline check
 * it tightens (capabilities, volumes, seccomp).
 */

type Obj = Record<string, unknown>

export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted'

/** The newest policy version this server knows: its own minor version (v1.31). */
export const LATEST_MINOR = 31

export interface Violation {
  /** Short reason, e.g. `allowPrivilegeEscalation != false`. */
  reason: string
  /** What to change, e.g. `container "c" must set securityContext.allowPrivilegeEscalation=false`. */
  detail: string
}

export interface PodMeta {
  annotations?: Record<string, string>
}

interface Container {
  name: string
  securityContext?: Obj
  ports?: Array<{hostPort?: number}>
}

interface PodSpec {
  containers?: Container[]
  initContainers?: Container[]
  ephemeralContainers?: Container[]
  securityContext?: Obj
  volumes?: Array<Obj & {name: string}>
  hostNetwork?: boolean
  hostPID?: boolean
  hostIPC?: boolean
  os?: {name?: string}
}

interface Check {
  id: string
  level: 'baseline' | 'restricted'
  /** First minor version (1.N) the check exists in. */
  since: number
  /** Baseline checks this one replaces at the restricted level. */
  overrides?: string[]
  evaluate(meta: PodMeta, spec: PodSpec, minor: number): Violation | undefined
}

const pluralize = (singular: string, plural: string, count: number): string => (count === 1 ? singular : plural)
const joinQuote = (items: readonly string[]): string => (items.length === 0 ? '' : `"${items.join('", "')}"`)
const sortedUnique = (items: Iterable<string>): string[] => [...new Set(items)].sort()
const containersPhrase = (names: readonly string[]): string => `${pluralize('container', 'containers', names.length)} ${joinQuote(names)}`

/** Init containers, containers, ephemeral containers: the order upstream visits them in. */
function visit(spec: PodSpec): Container[] {
  return [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])]
}

const context = (holder: {securityContext?: Obj} | undefined): Obj => (holder?.securityContext ?? {}) as Obj
const field = <T>(holder: Obj | undefined, key: string): T | undefined => (holder && typeof holder === 'object' ? (holder[key] as T | undefined) : undefined)
const isWindows = (spec: PodSpec): boolean => spec.os?.name === 'windows'

/** "pod and containers "a", "b"": who set a forbidden value. */
function setters(pod: boolean, containers: readonly string[], extra: string[] = []): string {
  const parts = [...(pod ? ['pod'] : []), ...(containers.length > 0 ? [containersPhrase(containers)] : []), ...extra]
  return parts.join(' and ')
}

const ALLOWED_CAPABILITIES = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'])

const SYSCTLS_1_0 = ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_unprivileged_port_start']
const SYSCTLS_1_27 = [...SYSCTLS_1_0, 'net.ipv4.ip_local_reserved_ports']
const SYSCTLS_1_29 = [...SYSCTLS_1_27, 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes']

const SELINUX_TYPES_1_0 = ['', 'container_t', 'container_init_t', 'container_kvm_t']
const SELINUX_TYPES_1_31 = [...SELINUX_TYPES_1_0, 'container_engine_t']

/** Volume types the restricted level allows; anything else is named in the message. */
const RESTRICTED_VOLUME_TYPES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'image', 'persistentVolumeClaim', 'projected', 'secret'])
const NAMED_VOLUME_TYPES = new Set([
  'hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'nfs', 'iscsi', 'glusterfs', 'rbd', 'flexVolume', 'cinder',
  'cephfs', 'flocker', 'fc', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'storageos',
])

const validSeccompType = (type: unknown): boolean => type === 'RuntimeDefault' || type === 'Localhost'
const validSeccompAnnotation = (value: string): boolean => value === 'runtime/default' || value === 'docker/default' || value.startsWith('localhost/')

const CHECKS: Check[] = [
  // ---- baseline, by id ----
  {
    id: 'appArmorProfile',
    level: 'baseline',
    since: 0,
    evaluate(meta, spec) {
      const allowed = (type: unknown) => type === 'RuntimeDefault' || type === 'Localhost'
      const badValues: string[] = []
      const podProfile = field<Obj>(context(spec), 'appArmorProfile')
      const podBad = podProfile !== undefined && !allowed(podProfile.type)
      if (podBad) badValues.push(String(podProfile?.type ?? ''))
      const badContainers: string[] = []
      for (const c of visit(spec)) {
        const profile = field<Obj>(context(c), 'appArmorProfile')
        if (profile !== undefined && !allowed(profile.type)) {
          badContainers.push(c.name)
          badValues.push(String(profile.type ?? ''))
        }
      }
      const values = sortedUnique(badValues)
      const annotations = Object.entries(meta.annotations ?? {})
        .filter(([key, value]) => key.startsWith('container.apparmor.security.beta.kubernetes.io/') && !(value === '' || value === 'runtime/default' || value.startsWith('localhost/')))
        .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
        .sort()
      const extra = annotations.length > 0 ? [pluralize('annotation', 'annotations', annotations.length)] : []
      if (!podBad && badContainers.length === 0 && annotations.length === 0) return undefined
      const all = [...values, ...annotations]
      return {
        reason: pluralize('forbidden AppArmor profile', 'forbidden AppArmor profiles', all.length),
        detail: `${setters(podBad, badContainers, extra)} must not set AppArmor profile type to ${joinQuote(all)}`,
      }
    },
  },
  {
    id: 'capabilities_baseline',
    level: 'baseline',
    since: 0,
    evaluate(_meta, spec) {
      const badContainers: string[] = []
      const added: string[] = []
      for (const c of visit(spec)) {
        const bad = (field<string[]>(field<Obj>(context(c), 'capabilities'), 'add') ?? []).filter((cap) => !ALLOWED_CAPABILITIES.has(cap))
        if (bad.length > 0) {
          badContainers.push(c.name)
          added.push(...bad)
        }
      }
      if (badContainers.length === 0) return undefined
      return {reason: 'non-default capabilities', detail: `${containersPhrase(badContainers)} must not include ${joinQuote(sortedUnique(added))} in securityContext.capabilities.add`}
    },
  },
  {
    id: 'hostNamespaces',
    level: 'baseline',
    since: 0,
    evaluate(_meta, spec) {
      const set = [spec.hostNetwork && 'hostNetwork=true', spec.hostPID && 'hostPID=true', spec.hostIPC && 'hostIPC=true'].filter((s): s is string => Boolean(s))
      return set.length > 0 ? {reason: 'host namespaces', detail: set.join(', ')} : undefined
    },
  },
  {
    id: 'hostPathVolumes',
    level: 'baseline',
    since: 0,
    evaluate(_meta, spec) {
      const names = (spec.volumes ?? []).filter((v) => v.hostPath !== undefined).map((v) => v.name)
      return names.length > 0 ? {reason: 'hostPath volumes', detail: `${pluralize('volume', 'volumes', names.length)} ${joinQuote(names)}`} : undefined
    },
  },
  {
    id: 'hostPorts',
    level: 'baseline',
    since: 0,
    evaluate(_meta, spec) {
      const badContainers: string[] = []
      const ports: string[] = []
      for (const c of visit(spec)) {
        const hostPorts = (c.ports ?? []).map((p) => p.hostPort ?? 0).filter((p) => p !== 0)
        if (hostPorts.length > 0) {
          badContainers.push(c.name)
          ports.push(...hostPorts.map(String))
        }
      }
      if (badContainers.length === 0) return undefined
      const unique = sortedUnique(ports)
      return {
        reason: 'hostPort',
        detail: `${containersPhrase(badContainers)} ${pluralize('uses', 'use', badContainers.length)} ${pluralize('hostPort', 'hostPorts', unique.length)} ${unique.join(', ')}`,
      }
    },
  },
  {
    id: 'privileged',
    level: 'baseline',
    since: 0,
    evaluate(_meta, spec) {
      const bad = visit(spec).filter((c) => context(c).privileged === true).map((c) => c.name)
      return bad.length > 0 ? {reason: 'privileged', detail: `${containersPhrase(bad)} must not set securityContext.privileged=true`} : undefined
    },
  },
  {
    id: 'procMount',
    level: 'baseline',
    since: 0,
    evaluate(_meta, spec) {
      const bad = visit(spec).filter((c) => context(c).procMount !== undefined && context(c).procMount !== 'Default')
      if (bad.length === 0) return undefined
      const types = sortedUnique(bad.map((c) => String(context(c).procMount)))
      return {reason: 'procMount', detail: `${containersPhrase(bad.map((c) => c.name))} must not set securityContext.procMount to ${joinQuote(types)}`}
    },
  },
  {
    id: 'seLinuxOptions',
    level: 'baseline',
    since: 0,
    evaluate(_meta, spec, minor) {
      const allowed = new Set(minor >= 31 ? SELINUX_TYPES_1_31 : SELINUX_TYPES_1_0)
      const badTypes: string[] = []
      let user = false
      let role = false
      const valid = (options: Obj | undefined): boolean => {
        if (options === undefined) return true
        let ok = true
        const type = String(options.type ?? '')
        if (!allowed.has(type)) {
          ok = false
          badTypes.push(type)
        }
        if (options.user) {
          ok = false
          user = true
        }
        if (options.role) {
          ok = false
          role = true
        }
        return ok
      }
      const podBad = !valid(field<Obj>(context(spec), 'seLinuxOptions'))
      const badContainers = visit(spec).filter((c) => !valid(field<Obj>(context(c), 'seLinuxOptions'))).map((c) => c.name)
      if (!podBad && badContainers.length === 0) return undefined
      const data: string[] = []
      const types = sortedUnique(badTypes)
      if (types.length > 0) data.push(`${pluralize('type', 'types', types.length)} ${joinQuote(types)}`)
      if (user) data.push('user may not be set')
      if (role) data.push('role may not be set')
      return {reason: 'seLinuxOptions', detail: `${setters(podBad, badContainers)} set forbidden securityContext.seLinuxOptions: ${data.join('; ')}`}
    },
  },
  {
    id: 'seccompProfile_baseline',
    level: 'baseline',
    since: 0,
    evaluate(meta, spec, minor) {
      if (minor < 19) {
        // Before 1.19 seccomp was set by annotations only.
        const forbidden: string[] = []
        const annotations = meta.annotations ?? {}
        const podValue = annotations['seccomp.security.alpha.kubernetes.io/pod']
        if (podValue !== undefined && !validSeccompAnnotation(podValue)) forbidden.push(`seccomp.security.alpha.kubernetes.io/pod=${JSON.stringify(podValue)}`)
        for (const c of visit(spec)) {
          const key = `container.seccomp.security.alpha.kubernetes.io/${c.name}`
          if (annotations[key] !== undefined && !validSeccompAnnotation(annotations[key])) forbidden.push(`${key}=${JSON.stringify(annotations[key])}`)
        }
        const unique = sortedUnique(forbidden)
        return unique.length > 0 ? {reason: 'seccompProfile', detail: `forbidden ${pluralize('annotation', 'annotations', unique.length)} ${unique.join(', ')}`} : undefined
      }
      const badValues: string[] = []
      const podProfile = field<Obj>(context(spec), 'seccompProfile')
      const podBad = podProfile !== undefined && !validSeccompType(podProfile.type)
      if (podBad) badValues.push(String(podProfile?.type ?? ''))
      const badContainers: string[] = []
      for (const c of visit(spec)) {
        const profile = field<Obj>(context(c), 'seccompProfile')
        if (profile !== undefined && !validSeccompType(profile.type)) {
          badContainers.push(c.name)
          badValues.push(String(profile.type ?? ''))
        }
      }
      if (!podBad && badContainers.length === 0) return undefined
      return {reason: 'seccompProfile', detail: `${setters(podBad, badContainers)} must not set securityContext.seccompProfile.type to ${joinQuote(sortedUnique(badValues))}`}
    },
  },
  {
    id: 'sysctls',
    level: 'baseline',
    since: 0,
    evaluate(_meta, spec, minor) {
      const allowed = new Set(minor >= 29 ? SYSCTLS_1_29 : minor >= 27 ? SYSCTLS_1_27 : SYSCTLS_1_0)
      const bad = (field<Array<{name: string}>>(context(spec), 'sysctls') ?? []).map((s) => s.name).filter((name) => !allowed.has(name))
      return bad.length > 0 ? {reason: 'forbidden sysctls', detail: bad.join(', ')} : undefined
    },
  },
  {
    id: 'windowsHostProcess',
    level: 'baseline',
    since: 0,
    evaluate(_meta, spec) {
      const hostProcess = (holder: {securityContext?: Obj} | undefined) => field<Obj>(context(holder), 'windowsOptions')?.hostProcess === true
      const podBad = hostProcess(spec)
      const bad = visit(spec).filter(hostProcess).map((c) => c.name)
      if (!podBad && bad.length === 0) return undefined
      return {reason: 'hostProcess', detail: `${setters(podBad, bad)} must not set securityContext.windowsOptions.hostProcess=true`}
    },
  },
  // ---- restricted, by id ----
  {
    id: 'allowPrivilegeEscalation',
    level: 'restricted',
    since: 8,
    evaluate(_meta, spec, minor) {
      if (minor >= 25 && isWindows(spec)) return undefined
      const bad = visit(spec).filter((c) => context(c).allowPrivilegeEscalation !== false).map((c) => c.name)
      return bad.length > 0 ? {reason: 'allowPrivilegeEscalation != false', detail: `${containersPhrase(bad)} must set securityContext.allowPrivilegeEscalation=false`} : undefined
    },
  },
  {
    id: 'capabilities_restricted',
    level: 'restricted',
    since: 22,
    overrides: ['capabilities_baseline'],
    evaluate(_meta, spec, minor) {
      if (minor >= 25 && isWindows(spec)) return undefined
      const missingDropAll: string[] = []
      const adding: string[] = []
      const forbidden: string[] = []
      for (const c of visit(spec)) {
        const capabilities = field<Obj>(context(c), 'capabilities')
        if (capabilities === undefined) {
          missingDropAll.push(c.name)
          continue
        }
        if (!(field<string[]>(capabilities, 'drop') ?? []).includes('ALL')) missingDropAll.push(c.name)
        const bad = (field<string[]>(capabilities, 'add') ?? []).filter((cap) => cap !== 'NET_BIND_SERVICE')
        if (bad.length > 0) {
          adding.push(c.name)
          forbidden.push(...bad)
        }
      }
      const details: string[] = []
      if (missingDropAll.length > 0) details.push(`${containersPhrase(missingDropAll)} must set securityContext.capabilities.drop=["ALL"]`)
      if (adding.length > 0) details.push(`${containersPhrase(adding)} must not include ${joinQuote(sortedUnique(forbidden))} in securityContext.capabilities.add`)
      return details.length > 0 ? {reason: 'unrestricted capabilities', detail: details.join('; ')} : undefined
    },
  },
  {
    id: 'restrictedVolumes',
    level: 'restricted',
    since: 0,
    overrides: ['hostPathVolumes'],
    evaluate(_meta, spec) {
      const badVolumes: string[] = []
      const badTypes: string[] = []
      for (const volume of spec.volumes ?? []) {
        const sources = Object.keys(volume).filter((key) => key !== 'name' && volume[key] !== undefined && volume[key] !== null)
        if (sources.some((source) => RESTRICTED_VOLUME_TYPES.has(source))) continue
        badVolumes.push(volume.name)
        badTypes.push(sources.find((source) => NAMED_VOLUME_TYPES.has(source)) ?? 'unknown')
      }
      if (badVolumes.length === 0) return undefined
      const types = sortedUnique(badTypes)
      return {
        reason: 'restricted volume types',
        detail: `${pluralize('volume', 'volumes', badVolumes.length)} ${joinQuote(badVolumes)} ${pluralize('uses', 'use', badVolumes.length)} ${pluralize('restricted volume type', 'restricted volume types', types.length)} ${joinQuote(types)}`,
      }
    },
  },
  {
    id: 'runAsNonRoot',
    level: 'restricted',
    since: 0,
    evaluate(_meta, spec) {
      const podValue = context(spec).runAsNonRoot
      const podBad = podValue === false
      const podTrue = podValue === true
      const explicit: string[] = []
      const implicit: string[] = []
      for (const c of visit(spec)) {
        const value = context(c).runAsNonRoot
        if (value === false) explicit.push(c.name)
        else if (value === undefined && !podTrue) implicit.push(c.name)
      }
      if (podBad || explicit.length > 0) return {reason: 'runAsNonRoot != true', detail: `${setters(podBad, explicit)} must not set securityContext.runAsNonRoot=false`}
      if (implicit.length > 0) return {reason: 'runAsNonRoot != true', detail: `pod or ${containersPhrase(implicit)} must set securityContext.runAsNonRoot=true`}
      return undefined
    },
  },
  {
    id: 'runAsUser',
    level: 'restricted',
    since: 23,
    evaluate(_meta, spec) {
      const podBad = context(spec).runAsUser === 0
      const bad = visit(spec).filter((c) => context(c).runAsUser === 0).map((c) => c.name)
      return podBad || bad.length > 0 ? {reason: 'runAsUser=0', detail: `${setters(podBad, bad)} must not set runAsUser=0`} : undefined
    },
  },
  {
    id: 'seccompProfile_restricted',
    level: 'restricted',
    since: 19,
    overrides: ['seccompProfile_baseline'],
    evaluate(_meta, spec, minor) {
      if (minor >= 25 && isWindows(spec)) return undefined
      const badValues: string[] = []
      const podProfile = field<Obj>(context(spec), 'seccompProfile')
      const podBad = podProfile !== undefined && !validSeccompType(podProfile.type)
      const podSet = podProfile !== undefined && !podBad
      if (podBad) badValues.push(String(podProfile?.type ?? ''))
      const explicit: string[] = []
      const implicit: string[] = []
      for (const c of visit(spec)) {
        const profile = field<Obj>(context(c), 'seccompProfile')
        if (profile !== undefined) {
          if (!validSeccompType(profile.type)) {
            explicit.push(c.name)
            badValues.push(String(profile.type ?? ''))
          }
        } else if (!podSet) implicit.push(c.name)
      }
      if (podBad || explicit.length > 0) {
        return {reason: 'seccompProfile', detail: `${setters(podBad, explicit)} must not set securityContext.seccompProfile.type to ${joinQuote(sortedUnique(badValues))}`}
      }
      if (implicit.length > 0) {
        return {reason: 'seccompProfile', detail: `pod or ${containersPhrase(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`}
      }
      return undefined
    },
  },
]

/** The check ids in the order they run at `level` for minor version `minor`. */
export function checkIds(level: Exclude<PodSecurityLevel, 'privileged'>, minor: number): string[] {
  return checksFor(level, minor).map((check) => check.id)
}

function checksFor(level: Exclude<PodSecurityLevel, 'privileged'>, minor: number): Check[] {
  const active = CHECKS.filter((check) => check.since <= minor && (level === 'restricted' || check.level === 'baseline'))
  const overridden = new Set(level === 'restricted' ? active.flatMap((check) => check.overrides ?? []) : [])
  return active.filter((check) => !overridden.has(check.id))
}

/**
 * Evaluates a pod (or a pod template) against a level at a policy version. Returns every
 * violation in upstream order; empty means allowed. `privileged` allows everything.
 *
 * Worked example: a container with no securityContext in a pod with none, at restricted:latest
 * -> allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true,
 * seccompProfile (each naming the container).
 */
export function evaluatePodSecurity(level: PodSecurityLevel, minor: number | 'latest', meta: PodMeta, spec: unknown): Violation[] {
  if (level === 'privileged') return []
  const effective = minor === 'latest' ? LATEST_MINOR : Math.min(minor, LATEST_MINOR)
  const podSpec = (spec && typeof spec === 'object' ? spec : {}) as PodSpec
  const violations: Violation[] = []
  for (const check of checksFor(level, effective)) {
    const violation = check.evaluate(meta, podSpec, effective)
    if (violation) violations.push(violation)
  }
  return violations
}

/** `reason (detail), reason (detail)`: how the admission message lists violations. */
export function formatViolations(violations: readonly Violation[]): string {
  return violations.map((v) => (v.detail ? `${v.reason} (${v.detail})` : v.reason)).join(', ')
}
