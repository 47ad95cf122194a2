import type {JobRun} from './jobs/job-runner.js'
import type {DataPlaneEngine} from './engine.js'
import {newMember} from './engine.js'
import {Collections} from './collections.js'
import {capturedEntry, Oplog} from './oplog.js'
import {
  docLine,
  encodeLine,
  expandEntry,
  type LoadedDataPlane,
  loadDataPlane,
  opLine,
  type PersistedMember,
  type PersistedSet,
  persistedMember,
  persistedSet,
  type SnapshotHeader,
  SNAPSHOT_FORMAT,
  trailerLine,
  type WalRecord,
} from './persistence.js'
import type {ReplicaSet} from './state.js'
import {SIMULATION} from './timing.js'

/** Finished database Jobs by pod uid, and whether their outcome is on disk yet. */
export type JobRuns = Map<string, {run: JobRun; durable: boolean}>

/**
 * Rebuilds the engine's sets and members, and the finished Jobs, from the snapshot and the log in
 * `dir` (persistence.ts). Members come back down; runtime state (primaries, member states) is
 * rebuilt by running: a full restart of a replica set means a new election, as on real servers.
 */
export function restore(dir: string, engine: DataPlaneEngine, jobRuns: JobRuns, now: number): LoadedDataPlane {
  const loaded = loadDataPlane(dir)
  const restoreSet = (meta: PersistedSet): ReplicaSet => {
    const existing = engine.sets.get(meta.id)
    if (existing) {
      Object.assign(existing, {config: meta.config, term: meta.term, users: meta.users, writeSeq: meta.writeSeq, lastTs: meta.lastTs})
      return existing
    }
    const oplog = new Oplog()
    oplog.setStart(meta.oplogStart)
    const set: ReplicaSet = {...meta, oplog, data: new Collections(), rollbacks: [], writeCarry: 0, lastWriteAt: now, writesPerSecond: 0, recent: new Map(), hostKeys: new Map(), lastHeartbeatAt: 0}
    engine.sets.set(set.id, set)
    return set
  }
  const restoreMember = (m: PersistedMember): void => {
    const member = newMember(m.key, m.placement, m.setName, m.port, m.createdAt, m.dbPath)
    Object.assign(member, {users: m.users, setId: m.setId, applied: m.applied, tail: m.tail.map(expandEntry), lastVoteTerm: m.lastVoteTerm, rbid: m.rbid})
    engine.members.set(member.key, member)
  }
  for (const meta of loaded.header?.sets ?? []) restoreSet(meta)
  for (const m of loaded.header?.members ?? []) restoreMember(m)
  for (const [uid, run] of Object.entries(loaded.header?.jobs ?? {})) jobRuns.set(uid, {run, durable: true})
  for (const [id, events] of Object.entries(loaded.header?.rollbacks ?? {})) {
    const set = engine.sets.get(id)
    if (set) set.rollbacks = events
  }
  const bySnapshotIndex = (loaded.header?.sets ?? []).map((meta) => engine.sets.get(meta.id))
  for (const line of loaded.snapshotLines()) {
    const set = bySnapshotIndex[line.s]
    if (!set) continue
    if (line.k === 'doc') set.data.load(line.c, line.i, line.d)
    else {
      // The document is the collection's current one: share that very string.
      if (line.current) line.e.doc = set.data.get(line.e.coll, line.e.id)
      set.oplog.append(line.e)
    }
  }
  for (const record of loaded.walRecords()) replay(engine, jobRuns, record, restoreSet, restoreMember)
  for (const set of [...engine.sets.values()]) {
    // A set whose members were all deleted was logged with an empty config.
    if (set.config.members.length === 0) engine.sets.delete(set.id)
    else set.oplog.cap(SIMULATION.oplogMaxEntries)
  }
  return loaded
}

