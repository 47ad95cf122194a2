import {closeSync, existsSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync} from 'node:fs'
import {open, type FileHandle} from 'node:fs/promises'
import {dirname} from 'node:path'
import {crc32} from 'node:zlib'

import {ConflictError} from '../../errors.js'
import {acquirePidLock} from '../../pid-lock.js'
import type {KubeObject} from '../../kube/types.js'

/**
 * Durability of the local control plane's state, in two files next to each other:
 *
 * - `STATE` (snapshot): `{format, resourceVersion, objects}`, replaced atomically (write a temp
 *   file, fsync it, rename over, fsync the directory), so it is always a complete old or a
 *   complete new snapshot. The one it replaces is kept as `STATE.prev`.
 * - `STATE.wal` (write-ahead log): one line per write, `crc32 <TAB> json`. Writes are batched
 *   (group commit: one write + fdatasync per batch) and `flush()` resolves once every record
 *   appended before it is on disk. The API server awaits `flush()` before it answers a
 *   mutating request, so an acknowledged write survives a kill -9 or a power cut.
 *
 * Loading takes the snapshot (or `.prev` if the snapshot does not parse), then replays the log
 * records newer than it; a torn or corrupt record ends the replay (only the unacknowledged tail
 * of a crash can be torn). The log is folded into a new snapshot every `compactEvery` records.
 */

export interface WalRecord {
  rv: number
  op: 'put' | 'del'
  /** `group/resource` of the object's type. */
  t: string
  ns?: string
  name: string
  obj?: KubeObject
}

export interface SnapshotEntry {
  t: string
  o: KubeObject
}

export interface LoadedState {
  resourceVersion: number
  entries: Map<string, SnapshotEntry>
  warnings: string[]
}

const FORMAT = 1

export function entryKey(typeKey: string, namespace: string | undefined, name: string): string {
  return `${typeKey}|${namespace ?? ''}|${name}`
}

function parseSnapshot(path: string): {resourceVersion: number; objects: SnapshotEntry[]} | undefined {
  if (!existsSync(path)) return undefined
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as {format?: number; resourceVersion?: number; objects?: SnapshotEntry[]}
    if (data.format !== FORMAT || typeof data.resourceVersion !== 'number' || !Array.isArray(data.objects)) return undefined
    return {resourceVersion: data.resourceVersion, objects: data.objects}
  } catch {
    return undefined
  }
}

function encodeRecord(record: WalRecord): string {
  const json = JSON.stringify(record)
  return `${crc32(json).toString(16)}\t${json}\n`
}

function decodeRecord(line: string): WalRecord | undefined {
  const tab = line.indexOf('\t')
  if (tab <= 0) return undefined
  const json = line.slice(tab + 1)
  if (crc32(json).toString(16) !== line.slice(0, tab)) return undefined
  try {
    return JSON.parse(json) as WalRecord
  } catch {
    return undefined
  }
}

/** Reads the snapshot and the log; never throws on damaged files, reports what it skipped. */
export function loadState(stateFile: string): LoadedState {
  const warnings: string[] = []
  let snapshot = parseSnapshot(stateFile)
  if (!snapshot && existsSync(`${stateFile}.prev`)) {
    if (existsSync(stateFile)) warnings.push(`${stateFile} is damaged; loaded the previous snapshot`)
    snapshot = parseSnapshot(`${stateFile}.prev`)
  }
  if (!snapshot && existsSync(stateFile)) warnings.push(`${stateFile} is damaged and has no usable previous snapshot`)
  const entries = new Map<string, SnapshotEntry>()
  let resourceVersion = snapshot?.resourceVersion ?? 0
  for (const entry of snapshot?.objects ?? []) {
    entries.set(entryKey(entry.t, entry.o.metadata.namespace, String(entry.o.metadata.name)), entry)
  }
  const walPath = `${stateFile}.wal`
  if (existsSync(walPath)) {
    const lines = readFileSync(walPath, 'utf8').split('\n')
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]
      if (line === '') continue
      const record = decodeRecord(line)
      if (!record) {
        const rest = lines.length - i - 1
        warnings.push(`${walPath}: ignored a torn record at line ${i + 1}${rest > 1 ? ` and ${rest} after it` : ''}`)
        break
      }
      if (record.rv <= resourceVersion) continue
      const key = entryKey(record.t, record.ns, record.name)
      if (record.op === 'put' && record.obj) entries.set(key, {t: record.t, o: record.obj})
      else entries.delete(key)
      resourceVersion = record.rv
    }
  }
  return {resourceVersion, entries, warnings}
}

function fsyncDirectory(path: string): void {
  try {
    const fd = openSync(dirname(path), 'r')
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename itself is still atomic.
  }
}

