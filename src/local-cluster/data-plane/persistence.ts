import {closeSync, existsSync, mkdirSync, openSync, readdirSync, readSync, renameSync, statSync, unlinkSync} from 'node:fs'
import {open, type FileHandle} from 'node:fs/promises'
import {join} from 'node:path'
import {crc32} from 'node:zlib'

import type {ReplSetConfig} from './config.js'
import type {JobRun} from './jobs/job-runner.js'
import type {OplogEntry, OpKind} from './oplog.js'
import type {Member, ReplicaSet, RollbackEvent, UserRecord} from './state.js'
import {type StoredDocument, storeExtendedJson} from './stored-document.js'
import {BATCH_FRAME_BYTES, BATCH_MARKER, type BatchRecord, checkedPayload, decodeBatch} from './wal-batch.js'

/**
 * Durability of the data plane, the way the object store does it (store/persistence.ts): a
 * snapshot plus an append-only log, in `DIR/snapshot.jsonl` and `DIR/wal-N.log`.
 *
 * - The log holds records of two kinds: text lines, `crc32 <TAB> json`, and binary batches of
 *   oplog entries carrying their documents' BSON as it is (wal-batch.ts: a restore's million
 *   documents are one copy of their bytes, not a base64 string and a JSON array each; logs of
 *   text `ops` records are still read). They are written in batches with one fdatasync each
 *   (group commit); `flush()` resolves once everything appended before it is on disk. A Job's
 *   result is reported only after its effects are flushed, so an acknowledged operation survives
 *   a kill -9. A torn last record (a crash mid-write) ends the replay.
 * - Documents are written once: an oplog insert carries the document, the collections are
 *   rebuilt by applying the log. The snapshot stores each collection's documents and the oplog,
 *   leaving out an entry's document when it is the collection's current one (read back from the
 *   collection), so a million documents are not written twice. Its lines after the JSON header
 *   are tab-separated fields with each document's BSON in base64 (no tab or newline in it; Node
 *   encodes and decodes base64 natively), ending with a trailer that counts them: writing and
 *   reading a million documents then costs seconds, not tens of seconds. Format 1 (before
 *   documents were kept as BSON) held Extended JSON text, which never starts like base64 does
 *   (`{`): it is still read, converted once.
 * - Compaction writes a new snapshot (temp file, fsync, rename) of the state captured at a cut:
 *   the log is switched to wal-(N+1) first, the snapshot says "replay from N+1", older logs are
 *   deleted afterwards.
 * Member positions are logged once per tick (as mongod's journal commits every 100 ms), not per
 * replicated entry: after a crash a secondary re-fetches the last instant from the branch, while
 * the primary that wrote the entries (an ops record's `by`) keeps them all.
 */

/** An oplog entry in a log record; its documents are persistedDocument() text. */
export type CompactEntry = [secs: number, ord: number, term: number, wall: number, op: OpKind, coll: string, id: string, doc?: string | null, prev?: string | null]

/** A stored document as it is written to disk: its BSON bytes in base64. */
export const persistedDocument = (document: StoredDocument): string => Buffer.from(document, 'latin1').toString('base64')

/** A document read from disk: base64 BSON, or format 1's Extended JSON text (converted to BSON once). */
export function loadedDocument(text: string): StoredDocument {
  if (text.startsWith('{')) return storeExtendedJson(text)
  return Buffer.from(text, 'base64').toString('latin1') as StoredDocument
}

/** The snapshot format this version writes; it reads this one and format 1. */
export const SNAPSHOT_FORMAT = 2

export interface PersistedMember {
  key: string
  placement: Member['placement']
  setName: string
  port: number
  dbPath: string
  users: UserRecord[]
  createdAt: number
  setId?: string
  applied: number
  tail: CompactEntry[]
  lastVoteTerm: number
  rbid: number
}

export interface PersistedSet {
  id: string
  name: string
  clusterSet: string
  homeCluster: string
  homeNamespace: string
  database: string
  config: ReplSetConfig
  term: number
  users: UserRecord[]
  writeSeq: number
  lastTs: {t: number; i: number}
  oplogStart: number
}

