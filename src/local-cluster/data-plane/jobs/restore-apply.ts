import {type Document, EJSON, ObjectId, type Timestamp} from 'bson'

import type {DataPlaneEngine} from '../engine.js'
import type {ReplicaSet} from '../state.js'

/**
 * What a simulated `mongorestore --oplogReplay [--oplogLimit=T]` does to the target replica set:
 * insert every document of the archive through the primary, then apply the archive's oplog
 * entries in order, idempotently (an insert of a document that exists replaces it, a delete of
 * one that does not is a no-op: applyOps in oplog application mode), stopping before the first
 * entry at or after the limit (mongorestore: "only include oplog entries before the provided
 * Timestamp"). mongorestore refuses to restore over existing collections of the same name unless
 * told to drop them, and mygate never restores over live data: a target that already holds
 * documents is refused.
 */
export interface RestoreInput {
  /** Collections of the archive (the oplog namespace excluded). */
  collections: Array<{db: string; collection: string; documents: Document[]}>
  oplog: Document[]
  /** Exclusive upper bound for the replay. */
  oplogLimit?: {t: number; i: number}
  /** Replay the archive's oplog (--oplogReplay). */
  replay: boolean
}

export interface RestoreOutcome extends ReplayOutcome {
  database: string
  restored: Array<{namespace: string; documents: number}>
}

export class RestoreError extends Error {}

export function restoreIntoSet(engine: DataPlaneEngine, set: ReplicaSet, input: RestoreInput, now: number): RestoreOutcome {
  if (set.data.totalDocuments() > 0) {
    throw new RestoreError(`Failed: ${set.name} already holds documents: mygate restores into a new, empty replica set only`)
  }
  const databases = new Set(input.collections.map((c) => c.db))
  if (databases.size > 1) throw new RestoreError(`Failed: the archive holds several databases (${[...databases].join(', ')}); a mygate backup holds one`)
  const database = [...databases][0] ?? set.database
  // The restored set holds the archive's database from now on (status and hashes look it up by name).
  set.database = database
  const write = writerFor(engine, set, now)
  const restored: RestoreOutcome['restored'] = []
  for (const collection of input.collections) {
    for (const document of collection.documents) write('i', collection.collection, idText(document._id), EJSON.stringify(document, {relaxed: true}))
    restored.push({namespace: `${collection.db}.${collection.collection}`, documents: collection.documents.length})
  }
  const replayed = input.replay ? replayEntries(input.oplog, database, input.oplogLimit, write) : {oplogApplied: 0}
  return {database, restored, ...replayed}
}

export interface ReplayOutcome {
  oplogApplied: number
  /** The last oplog entry applied, `SECONDS:ORDINAL`. */
  lastApplied?: string
  /** The first entry left out by --oplogLimit. */
  firstExcluded?: string
}

/**
 * A simulated `mongorestore --oplogReplay --oplogFile=FILE [--oplogLimit=T]`: one oplog (an
 * oplog slice) applied onto a set that already holds a restore, in order and idempotently, up
 * to the limit (exclusive). Real mongorestore replays exactly one oplog per run, so a base
 * backup followed by N slices is N + 1 runs; each is this function once. It needs no empty
 * target: the set holds the base restore by design (mygate runs it only into the new set it
 * restored, never into a live one).
 */
export function replayOplogIntoSet(engine: DataPlaneEngine, set: ReplicaSet, oplog: Document[], oplogLimit: {t: number; i: number} | undefined, now: number): ReplayOutcome & {database: string} {
  const write = writerFor(engine, set, now)
  return {database: set.database, ...replayEntries(oplog, set.database, oplogLimit, write)}
}

function writerFor(engine: DataPlaneEngine, set: ReplicaSet, now: number) {
  return (op: 'i' | 'u' | 'd', coll: string, id: string, doc?: string) => {
    const prev = set.data.get(coll, id)
    if (op === 'd' && prev === undefined) return
    const kind = op === 'd' ? 'd' : prev === undefined ? 'i' : 'u'
    if (!engine.clientWrite(set, {op: kind, coll, id, ...(doc !== undefined ? {doc} : {}), ...(prev !== undefined ? {prev} : {})}, now)) {
      throw new RestoreError(`Failed: ${set.name} has no primary: not primary`)
    }
  }
}

function replayEntries(oplog: Document[], database: string, limit: {t: number; i: number} | undefined, write: (op: 'i' | 'u' | 'd', coll: string, id: string, doc?: string) => void): ReplayOutcome {
  let oplogApplied = 0
  let lastApplied: string | undefined
  let firstExcluded: string | undefined
  for (const entry of oplog) {
    const ts = entry.ts as Timestamp
    const at = {t: ts.t, i: ts.i}
    if (limit && (at.t > limit.t || (at.t === limit.t && at.i >= limit.i))) {
      firstExcluded = `${at.t}:${at.i}`
      break
    }
    applyEntry(entry, database, write)
    oplogApplied++
    lastApplied = `${at.t}:${at.i}`
  }
  return {oplogApplied, ...(lastApplied ? {lastApplied} : {}), ...(firstExcluded ? {firstExcluded} : {})}
}

function applyEntry(entry: Document, database: string, write: (op: 'i' | 'u' | 'd', coll: string, id: string, doc?: string) => void): void {
  const op = String(entry.op)
  if (op === 'n' || op === 'c') return
  const ns = String(entry.ns ?? '')
  const dot = ns.indexOf('.')
  if (dot < 0 || ns.slice(0, dot) !== database) return
  const coll = ns.slice(dot + 1)
  const o = entry.o as Document
  if (op === 'i') write('i', coll, idText(o._id), EJSON.stringify(o, {relaxed: true}))
  else if (op === 'u') write('u', coll, idText((entry.o2 as Document | undefined)?._id ?? o._id), EJSON.stringify(o, {relaxed: true}))
  else if (op === 'd') write('d', coll, idText(o._id))
}

/** The data plane keys documents by their _id's text: an ObjectId's hex, anything else as JSON. */
function idText(id: unknown): string {
  if (id instanceof ObjectId) return id.toHexString()
  return typeof id === 'string' ? id : EJSON.stringify({v: id}, {relaxed: true})
}
