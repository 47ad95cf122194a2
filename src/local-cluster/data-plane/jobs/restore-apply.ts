import {deserialize, EJSON} from 'bson'

import {rawField, rawString} from '../../../formats/content-hash/raw-bson.js'
import type {DataPlaneEngine} from '../engine.js'
import type {OplogEntry} from '../oplog.js'
import type {ReplicaSet} from '../state.js'
import {type StoredDocument, storeBson} from '../stored-document.js'

/**
 * What a simulated `mongorestore --oplogReplay [--oplogLimit=T]` does to the target replica set:
 * insert every document of the archive through the primary, then apply the archive's oplog
 * entries in order, idempotently (an insert of a document that exists replaces it, a delete of
 * one that does not is a no-op: applyOps in oplog application mode), stopping before the first
 * entry at or after the limit (mongorestore: "only include oplog entries before the provided
 * Timestamp"). mongorestore refuses to restore over existing collections of the same name unless
 * told to drop them, and mygate never restores over live data: a target that already holds
 * documents is refused. Documents go in as the archive's BSON bytes, never decoded and encoded
 * again (mongorestore inserts what it reads; re-encoding could change a value's type and so the
 * content hash); only each document's `_id` is read, in place.
 */
export interface RestoreInput {
  /** Collections of the archive (the oplog namespace excluded), documents as raw BSON. */
  collections: Array<{db: string; collection: string; documents: Uint8Array[]}>
  /** The archive's oplog entries as raw BSON (local.oplog.rs documents). */
  oplog: Uint8Array[]
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
    for (const bson of collection.documents) write('i', collection.collection, idOf(bson), storeBson(bson))
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
export function replayOplogIntoSet(engine: DataPlaneEngine, set: ReplicaSet, oplog: Uint8Array[], oplogLimit: {t: number; i: number} | undefined, now: number): ReplayOutcome & {database: string} {
  const write = writerFor(engine, set, now)
  return {database: set.database, ...replayEntries(oplog, set.database, oplogLimit, write)}
}

function writerFor(engine: DataPlaneEngine, set: ReplicaSet, now: number): Write {
  return (op, coll, id, doc) => {
    const prev = set.data.get(coll, id)
    if (op === 'd' && prev === undefined) return
    // Built field by field: a spread per document costs more than the write itself over a million.
    const write: Pick<OplogEntry, 'op' | 'coll' | 'id' | 'doc' | 'prev'> = {op: op === 'd' ? 'd' : prev === undefined ? 'i' : 'u', coll, id}
    if (doc !== undefined) write.doc = doc
    if (prev !== undefined) write.prev = prev
    if (!engine.clientWrite(set, write, now)) throw new RestoreError(`Failed: ${set.name} has no primary: not primary`)
  }
}

export type Write = (op: 'i' | 'u' | 'd', coll: string, id: string, doc?: StoredDocument) => void

export function replayEntries(oplog: Uint8Array[], database: string, limit: {t: number; i: number} | undefined, write: Write): ReplayOutcome {
  let oplogApplied = 0
  let lastApplied: string | undefined
  let firstExcluded: string | undefined
  for (const entry of oplog) {
    const at = timestampOf(entry)
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

/** An entry's `ts` (BSON timestamp: the increment in the low 32 bits, the seconds in the high ones). */
function timestampOf(entry: Uint8Array): {t: number; i: number} {
  const ts = rawField(entry, 'ts')
  if (!ts || ts.type !== 0x11) throw new RestoreError('Failed: an oplog entry has no timestamp (ts)')
  const view = Buffer.from(ts.value.buffer, ts.value.byteOffset, 8)
  return {t: view.readUInt32LE(4), i: view.readUInt32LE(0)}
}

/** The embedded document of a field (`o`, `o2`), as its raw bytes. */
function documentField(entry: Uint8Array, name: string): Uint8Array | undefined {
  const field = rawField(entry, name)
  return field && field.type === 0x03 ? field.value : undefined
}

function applyEntry(entry: Uint8Array, database: string, write: Write): void {
  const op = rawString(entry, 'op')
  if (op === 'n' || op === 'c') return
  const ns = rawString(entry, 'ns') ?? ''
  const dot = ns.indexOf('.')
  if (dot < 0 || ns.slice(0, dot) !== database) return
  const coll = ns.slice(dot + 1)
  const o = documentField(entry, 'o')
  if (!o) return
  if (op === 'i') write('i', coll, idOf(o), storeBson(o))
  else if (op === 'u') write('u', coll, idOf(documentField(entry, 'o2') ?? o), storeBson(o))
  else if (op === 'd') write('d', coll, idOf(o))
}

/**
 * The data plane keys documents by their _id's text: an ObjectId's hex, a string as it is,
 * anything else as relaxed Extended JSON. Read from the raw bytes; only an unusual _id is decoded.
 */
export function idOf(document: Uint8Array): string {
  // The usual shape first: an ObjectId `_id` as the first field (type 0x07, then "_id\0").
  if (document.length >= 21 && document[4] === 0x07 && document[5] === 0x5f && document[6] === 0x69 && document[7] === 0x64 && document[8] === 0) {
    return Buffer.from(document.buffer, document.byteOffset + 9, 12).toString('hex')
  }
  const id = rawField(document, '_id')
  if (!id) throw new RestoreError('Failed: a document has no _id field')
  if (id.type === 0x07) return Buffer.from(id.value.buffer, id.value.byteOffset, 12).toString('hex')
  if (id.type === 0x02) return rawString(document, '_id') as string
  const {_id} = deserialize(document)
  return EJSON.stringify({v: _id}, {relaxed: true})
}