function replay(engine: DataPlaneEngine, jobRuns: JobRuns, record: WalRecord, restoreSet: (meta: PersistedSet) => ReplicaSet, restoreMember: (m: PersistedMember) => void): void {
  switch (record.k) {
    case 'set':
      restoreSet(record.s)
      return
    case 'member':
      restoreMember(record.m)
      return
    case 'drop':
      engine.members.delete(record.key)
      return
    case 'pos':
      for (const [key, applied] of Object.entries(record.p)) {
        const member = engine.members.get(key)
        if (member) member.applied = applied
      }
      return
    case 'rollback':
      engine.sets.get(record.set)?.rollbacks.push(record.e)
      return
    case 'job':
      jobRuns.set(record.uid, {run: record.run, durable: true})
      return
    case 'job-drop':
      jobRuns.delete(record.uid)
      return
    case 'truncate': {
      const set = engine.sets.get(record.set)
      if (!set || record.at >= set.oplog.end) return
      for (let i = set.oplog.end - 1; i >= Math.max(record.at, set.oplog.start); i--) set.data.undo(set.oplog.get(i))
      set.oplog.truncateFrom(record.at)
      return
    }
    case 'ops':
    case 'batch': {
      const set = engine.sets.get(record.set)
      if (!set) return
      // Records written while a snapshot was cut may repeat entries the snapshot has.
      const skip = Math.max(0, set.oplog.end - record.from)
      const entries = record.k === 'batch' ? record.entries.slice(skip) : record.e.slice(skip).map(expandEntry)
      for (const entry of entries) {
        set.oplog.append(entry)
        set.data.apply(entry)
      }
      set.writeSeq = Math.max(set.writeSeq, record.seq)
      set.lastTs = record.ts
      const writer = record.by ? engine.members.get(record.by) : undefined
      if (writer && writer.setId === set.id && writer.tail.length === 0) writer.applied = set.oplog.end
      return
    }
  }
}

/**
 * The whole state as a snapshot (persistence.ts format): captured at once, at the log's cut, and
 * returned as lines produced on demand. Only the capture is synchronous (references to the
 * documents, a copy of the oplog's columns, whether each entry's document is its collection's
 * current one): encoding the lines, the costly part for a million documents, happens while the
 * data plane goes on, so a compaction no longer stops the daemon for its whole duration.
 */
export function captureSnapshot(engine: DataPlaneEngine, jobRuns: JobRuns, walSeq: number): Iterable<string> {
  const sets = [...engine.sets.values()]
  const header: SnapshotHeader = {
    format: SNAPSHOT_FORMAT,
    walSeq,
    sets: sets.map(persistedSet),
    members: [...engine.members.values()].map(persistedMember),
    rollbacks: Object.fromEntries(sets.map((s) => [s.id, s.rollbacks])),
    jobs: Object.fromEntries([...jobRuns].filter(([, entry]) => entry.durable).map(([uid, entry]) => [uid, entry.run])),
  }
  const headerLine = encodeLine(header)
  const captured = sets.map((set) => {
    const oplog = set.oplog.capture()
    // Decided now, against the collections as they are at the cut.
    const current = new Uint8Array(oplog.length)
    for (let k = 0; k < oplog.length; k++) {
      const doc = oplog.docs[k]
      if (doc !== undefined && set.data.get(oplog.collNames[oplog.colls[k]], oplog.ids[k]) === doc) current[k] = 1
    }
    return {collections: set.data.capture(), oplog, current}
  })
  return (function* () {
    yield headerLine
    let lines = 0
    for (const [index, {collections, oplog, current}] of captured.entries()) {
      for (const {name, ids, docs} of collections) {
        for (let k = 0; k < ids.length; k++) yield docLine(index, name, ids[k], docs[k])
        lines += ids.length
      }
      for (let k = 0; k < oplog.length; k++) yield opLine(index, capturedEntry(oplog, k), current[k] === 1)
      lines += oplog.length
    }
    yield trailerLine(lines)
  })()
}
