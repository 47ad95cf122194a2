import type {KubeObject} from '../../../kube/types.js'
import type {ObjectReader} from './objects.js'
import {type ContainerSpec, type KeyToPath, podSpecOf, type PodSpec, type SecurityContext, type Volume, type VolumeMount} from './pod-spec.js'

/**
 * The files a container sees, with the owner and mode Linux would give them, so mongod's key-file
 * checks and mongosh's `--file` can be judged. Kubernetes' rules (kubelet, pkg/volume):
 * - Secret and ConfigMap volumes: one file per key (or per `items` entry), mode `items[].mode` or
 *   `defaultMode` (default 0644), owned by root; with a pod `fsGroup` the group becomes fsGroup and
 *   the kubelet adds group read (SetVolumeOwnership's read-only mask 0440), so 0400 turns 0440;
 * - emptyDir: empty at start, writable; files take the writing process's uid, and fsGroup as
 *   group when set (the directory is setgid);
 * - init containers run in order before the others; the simulation interprets the file-copying
 *   commands an init container uses for a key file: `install -m MODE SRC DST`, `cp SRC DST`,
 *   `chmod MODE FILE`, also inside `sh -c "... && ..."`. Other commands change no files.
 */

export interface PodFile {
  content: string
  mode: number
  uid: number
  gid: number
}

export type FileLookup = {ok: true; file: PodFile} | {ok: false; kind: 'not-found' | 'mount-failed'; message: string}

interface Identity {
  uid: number
  gid: number
  groups: number[]
}

const SECRET_DEFAULT_MODE = 0o644
/** SetVolumeOwnership adds group read to read-only volumes when fsGroup is set. */
const READ_ONLY_GROUP_MASK = 0o440

export function identityOf(pod: PodSpec, container: ContainerSpec): Identity {
  const merged: SecurityContext = {...pod.securityContext, ...container.securityContext}
  const uid = merged.runAsUser ?? 0
  const gid = merged.runAsGroup ?? 0
  return {uid, gid, groups: pod.securityContext?.fsGroup !== undefined ? [gid, pod.securityContext.fsGroup] : [gid]}
}

/** Can this identity read the file (owner, then group, then other bits; root reads anything)? */
export function canRead(identity: Identity, file: PodFile): boolean {
  if (identity.uid === 0) return true
  if (identity.uid === file.uid) return (file.mode & 0o400) !== 0
  if (identity.groups.includes(file.gid)) return (file.mode & 0o040) !== 0
  return (file.mode & 0o004) !== 0
}

export class PodFiles {
  private readonly spec: PodSpec
  private readonly written = new Map<string, Map<string, PodFile>>()
  private readonly namespace: string

  constructor(
    pod: KubeObject,
    private readonly objects: ObjectReader,
  ) {
    this.spec = podSpecOf(pod)
    this.namespace = String(pod.metadata.namespace)
    for (const init of this.spec.initContainers ?? []) this.runInitContainer(init)
  }

  /** The file at `path` in `container`, as the container's process would open it. */
  lookup(container: ContainerSpec, path: string): FileLookup {
    const mount = this.mountFor(container, path)
    if (!mount) return {ok: false, kind: 'not-found', message: `${path}: No such file or directory`}
    const volume = (this.spec.volumes ?? []).find((v) => v.name === mount.name)
    if (!volume) return {ok: false, kind: 'mount-failed', message: `volume "${mount.name}" is not defined`}
    const relative = joinRelative(mount.subPath, path.slice(mount.mountPath.length).replace(/^\/+/, ''))
    const contents = this.volumeFiles(volume)
    if (!contents.ok) return contents
    const file = contents.files.get(relative)
    return file ? {ok: true, file} : {ok: false, kind: 'not-found', message: `${path}: No such file or directory`}
  }

  /** The volume mount covering `path` (the longest mountPath that contains it). */
  mountFor(container: ContainerSpec, path: string): VolumeMount | undefined {
    let best: VolumeMount | undefined
    for (const mount of container.volumeMounts ?? []) {
      const base = mount.mountPath.replace(/\/+$/, '')
      if ((path === base || path.startsWith(`${base}/`)) && (!best || base.length > best.mountPath.replace(/\/+$/, '').length)) best = mount
    }
    return best
  }

  volume(name: string): Volume | undefined {
    return (this.spec.volumes ?? []).find((v) => v.name === name)
  }

