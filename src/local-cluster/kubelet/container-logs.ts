import {appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync} from 'node:fs'
import {join} from 'node:path'

/**
 * Container logs, kept like the kubelet keeps them: one file per container under
 * `pod-logs/NAMESPACE_POD_UID/CONTAINER.log`, each line in the CRI log format
 * (`RFC3339NANO STREAM F MESSAGE`, what containerd writes), so `kubectl logs` (through the API
 * server's pods/log) reads them after a daemon restart too. A file is trimmed to its newer half
 * past MAX_FILE_BYTES, as the kubelet rotates at containerLogMaxSize.
 */

export interface LogLineRecord {
  /** Milliseconds since the epoch. */
  at: number
  stream: 'stdout' | 'stderr'
  text: string
}

export interface PodRef {
  namespace: string
  name: string
  uid: string
}

const MAX_FILE_BYTES = 1024 * 1024

export class ContainerLogs {
  private readonly listeners = new Map<string, Set<(line: LogLineRecord) => void>>()
  private readonly memory = new Map<string, LogLineRecord[]>()
  /** Bytes per log file, so a trim is decided without reading the file. */
  private readonly sizes = new Map<string, number>()

  /** @param dir where the files live; undefined keeps logs in memory only (tests). */
  constructor(private readonly dir?: string) {
    if (dir) mkdirSync(dir, {recursive: true})
  }

  /** Appends lines to a container's log; `durable` fsyncs before returning (a Job's result). */
  append(pod: PodRef, container: string, lines: readonly Omit<LogLineRecord, 'at'>[], at: number, options: {durable?: boolean} = {}): void {
    if (lines.length === 0) return
    const records = lines.map((line) => ({...line, at}))
    const key = this.key(pod, container)
    if (this.dir) {
      const folder = join(this.dir, this.folderName(pod))
      mkdirSync(folder, {recursive: true})
      const file = join(folder, `${safe(container)}.log`)
      const text = records.map(formatCri).join('')
      if (options.durable) {
        const fd = openSync(file, 'a')
        try {
          writeSync(fd, text)
          fsyncSync(fd)
        } finally {
          closeSync(fd)
        }
      } else appendFileSync(file, text)
      this.trim(file, Buffer.byteLength(text))
    } else {
      const list = this.memory.get(key) ?? []
      list.push(...records)
      this.memory.set(key, list)
    }
    for (const listener of this.listeners.get(key) ?? []) for (const record of records) listener(record)
  }

  read(pod: PodRef, container: string): LogLineRecord[] {
    if (!this.dir) return [...(this.memory.get(this.key(pod, container)) ?? [])]
    const file = join(this.dir, this.folderName(pod), `${safe(container)}.log`)
    if (!existsSync(file)) return []
    const out: LogLineRecord[] = []
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const record = parseCri(line)
      if (record) out.push(record)
    }
    return out
  }

  /** Follows a container's log (`kubectl logs -f`); returns how to stop. */
  follow(pod: PodRef, container: string, listener: (line: LogLineRecord) => void): () => void {
    const key = this.key(pod, container)
    let set = this.listeners.get(key)
    if (!set) this.listeners.set(key, (set = new Set()))
    set.add(listener)
    return () => {
      set.delete(listener)
      if (set.size === 0) this.listeners.delete(key)
    }
  }

  /** The pod is gone: its logs go with it (as the kubelet removes /var/log/pods/... ). */
  forget(pod: PodRef): void {
    for (const key of [...this.memory.keys()]) if (key.startsWith(`${pod.uid}/`)) this.memory.delete(key)
    if (!this.dir) return
    const folder = join(this.dir, this.folderName(pod))
    for (const file of [...this.sizes.keys()]) if (file.startsWith(folder)) this.sizes.delete(file)
    rmSync(folder, {recursive: true, force: true})
  }

  /** Folders of pods that no longer exist (after a restart): `keep` says which uids still do. */
  prune(keep: (uid: string) => boolean): void {
    if (!this.dir || !existsSync(this.dir)) return
    for (const folder of readdirSync(this.dir)) {
      const uid = folder.split('_').at(-1) ?? ''
      if (!keep(uid)) rmSync(join(this.dir, folder), {recursive: true, force: true})
    }
  }

  private key(pod: PodRef, container: string): string {
    return `${pod.uid}/${container}`
  }

  private folderName(pod: PodRef): string {
    return `${safe(pod.namespace)}_${safe(pod.name)}_${safe(pod.uid)}`
  }

  private trim(file: string, added: number): void {
    const size = (this.sizes.get(file) ?? (existsSync(file) ? statSync(file).size - added : 0)) + added
    this.sizes.set(file, size)
    if (size <= MAX_FILE_BYTES) return
    const text = readFileSync(file, 'utf8')
    const kept = text.slice(text.indexOf('\n', text.length - MAX_FILE_BYTES / 2) + 1)
    writeFileSync(file, kept)
    this.sizes.set(file, Buffer.byteLength(kept))
  }
}

const safe = (part: string): string => part.replace(/[^A-Za-z0-9._-]/g, '-')

/** RFC 3339 with nanoseconds, as containerd stamps CRI log lines. */
export function rfc3339Nano(ms: number): string {
  const iso = new Date(ms).toISOString()
  return `${iso.slice(0, 23)}000000Z`
}

function formatCri(record: LogLineRecord): string {
  return `${rfc3339Nano(record.at)} ${record.stream} F ${record.text}\n`
}

function parseCri(line: string): LogLineRecord | undefined {
  const match = /^(\S+) (stdout|stderr) [FP] (.*)$/.exec(line)
  if (!match) return undefined
  const at = Date.parse(match[1])
  return Number.isFinite(at) ? {at, stream: match[2] as 'stdout' | 'stderr', text: match[3]} : undefined
}