/** Atomically replaces `path` with `data` (temp file + fsync + rename + directory fsync). */
export function writeFileAtomic(path: string, data: string): void {
  const temp = `${path}.tmp-${process.pid}`
  const fd = openSync(temp, 'w')
  try {
    writeSync(fd, data)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  // A hard link keeps the old snapshot as .prev while `path` itself never goes missing.
  if (existsSync(path)) {
    try {
      if (existsSync(`${path}.prev`)) unlinkSync(`${path}.prev`)
      linkSync(path, `${path}.prev`)
    } catch {
      // Keeping .prev is best effort; the new snapshot is what matters.
    }
  }
  renameSync(temp, path)
  fsyncDirectory(path)
}

/**
 * Takes `STATE.lock` (holding our pid) so a second server on the same state refuses to start
 * instead of interleaving writes. A lock left by a dead process is taken over.
 */
export function acquireStateLock(stateFile: string): () => void {
  return acquirePidLock(`${stateFile}.lock`, (holder) =>
    holder === process.pid
      ? new ConflictError(`the local cluster state ${stateFile} is already open in this process`)
      : new ConflictError(`the local cluster state ${stateFile} is in use by process ${holder}`, {
          hint: 'stop the other local control plane first (`mygate local stop`)',
        }),
  )
}

export interface WalWriterOptions {
  stateFile: string
  /** Fold the log into a snapshot after this many records. */
  compactEvery: number
  /** Produces the full current state for a snapshot (called synchronously, consistent). */
  snapshot: () => {resourceVersion: number; objects: SnapshotEntry[]}
  onError: (error: unknown) => void
}

/** Appends log records with group commit and compacts the log into snapshots. */
export class WalWriter {
  private pending: string[] = []
  private appended = 0
  private durable = 0
  private sinceSnapshot = 0
  private handle: FileHandle | undefined
  private running: Promise<void> | undefined
  private waiters: Array<{target: number; resolve: () => void; reject: (error: unknown) => void}> = []
  private failure: unknown

  constructor(private readonly options: WalWriterOptions) {}

  append(record: WalRecord): void {
    this.pending.push(encodeRecord(record))
    this.appended++
    this.sinceSnapshot++
    this.kick()
  }

  /** Resolves once everything appended so far is fsynced (rejects if the disk write failed). */
  flush(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure)
    if (this.durable >= this.appended) return Promise.resolve()
    return new Promise((resolve, reject) => {
      this.waiters.push({target: this.appended, resolve, reject})
      this.kick()
    })
  }

  /** Writes a snapshot now and truncates the log (used at close and by compaction). */
  async compact(): Promise<void> {
    await this.flush()
    await this.enqueue(() => this.writeSnapshot())
  }

  async close(): Promise<void> {
    await this.compact()
    await this.handle?.close()
    this.handle = undefined
  }

  private kick(): void {
    if (this.running) return
    this.running = this.loop().finally(() => {
      this.running = undefined
      // Work queued while the loop was finishing would otherwise wait for the next write.
      if (!this.failure && (this.pending.length > 0 || this.queued.length > 0)) this.kick()
    })
  }

  private queued: Array<() => Promise<void>> = []

  private enqueue(task: () => Promise<void>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queued.push(() => task().then(resolve, reject))
      this.kick()
    })
  }

  private async loop(): Promise<void> {
    while (this.pending.length > 0 || this.queued.length > 0) {
      try {
        if (this.pending.length > 0) {
          const batch = this.pending
          this.pending = []
          const handle = await this.logHandle()
          await handle.write(batch.join(''))
          await handle.datasync()
          this.durable += batch.length
          this.resolveWaiters()
          if (this.sinceSnapshot >= this.options.compactEvery) await this.writeSnapshot()
        }
        const task = this.queued.shift()
        if (task) await task()
      } catch (error) {
        this.failure = error
        this.options.onError(error)
        for (const waiter of this.waiters.splice(0)) waiter.reject(error)
        return
      }
    }
  }

  private resolveWaiters(): void {
    const still: typeof this.waiters = []
    for (const waiter of this.waiters) {
      if (waiter.target <= this.durable) waiter.resolve()
      else still.push(waiter)
    }
    this.waiters = still
  }

  private async logHandle(): Promise<FileHandle> {
    this.handle ??= await open(`${this.options.stateFile}.wal`, 'a')
    return this.handle
  }

  /**
   * Runs inside the loop, so no log write interleaves: every record up to the snapshot's
   * resourceVersion is already in the old log, newer ones wait in `pending` for the new one.
   */
  private async writeSnapshot(): Promise<void> {
    const {resourceVersion, objects} = this.options.snapshot()
    writeFileAtomic(this.options.stateFile, JSON.stringify({format: FORMAT, resourceVersion, objects}))
    const handle = await this.logHandle()
    await handle.truncate(0)
    await handle.datasync()
    this.sinceSnapshot = this.pending.length
  }
}