export type WalRecord =
  | {k: 'member'; m: PersistedMember}
  | {k: 'drop'; key: string}
  | {k: 'set'; s: PersistedSet}
  /** Entries appended to a set's branch; `by`: the primary that wrote them (it has them durably). */
  | {k: 'ops'; set: string; from: number; e: CompactEntry[]; seq: number; ts: {t: number; i: number}; by?: string}
  | {k: 'truncate'; set: string; at: number}
  | {k: 'rollback'; set: string; e: RollbackEvent}
  | {k: 'pos'; p: Record<string, number>}
  /** A database Job's container finished: the kubelet never runs it again, even after a crash. */
  | {k: 'job'; uid: string; run: JobRun}
  | {k: 'job-drop'; uid: string}
  /** Entries appended to a set's branch, written as a binary record (wal-batch.ts) since format 2's logs. */
  | BatchRecord

export interface SnapshotHeader {
  format: 1 | 2
  walSeq: number
  sets: PersistedSet[]
  members: PersistedMember[]
  rollbacks: Record<string, RollbackEvent[]>
  jobs?: Record<string, JobRun>
}

/** A snapshot line: a document of set number `s` (the header's order), or an oplog entry. */
export type SnapshotLine = {k: 'doc'; s: number; c: string; i: string; d: StoredDocument} | {k: 'op'; s: number; e: OplogEntry; current: boolean}

export const docLine = (set: number, coll: string, id: string, doc: StoredDocument): string => `D\t${set}\t${coll}\t${id}\t${persistedDocument(doc)}\n`

/** `current`: the entry's document is the collection's current one, left out here. */
export function opLine(set: number, e: OplogEntry, current: boolean): string {
  const flag = current ? 'r' : e.doc !== undefined ? 'd' : '-'
  return `O\t${set}\t${e.secs}\t${e.ord}\t${e.term}\t${e.wall}\t${e.op}\t${e.coll}\t${e.id}\t${flag}\t${flag === 'd' && e.doc !== undefined ? persistedDocument(e.doc) : ''}\t${e.prev === undefined ? '' : persistedDocument(e.prev)}\n`
}

export const trailerLine = (lines: number): string => `E\t${lines}\n`

const TAB = 0x09
const NEWLINE = 0x0a

/** Splits a line of a Buffer into fields, each a fresh string (no slice keeps a big chunk alive). */
function fields(buffer: Buffer, start: number, end: number): string[] {
  const out: string[] = []
  let from = start
  for (let i = start; i <= end; i++) {
    if (i === end || buffer[i] === TAB) {
      out.push(buffer.toString('utf8', from, i))
      from = i + 1
    }
  }
  return out
}

/** Lines of a file as [buffer, start, end] ranges, read in 4 MiB chunks. */
function* bufferLines(path: string): Generator<[Buffer, number, number]> {
  const fd = openSync(path, 'r')
  let carry = Buffer.alloc(0)
  try {
    for (;;) {
      const chunk = Buffer.alloc(4 << 20)
      const n = readSync(fd, chunk, 0, chunk.length, null)
      if (n === 0) break
      const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n)
      let start = 0
      for (let i = data.indexOf(NEWLINE); i !== -1; i = data.indexOf(NEWLINE, start)) {
        yield [data, start, i]
        start = i + 1
      }
      carry = Buffer.from(data.subarray(start))
    }
    if (carry.length > 0) yield [carry, 0, carry.length]
  } finally {
    closeSync(fd)
  }
}

export const compactEntry = (e: OplogEntry): CompactEntry => {
  const out: CompactEntry = [e.secs, e.ord, e.term, e.wall, e.op, e.coll, e.id]
  if (e.doc !== undefined || e.prev !== undefined) out.push(e.doc === undefined ? null : persistedDocument(e.doc))
  if (e.prev !== undefined) out.push(persistedDocument(e.prev))
  return out
}

