import {type Document, Long, ObjectId, Timestamp} from 'bson'

import type {ReplicaSet, Member} from '../state.js'
import type {OplogEntry} from '../oplog.js'
import {DocumentRun} from '../../../formats/mongo-archive/encode.js'
import {decodeStored, type StoredDocument} from '../stored-document.js'

/** Documents copied into the archive per run: about 256 KiB of a couple of hundred bytes each. */
const DOCUMENTS_PER_RUN = 1024

/**
 * What a simulated `mongodump --oplog` of one member reads: every collection of the set's
 * database as that member has it (its applied position, not the primary's head), then the oplog
 * entries of the dump's window. Real mongodump reads collections over a while and captures the
 * oplog from its start to its end, so a restore with --oplogReplay is consistent as of the end of
 * that window. The simulated read is instantaneous, so the window holds the one entry mongodump
 * starts from (the newest at its start, already reflected in the documents; replaying it is
 * idempotent), and the consistent point is that entry's timestamp: the member's applied optime.
 * Documents are handed over as the BSON bytes the member stores (mongodump copies what the server
 * returns, it never re-encodes), so a dump is a copy, not a conversion.
 */
export interface DumpSnapshot {
  database: string
  collections: Array<{name: string; count: number; documents: () => Iterable<DocumentRun>}>
  /** Oplog entries of the window, as documents of local.oplog.rs. */
  oplog: Document[]
  /** The timestamp the dump is consistent to (`SECONDS:ORDINAL` pieces); undefined with an empty oplog. */
  consistentAt?: {t: number; i: number}
}

export function dumpSnapshot(set: ReplicaSet, member: Member): DumpSnapshot {
  const head = set.oplog.end
  const applied = Math.min(Math.max(member.applied, set.oplog.start), head)
  // The member lacks entries [applied, head): undo them, newest first, per document.
  const asOfMember = new Map<string, Map<string, StoredDocument | null>>()
  for (let index = head - 1; index >= applied; index--) {
    const entry = set.oplog.get(index)
    if (entry.op === 'n') continue
    let byId = asOfMember.get(entry.coll)
    if (!byId) asOfMember.set(entry.coll, (byId = new Map()))
    byId.set(entry.id, entry.op === 'i' ? null : (entry.prev ?? null))
  }
  const names = new Set([...set.data.names(), ...asOfMember.keys()])
  const collections = [...names].sort().map((name) => {
    const overrides = asOfMember.get(name) ?? new Map<string, StoredDocument | null>()
    // Taken at once (references to the stored documents): the set moves on while the archive is written.
    if (overrides.size === 0) return snapshotCollection(name, set.data.documents(name))
    const texts: StoredDocument[] = []
    for (const [id, doc] of set.data.entries(name)) {
      const override = overrides.get(id)
      if (override === undefined) texts.push(doc)
      else if (override !== null) texts.push(override)
    }
    // Documents the member still has that the head deleted since.
    for (const [id, doc] of overrides) if (doc !== null && set.data.get(name, id) === undefined) texts.push(doc)
    return snapshotCollection(name, texts)
  })
  const window = applied > set.oplog.start ? [set.oplog.get(applied - 1)] : []
  const last = window.at(-1)
  return {
    database: set.database,
    collections: collections.filter((c) => c.count > 0),
    oplog: window.map((entry) => oplogDocument(set.database, entry)),
    ...(last ? {consistentAt: {t: last.secs, i: last.ord}} : {}),
  }
}

/** One entry as MongoDB writes it to local.oplog.rs (replacement updates carry the whole document). */
export function oplogDocument(database: string, entry: OplogEntry): Document {
  const base: Document = {ts: new Timestamp({t: entry.secs, i: entry.ord}), t: Long.fromNumber(entry.term), v: Long.fromNumber(2), op: entry.op}
  const idOf = (): Document => ({_id: ObjectId.isValid(entry.id) ? new ObjectId(entry.id) : entry.id})
  const document = (stored: StoredDocument | undefined): Document => (stored === undefined ? {} : decodeStored(stored))
  switch (entry.op) {
    case 'n':
      return {...base, ns: '', o: entry.doc === undefined ? {msg: 'noop'} : decodeStored(entry.doc), wall: new Date(entry.wall)}
    case 'i':
      return {...base, ns: `${database}.${entry.coll}`, o: document(entry.doc), wall: new Date(entry.wall)}
    case 'u':
      return {...base, ns: `${database}.${entry.coll}`, o: document(entry.doc), o2: {_id: document(entry.doc)._id ?? idOf()._id}, wall: new Date(entry.wall)}
    case 'd':
      return {...base, ns: `${database}.${entry.coll}`, o: {_id: document(entry.prev)._id ?? idOf()._id}, wall: new Date(entry.wall)}
  }
}

/** One collection of a snapshot: its documents, handed to the archive writer in runs. */
function snapshotCollection(name: string, texts: StoredDocument[]): DumpSnapshot['collections'][number] {
  return {
    name,
    count: texts.length,
    // Runs of documents end to end (one join and one copy per run, not an allocation per document).
    documents: function* (): Iterable<DocumentRun> {
      for (let at = 0; at < texts.length; at += DOCUMENTS_PER_RUN) {
        const run = texts.slice(at, at + DOCUMENTS_PER_RUN)
        yield new DocumentRun(Buffer.from(run.join(''), 'latin1'), run.length)
      }
    },
  }
}
