import type {JobRun} from './jobs/job-runner.js'
import type {DataPlaneEngine} from './engine.js'
import {newMember} from './engine.js'
import {Collections} from './collections.js'
import {Oplog} from './oplog.js'
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
    case 'ops': {
      const set = engine.sets.get(record.set)
      if (!set) return
      // Records written while a snapshot was cut may repeat entries the snapshot has.
      const skip = Math.max(0, set.oplog.end - record.from)
      for (const compact of record.e.slice(skip)) {
        const entry = expandEntry(compact)
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

/** Writes the whole state as a snapshot (persistence.ts format), through `out`. */
export function writeSnapshot(engine: DataPlaneEngine, jobRuns: JobRuns, out: (line: string) => void, walSeq: number): void {
  const sets = [...engine.sets.values()]
  const header: SnapshotHeader = {
    format: SNAPSHOT_FORMAT,
    walSeq,
    sets: sets.map(persistedSet),
    members: [...engine.members.values()].map(persistedMember),
    rollbacks: Object.fromEntries(sets.map((s) => [s.id, s.rollbacks])),
    jobs: Object.fromEntries([...jobRuns].filter(([, entry]) => entry.durable).map(([uid, entry]) => [uid, entry.run])),
  }
  out(encodeLine(header))
  let lines = 0
  sets.forEach((set, index) => {
    for (const name of set.data.names()) {
      for (const [id, doc] of set.data.entries(name)) {
        out(docLine(index, name, id, doc))
        lines++
      }
    }
    for (let i = set.oplog.start; i < set.oplog.end; i++) {
      const entry = set.oplog.get(i)
      out(opLine(index, entry, entry.doc !== undefined && set.data.get(entry.coll, entry.id) === entry.doc))
      lines++
    }
  })
  out(trailerLine(lines))
}