export const expandEntry = (c: CompactEntry): OplogEntry => {
  const entry: OplogEntry = {secs: c[0], ord: c[1], term: c[2], wall: c[3], op: c[4], coll: c[5], id: c[6]}
  if (c[7] !== undefined && c[7] !== null) entry.doc = loadedDocument(c[7])
  if (c[8] !== undefined && c[8] !== null) entry.prev = loadedDocument(c[8])
  return entry
}

export function persistedMember(m: Member): PersistedMember {
  return {
    key: m.key,
    placement: m.placement,
    setName: m.setName,
    port: m.port,
    dbPath: m.dbPath,
    users: m.users,
    createdAt: m.createdAt,
    ...(m.setId ? {setId: m.setId} : {}),
    applied: m.applied,
    tail: m.tail.map(compactEntry),
    lastVoteTerm: m.lastVoteTerm,
    rbid: m.rbid,
  }
}

export function persistedSet(s: ReplicaSet): PersistedSet {
  return {
    id: s.id,
    name: s.name,
    clusterSet: s.clusterSet,
    homeCluster: s.homeCluster,
    homeNamespace: s.homeNamespace,
    database: s.database,
    config: s.config,
    term: s.term,
    users: s.users,
    writeSeq: s.writeSeq,
    lastTs: s.lastTs,
    oplogStart: s.oplog.start,
  }
}

const encode = (record: unknown): string => {
  const json = JSON.stringify(record)
  return `${crc32(json).toString(16)}\t${json}\n`
}

function decode(line: string): unknown {
  const tab = line.indexOf('\t')
  if (tab <= 0) return undefined
  const json = line.slice(tab + 1)
  if (crc32(json).toString(16) !== line.slice(0, tab)) return undefined
  try {
    return JSON.parse(json)
  } catch {
    return undefined
  }
}

/** Reads a file line by line without holding all of it in one string. */
export function* readLines(path: string): Generator<string> {
  const fd = openSync(path, 'r')
  const buffer = Buffer.alloc(1 << 20)
  let rest = ''
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null)
      if (n === 0) break
      const text = rest + buffer.toString('utf8', 0, n)
      const lines = text.split('\n')
      rest = lines.pop() ?? ''
      yield* lines
    }
    if (rest) yield rest
  } finally {
    closeSync(fd)
  }
}

const walName = (seq: number): string => `wal-${seq}.log`

/**
 * The records of one log file in order: text lines (`crc <TAB> json`) and binary batch records
 * (wal-batch.ts), read in 4 MiB chunks. The first torn or damaged record ends it: `{torn}` says
 * at which byte it starts.
 */
function* walFileRecords(path: string): Generator<WalRecord | {torn: number}> {
  const fd = openSync(path, 'r')
  let data = Buffer.alloc(0)
  let at = 0
  let consumed = 0
  let eof = false
  // Makes at least `n` bytes available from `at` unless the file ends first.
  const have = (n: number): boolean => {
    while (data.length - at < n && !eof) {
      const chunk = Buffer.allocUnsafe(Math.max(4 << 20, n))
      const read = readSync(fd, chunk, 0, chunk.length, null)
      if (read === 0) eof = true
      consumed += at
      data = Buffer.concat([data.subarray(at), chunk.subarray(0, read)])
      at = 0
    }
    return data.length - at >= n
  }
  try {
    while (have(1)) {
      const offset = consumed + at
      if (data[at] === BATCH_MARKER) {
        const payload = have(BATCH_FRAME_BYTES) && have(BATCH_FRAME_BYTES + data.readUInt32LE(at + 1)) ? checkedPayload(data.subarray(at)) : undefined
        if (!payload) {
          yield {torn: offset}
          return
        }
        at += BATCH_FRAME_BYTES + payload.length
        yield decodeBatch(payload)
        continue
      }
      let newline = data.indexOf(NEWLINE, at)
      while (newline === -1 && !eof) {
        have(data.length - at + 1)
        newline = data.indexOf(NEWLINE, at)
      }
      const end = newline === -1 ? data.length : newline
      const line = data.toString('utf8', at, end)
      at = end + 1
      if (!line) continue
      const record = decode(line) as WalRecord | undefined
      if (!record) {
        yield {torn: offset}
        return
      }
      yield record
    }
  } finally {
    closeSync(fd)
  }
}

