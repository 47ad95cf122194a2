import type {OplogEntry} from './oplog.js'
import type {StoredDocument} from './stored-document.js'

interface Collection {
  /** _id -> the document's BSON (stored-document.ts), in insertion order (Map keeps it: the oldest comes first). */
  docs: Map<string, StoredDocument>
  bytes: number
}

export interface CollectionStats {
  name: string
  count: number
  /** Total size of the documents' BSON in bytes. */
  sizeBytes: number
}

/**
 * The documents of one database, materialised at the head of the replica set's branch of history.
 * A member that lags sees these minus the entries it has not applied (see countsAt); a rebase
 * onto another branch undoes entries (updates and deletes keep the previous document for that).
 */
export class Collections {
  private readonly byName = new Map<string, Collection>()

  apply(entry: OplogEntry): void {
    if (entry.op === 'n') return
    const collection = this.collection(entry.coll)
    const before = collection.docs.get(entry.id)
    if (before !== undefined) collection.bytes -= before.length
    if (entry.op === 'd') collection.docs.delete(entry.id)
    else if (entry.doc !== undefined) {
      collection.docs.set(entry.id, entry.doc)
      collection.bytes += entry.doc.length
    } else collection.docs.delete(entry.id)
  }

  undo(entry: OplogEntry): void {
    if (entry.op === 'n') return
    const collection = this.collection(entry.coll)
    const current = collection.docs.get(entry.id)
    if (current !== undefined) collection.bytes -= current.length
    if (entry.op === 'i') collection.docs.delete(entry.id)
    else if (entry.prev !== undefined) {
      collection.docs.set(entry.id, entry.prev)
      collection.bytes += entry.prev.length
    } else collection.docs.delete(entry.id)
  }

  get(name: string, id: string): StoredDocument | undefined {
    return this.byName.get(name)?.docs.get(id)
  }

  /** The oldest document's _id (first inserted still present). */
  oldestId(name: string): string | undefined {
    const docs = this.byName.get(name)?.docs
    if (!docs) return undefined
    for (const id of docs.keys()) return id
    return undefined
  }

  names(): string[] {
    return [...this.byName.keys()].sort()
  }

  stats(): CollectionStats[] {
    return this.names().map((name) => {
      const collection = this.byName.get(name) as Collection
      return {name, count: collection.docs.size, sizeBytes: collection.bytes}
    })
  }

  totalDocuments(): number {
    let total = 0
    for (const collection of this.byName.values()) total += collection.docs.size
    return total
  }

  /** Every document of a collection, oldest first (persistence, dumps). */
  *entries(name: string): IterableIterator<[string, StoredDocument]> {
    const docs = this.byName.get(name)?.docs
    if (docs) yield* docs.entries()
  }

  /** The documents of a collection, oldest first, without their _ids. */
  documents(name: string): StoredDocument[] {
    const docs = this.byName.get(name)?.docs
    return docs ? [...docs.values()] : []
  }

  /**
   * Every collection's _ids and documents at this instant, in the order entries() gives them
   * (references: stored documents are immutable strings), for a snapshot written while writes go on.
   */
  capture(): Array<{name: string; ids: string[]; docs: StoredDocument[]}> {
    return this.names().map((name) => {
      const docs = (this.byName.get(name) as Collection).docs
      return {name, ids: [...docs.keys()], docs: [...docs.values()]}
    })
  }

  /** Loads a document as stored (no oplog entry): snapshot loading. */
  load(name: string, id: string, doc: StoredDocument): void {
    const collection = this.collection(name)
    collection.docs.set(id, doc)
    collection.bytes += doc.length
  }

  private collection(name: string): Collection {
    let collection = this.byName.get(name)
    if (!collection) this.byName.set(name, (collection = {docs: new Map(), bytes: 0}))
    return collection
  }
}

/** Per-collection count and size deltas of a run of entries (what a lagging member lacks). */
export function statsDelta(entries: Iterable<OplogEntry>): Map<string, {count: number; bytes: number}> {
  const delta = new Map<string, {count: number; bytes: number}>()
  for (const entry of entries) {
    if (entry.op === 'n') continue
    let d = delta.get(entry.coll)
    if (!d) delta.set(entry.coll, (d = {count: 0, bytes: 0}))
    if (entry.op === 'i') {
      d.count++
      d.bytes += entry.doc?.length ?? 0
    } else if (entry.op === 'u') d.bytes += (entry.doc?.length ?? 0) - (entry.prev?.length ?? 0)
    else {
      d.count--
      d.bytes -= entry.prev?.length ?? 0
    }
  }
  return delta
}