  private volumeFiles(volume: Volume): {ok: true; files: Map<string, PodFile>} | {ok: false; kind: 'mount-failed'; message: string} {
    const fsGroup = this.spec.securityContext?.fsGroup
    const owned = (mode: number): Pick<PodFile, 'mode' | 'uid' | 'gid'> =>
      fsGroup === undefined ? {mode, uid: 0, gid: 0} : {mode: mode | READ_ONLY_GROUP_MASK, uid: 0, gid: fsGroup}
    const fromData = (kind: 'secret' | 'configmap', name: string, data: Record<string, string> | undefined, items: KeyToPath[] | undefined, defaultMode: number | undefined, optional: boolean | undefined, files: Map<string, PodFile>) => {
      if (!data) return optional ? undefined : `MountVolume.SetUp failed for volume "${volume.name}" : ${kind} "${name}" not found`
      const entries = items ?? Object.keys(data).map((key) => ({key, path: key}))
      for (const item of entries) {
        if (!(item.key in data)) {
          if (optional) continue
          return `MountVolume.SetUp failed for volume "${volume.name}" : ${kind === 'secret' ? 'references non-existent secret key' : 'configmap references non-existent config key'}: ${item.key}`
        }
        files.set(item.path, {content: data[item.key], ...owned((item as KeyToPath).mode ?? defaultMode ?? SECRET_DEFAULT_MODE)})
      }
      return undefined
    }
    const files = new Map<string, PodFile>()
    let failure: string | undefined
    if (volume.secret) {
      failure = fromData('secret', volume.secret.secretName, this.objects.secret(this.namespace, volume.secret.secretName), volume.secret.items, volume.secret.defaultMode, volume.secret.optional, files)
    } else if (volume.configMap) {
      failure = fromData('configmap', volume.configMap.name, this.objects.configMap(this.namespace, volume.configMap.name), volume.configMap.items, volume.configMap.defaultMode, volume.configMap.optional, files)
    } else if (volume.projected) {
      for (const source of volume.projected.sources ?? []) {
        failure ??= source.secret
          ? fromData('secret', source.secret.name, this.objects.secret(this.namespace, source.secret.name), source.secret.items, volume.projected.defaultMode, source.secret.optional, files)
          : source.configMap
            ? fromData('configmap', source.configMap.name, this.objects.configMap(this.namespace, source.configMap.name), source.configMap.items, volume.projected.defaultMode, source.configMap.optional, files)
            : undefined
      }
    } else if (volume.emptyDir) {
      return {ok: true, files: this.written.get(volume.name) ?? new Map()}
    }
    return failure ? {ok: false, kind: 'mount-failed', message: failure} : {ok: true, files}
  }

  // ---- init containers ----------------------------------------------------------------------

  private runInitContainer(container: ContainerSpec): void {
    const argv = [...(container.command ?? []), ...(container.args ?? [])]
    const identity = identityOf(this.spec, container)
    const commands = (argv[0] === 'sh' || argv[0] === '/bin/sh' || argv[0] === 'bash' || argv[0] === '/bin/bash') && argv[1] === '-c' && argv[2] !== undefined ? splitShell(argv[2]) : [argv]
    for (const command of commands) if (!this.runCommand(container, identity, command)) return
  }

  /** One file command; false when it fails (the rest of an `&&` chain does not run). */
  private runCommand(container: ContainerSpec, identity: Identity, argv: string[]): boolean {
    const program = argv[0]?.split('/').at(-1)
    if (program === 'install') {
      let mode = 0o755
      const paths: string[] = []
      for (let i = 1; i < argv.length; i++) {
        const arg = argv[i]
        if (arg === '-m' || arg === '--mode') mode = parseMode(argv[++i]) ?? mode
        else if (arg.startsWith('--mode=')) mode = parseMode(arg.slice(7)) ?? mode
        else if (arg.startsWith('-m') && arg.length > 2) mode = parseMode(arg.slice(2)) ?? mode
        else if (arg === '-o' || arg === '-g' || arg === '--owner' || arg === '--group') {
          if (identity.uid !== 0) return false
          i++
        } else if (!arg.startsWith('-')) paths.push(arg)
      }
      return paths.length === 2 && this.copy(container, identity, paths[0], paths[1], mode)
    }
    if (program === 'cp') {
      const paths = argv.slice(1).filter((a) => !a.startsWith('-'))
      return paths.length === 2 && this.copy(container, identity, paths[0], paths[1], undefined)
    }
    if (program === 'chmod') {
      const mode = parseMode(argv[1])
      const target = argv[2] ? this.writable(container, argv[2]) : undefined
      const file = target?.files.get(target.relative)
      if (mode === undefined || !target || !file) return false
      if (identity.uid !== 0 && identity.uid !== file.uid) return false
      target.files.set(target.relative, {...file, mode})
      return true
    }
    return true
  }

  private copy(container: ContainerSpec, identity: Identity, source: string, destination: string, mode: number | undefined): boolean {
    const read = this.lookup(container, source)
    if (!read.ok || !canRead(identity, read.file)) return false
    let target = this.writable(container, destination)
    // A destination that is the mount itself is a directory: the file keeps its name.
    if (target && target.relative === '') target = this.writable(container, `${destination.replace(/\/+$/, '')}/${source.split('/').at(-1)}`)
    if (!target) return false
    const fsGroup = this.spec.securityContext?.fsGroup
    // cp keeps the source's permission bits minus the umask (022); install sets -m's.
    target.files.set(target.relative, {content: read.file.content, mode: mode ?? read.file.mode & ~0o022, uid: identity.uid, gid: fsGroup ?? identity.gid})
    return true
  }

  /** An emptyDir location a process may write (Secret and ConfigMap volumes are read-only). */
  private writable(container: ContainerSpec, path: string): {files: Map<string, PodFile>; relative: string} | undefined {
    const mount = this.mountFor(container, path)
    if (!mount || mount.readOnly) return undefined
    const volume = this.volume(mount.name)
    if (!volume?.emptyDir) return undefined
    let files = this.written.get(volume.name)
    if (!files) this.written.set(volume.name, (files = new Map()))
    return {files, relative: joinRelative(mount.subPath, path.slice(mount.mountPath.replace(/\/+$/, '').length).replace(/^\/+/, ''))}
  }
}

const joinRelative = (subPath: string | undefined, rest: string): string => [subPath, rest].filter((p) => p !== undefined && p !== '').join('/')

function parseMode(text: string | undefined): number | undefined {
  return text !== undefined && /^[0-7]{3,4}$/.test(text) ? parseInt(text, 8) : undefined
}

/** `a && b; c` into argv lists (words split on blanks, simple quotes removed). */
function splitShell(script: string): string[][] {
  return script
    .split(/&&|;|\n/)
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => (part.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((word) => word.replace(/^["']|["']$/g, '')))
}
