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

export interface RestoreOutcome {
  database: string
  restored: Array<{namespace: string; documents: number}>
  oplogApplied: number
  /** The last oplog entry applied, `SECONDS:ORDINAL`. */
  lastApplied?: string
  /** The first entry left out by --oplogLimit. */
  firstExcluded?: string
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
  const write = (op: 'i' | 'u' | 'd', coll: string, id: string, doc?: string) => {
    const prev = set.data.get(coll, id)
    if (op === 'd' && prev === undefined) return
    const kind = op === 'd' ? 'd' : prev === undefined ? 'i' : 'u'
    if (!engine.clientWrite(set, {op: kind, coll, id, ...(doc !== undefined ? {doc} : {}), ...(prev !== undefined ? {prev} : {})}, now)) {
      throw new RestoreError(`Failed: ${set.name} has no primary: not primary`)
    }
  }
  const restored: RestoreOutcome['restored'] = []
  for (const collection of input.collections) {
    for (const document of collection.documents) write('i', collection.collection, idText(document._id), EJSON.stringify(document, {relaxed: true}))
    restored.push({namespace: `${collection.db}.${collection.collection}`, documents: collection.documents.length})
  }
  let oplogApplied = 0
  let lastApplied: string | undefined
  let firstExcluded: string | undefined
  if (input.replay) {
    for (const entry of input.oplog) {
      const ts = entry.ts as Timestamp
      const at = {t: ts.t, i: ts.i}
      if (input.oplogLimit && (at.t > input.oplogLimit.t || (at.t === input.oplogLimit.t && at.i >= input.oplogLimit.i))) {
        firstExcluded = `${at.t}:${at.i}`
        break
      }
      applyEntry(entry, database, write)
      oplogApplied++
      lastApplied = `${at.t}:${at.i}`
    }
  }
  return {database, restored, oplogApplied, ...(lastApplied ? {lastApplied} : {}), ...(firstExcluded ? {firstExcluded} : {})}
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