/** A snapshot is written in chunks of about this many characters, yielding to the event loop between them. */
const SNAPSHOT_CHUNK_CHARS = 1 << 20

export interface LoadedDataPlane {
  header?: SnapshotHeader
  snapshotLines: () => Generator<SnapshotLine>
  walRecords: () => Generator<WalRecord>
  nextWalSeq: number
  warnings: string[]
}

/** Opens what is on disk; never throws on damage, says what it skipped. */
export function loadDataPlane(dir: string): LoadedDataPlane {
  mkdirSync(dir, {recursive: true})
  const warnings: string[] = []
  const snapshotPath = join(dir, 'snapshot.jsonl')
  let header: SnapshotHeader | undefined
  if (existsSync(snapshotPath)) {
    const first = readLines(snapshotPath).next()
    header = first.done ? undefined : (decode(first.value) as SnapshotHeader | undefined)
    if (!header || (header.format !== 1 && header.format !== SNAPSHOT_FORMAT)) {
      warnings.push(`${snapshotPath} is damaged; starting from the logs alone`)
      header = undefined
    }
  }
  const seqs = readdirSync(dir)
    .map((name) => /^wal-(\d+)\.log$/.exec(name)?.[1])
    .filter((seq): seq is string => seq !== undefined)
    .map(Number)
    .filter((seq) => seq >= (header?.walSeq ?? 0))
    .sort((a, b) => a - b)
  return {
    header,
    snapshotLines: function* () {
      if (!header) return
      let first = true
      let count = 0
      let trailer: number | undefined
      for (const [buffer, start, end] of bufferLines(snapshotPath)) {
        if (first) {
          first = false
          continue
        }
        if (end === start) continue
        const f = fields(buffer, start, end)
        if (f[0] === 'D' && f.length === 5) yield {k: 'doc', s: Number(f[1]), c: f[2], i: f[3], d: loadedDocument(f[4])}
        else if (f[0] === 'O' && f.length === 12) {
          const entry: OplogEntry = {secs: Number(f[2]), ord: Number(f[3]), term: Number(f[4]), wall: Number(f[5]), op: f[6] as OpKind, coll: f[7], id: f[8]}
          if (f[9] === 'd') entry.doc = loadedDocument(f[10])
          if (f[11] !== '') entry.prev = loadedDocument(f[11])
          yield {k: 'op', s: Number(f[1]), e: entry, current: f[9] === 'r'}
        } else if (f[0] === 'E') {
          trailer = Number(f[1])
          continue
        } else {
          warnings.push(`${snapshotPath}: a damaged line was skipped`)
          continue
        }
        count++
      }
      if (trailer !== count) warnings.push(`${snapshotPath} is incomplete (${count} lines${trailer === undefined ? ', no trailer' : ` of ${trailer}`})`)
    },
    walRecords: function* () {
      for (const seq of seqs) {
        const path = join(dir, walName(seq))
        for (const record of walFileRecords(path)) {
          if ('torn' in record) {
            warnings.push(`${path}: ignored a torn record at byte ${record.torn} and what follows`)
            return
          }
          yield record
        }
      }
    },
    nextWalSeq: Math.max(header?.walSeq ?? 0, ...seqs, 0) + 1,
    warnings,
  }
}

/** The append-only log: group commit, rotation at snapshots. */
export class DataPlaneLog {
  private pending: Array<string | Buffer> = []
  private appended = 0
  private durable = 0
  private bytes = 0
  private handle: FileHandle | undefined
  private running: Promise<void> | undefined
  private waiters: Array<{target: number; resolve: () => void; reject: (error: unknown) => void}> = []
  private failure: unknown

  constructor(
    private readonly dir: string,
    private seq: number,
  ) {}

  get size(): number {
    return this.bytes
  }

  append(record: WalRecord): void {
    const line = encode(record)
    this.pending.push(line)
    this.bytes += line.length
    this.appended++
    this.kick()
  }

  /** Appends a binary batch record (wal-batch.ts encodeBatch). */
  appendBatch(record: Buffer): void {
    this.pending.push(record)
    this.bytes += record.length
    this.appended++
    this.kick()
  }

  flush(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure)
    if (this.durable >= this.appended) return Promise.resolve()
    return new Promise((resolve, reject) => {
      this.waiters.push({target: this.appended, resolve, reject})
      this.kick()
    })
  }

  /**
   * Writes a snapshot: moves the log to a new file and captures the state at that cut without
   * yielding (no append can slip between them: everything appended afterwards goes to the new
   * file), then writes the captured lines in chunks, yielding between them so the daemon keeps
   * serving, and finally replaces the snapshot (temp file, fsync, rename) and deletes the old logs.
   * A crash before the rename leaves the old snapshot and every log, which still replay.
   */
  async snapshot(capture: (walSeq: number) => Iterable<string>): Promise<void> {
    for (;;) {
      await this.flush()
      if (this.running) await this.running
      if (this.pending.length === 0 && !this.running) break
    }
    const oldHandle = this.handle
    this.handle = undefined
    const oldSeq = this.seq
    this.seq++
    this.bytes = 0
    const lines = capture(this.seq)
    const path = join(this.dir, 'snapshot.jsonl')
    const temp = `${path}.tmp-${process.pid}`
    const file = await open(temp, 'w')
    try {
      let chunk = ''
      for (const line of lines) {
        chunk += line
        if (chunk.length > SNAPSHOT_CHUNK_CHARS) {
          await file.write(chunk)
          chunk = ''
        }
      }
      if (chunk) await file.write(chunk)
      await file.sync()
    } finally {
      await file.close()
    }
    renameSync(temp, path)
    await oldHandle?.close()
    for (const name of readdirSync(this.dir)) {
      const seq = /^wal-(\d+)\.log$/.exec(name)?.[1]
      if (seq !== undefined && Number(seq) <= oldSeq) unlinkSync(join(this.dir, name))
    }
  }

  async close(): Promise<void> {
    await this.flush()
    await this.handle?.close()
    this.handle = undefined
  }

  private kick(): void {
    if (this.running) return
    this.running = this.loop().finally(() => {
      this.running = undefined
      if (!this.failure && this.pending.length > 0) this.kick()
    })
  }

  private async loop(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending
      this.pending = []
      try {
        this.handle ??= await open(join(this.dir, walName(this.seq)), 'a')
        for (const bytes of writeGroups(batch)) await this.handle.write(bytes)
        await this.handle.datasync()
        this.durable += batch.length
        const still: typeof this.waiters = []
        for (const waiter of this.waiters) (waiter.target <= this.durable ? waiter.resolve : () => still.push(waiter))()
        this.waiters = still
      } catch (error) {
        this.failure = error
        for (const waiter of this.waiters.splice(0)) waiter.reject(error)
        return
      }
    }
  }
}

export const encodeLine = encode

/** Pending records as Buffers of about 8 MiB each (one write per group, not per record). */
function* writeGroups(records: ReadonlyArray<string | Buffer>): Generator<Buffer> {
  let group: Buffer[] = []
  let bytes = 0
  let text = ''
  const takeText = () => {
    if (!text) return
    const buffer = Buffer.from(text, 'utf8')
    group.push(buffer)
    bytes += buffer.length
    text = ''
  }
  for (const record of records) {
    if (typeof record === 'string') text += record
    else {
      takeText()
      group.push(record)
      bytes += record.length
    }
    if (bytes + text.length >= 8 << 20) {
      takeText()
      yield Buffer.concat(group)
      group = []
      bytes = 0
    }
  }
  takeText()
  if (group.length > 0) yield Buffer.concat(group)
}

/** Size of the logs on disk (for the compaction decision after a restart). */
export function walBytes(dir: string): number {
  let total = 0
  for (const name of existsSync(dir) ? readdirSync(dir) : []) if (/^wal-\d+\.log$/.test(name)) total += statSync(join(dir, name)).size
  return total
}
