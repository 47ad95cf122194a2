import {hash} from 'node:crypto'

import {UsageError} from '../../errors.js'
import {rawField, rawKey, rawString} from './raw-bson.js'

/**
 * Per-collection document counts and content hashes of a database, as of a backup's consistent
 * point, computed from its archive plus its oplog while they stream.
 *
 * Why order-independent: mongodump reads each collection in natural (storage) order, which is
 * neither insertion order nor stable across a restore (a restored collection is written in the
 * dump's order, compacted, and later dumps of it may differ), and the oplog replayed on top moves
 * documents around. Two copies of the same data must hash the same whatever order their
 * documents arrive in, so the collection hash is a multiset hash:
 *
 *   hash(collection) = sum over its documents of SHA-256(document's BSON), mod 2^256
 *
 * A sum, not an XOR: XOR cancels pairs, so a document present twice would vanish from the hash;
 * a sum counts it twice. Like XOR it can subtract, which is what applying an oplog delete or
 * update needs. The document's BSON is hashed as the server stores it (field order included:
 * MongoDB preserves it, so it survives dump and restore byte for byte).
 *
 * Worked example: a collection with documents A and B, SHA-256 a and b, hashes to (a + b) mod
 * 2^256 and counts 2; an oplog delete of B then leaves (a + b - b) = a and count 1, exactly what
 * hashing a collection holding only A gives.
 */

/** The hash of one collection: how many documents and their summed SHA-256, 64 hex digits. */
export interface CollectionContentHash {
  documents: number
  sha256Sum: string
}

/** Hashes keyed by full namespace, `db.collection`. */
export type ContentHashes = Record<string, CollectionContentHash>

const LIMBS = 8

/** A 256-bit accumulator as eight little-endian uint32 limbs. */
class Sum256 {
  readonly limbs = new Uint32Array(LIMBS)

  add(digest: Uint8Array, sign: 1 | -1): void {
    let carry = 0
    for (let i = 0; i < LIMBS; i++) {
      // The digest is big-endian: limb i (least significant first) is bytes 28-4i .. 31-4i.
      const at = 28 - 4 * i
      const word = ((digest[at] << 24) | (digest[at + 1] << 16) | (digest[at + 2] << 8) | digest[at + 3]) >>> 0
      const next = sign === 1 ? this.limbs[i] + word + carry : this.limbs[i] - word - carry
      if (sign === 1) {
        carry = next > 0xffffffff ? 1 : 0
      } else {
        carry = next < 0 ? 1 : 0
      }
      this.limbs[i] = next >>> 0
    }
  }

  hex(): string {
    let out = ''
    for (let i = LIMBS - 1; i >= 0; i--) out += this.limbs[i].toString(16).padStart(8, '0')
    return out
  }
}

/** SHA-256 of a document's BSON (the one-shot crypto.hash: a third of createHash's cost per small document). */
export function documentDigest(bson: Uint8Array): Buffer {
  return hash('sha256', bson, 'buffer')
}

/** One operation from an oplog slice, reduced to what changes a hash. */
export type HashOp =
  | {op: 'upsert'; ns: string; id: string; document: Uint8Array}
  | {op: 'delete'; ns: string; id: string}
  | {op: 'none'}

/** The _id of a document as a key (exact BSON type and bytes), or a clear error. */
export function idKeyOf(bson: Uint8Array, what = 'document'): string {
  const id = rawField(bson, '_id')
  if (!id) throw new UsageError(`the ${what} has no _id field`, {hint: 'every MongoDB document has an _id'})
  return rawKey(id)
}

/**
 * Reads an oplog entry (raw BSON, as mongodump writes it into `oplog.bson`) as a hash operation.
 * Insert (`i`) and a replacement-style update (`u` whose `o` is the whole document) set the
 * document; delete (`d`) removes it; no-ops (`n`) change nothing. A modifier update (`o` with
 * `$set`... or the `$v: 2` diff) does not carry the document after the update, and a command
 * (`c`: drop, applyOps...) is beyond a per-document hash: both are refused, naming the entry, and
 * the caller must hash the restored collections instead.
 */
export function hashOpFromOplogEntry(entry: Uint8Array): HashOp {
  const op = rawString(entry, 'op')
  const ns = rawString(entry, 'ns') ?? ''
  if (op === 'n') return {op: 'none'}
  const o = rawField(entry, 'o')
  if (!o || o.type !== 0x03) throw new UsageError(`oplog entry ${op ?? '?'} on ${ns} has no document in its "o" field`)
  if (op === 'i') return {op: 'upsert', ns, id: idKeyOf(o.value, `inserted document on ${ns}`), document: o.value}
  if (op === 'd') return {op: 'delete', ns, id: idKeyOf(o.value, `delete on ${ns}`)}
  if (op === 'u') {
    if (firstFieldName(o.value).startsWith('$')) {
      throw new UsageError(`oplog update on ${ns} is a modifier update (${firstFieldName(o.value)}), which does not carry the updated document`, {
        hint: 'hash the restored collection instead of replaying the oplog onto the archive hashes',
      })
    }
    const o2 = rawField(entry, 'o2')
    const id = o2 && o2.type === 0x03 ? idKeyOf(o2.value, `update selector on ${ns}`) : idKeyOf(o.value, `update on ${ns}`)
    return {op: 'upsert', ns, id, document: o.value}
  }
  throw new UsageError(`oplog entry with op "${op ?? '?'}" on ${ns} cannot be applied to content hashes`, {
    hint: 'hash the restored collections instead of replaying the oplog onto the archive hashes',
  })
}

function firstFieldName(bson: Uint8Array): string {
  if (bson.length <= 5) return ''
  let end = 5
  while (end < bson.length && bson[end] !== 0) end++
  return Buffer.from(bson.buffer, bson.byteOffset + 5, end - 5).toString('utf8')
}

export interface ContentHashStateOptions {
  /**
   * Which documents to remember (namespace + "\0" + id key, see trackKey) so a later oplog update
   * or delete can subtract them. 'all' remembers every document (fine for small data); a set of
   * the keys an oplog slice touches (touchedKeys) keeps memory to the slice's size.
   */
  track?: 'all' | ReadonlySet<string>
}

export function trackKey(ns: string, id: string): string {
  return `${ns}\0${id}`
}

/** The keys an oplog slice touches: pass them as `track` before streaming the archive. */
export function touchedKeys(ops: Iterable<HashOp>): Set<string> {
  const keys = new Set<string>()
  for (const op of ops) if (op.op !== 'none') keys.add(trackKey(op.ns, op.id))
  return keys
}

/**
 * The running hash state of a database: feed it the archive's documents, then the oplog slice's
 * operations in order; read the result with hashes().
 */
export class ContentHashState {
  private readonly sums = new Map<string, {documents: number; sum: Sum256}>()
  /** Digest of each tracked document present now. */
  private readonly present = new Map<string, Buffer>()
  private readonly track: 'all' | ReadonlySet<string>

  constructor(options: ContentHashStateOptions = {}) {
    this.track = options.track ?? 'all'
  }

  private collection(ns: string): {documents: number; sum: Sum256} {
    let entry = this.sums.get(ns)
    if (!entry) {
      entry = {documents: 0, sum: new Sum256()}
      this.sums.set(ns, entry)
    }
    return entry
  }

  /** Declares a collection so it is reported even with no documents. */
  declareCollection(ns: string): void {
    this.collection(ns)
  }

  /** A document of the archive. */
  addDocument(ns: string, bson: Uint8Array): void {
    const digest = documentDigest(bson)
    const entry = this.collection(ns)
    entry.sum.add(digest, 1)
    entry.documents++
    if (this.track === 'all' || this.track.size > 0) {
      const key = trackKey(ns, idKeyOf(bson, `document in ${ns}`))
      if (this.track === 'all' || this.track.has(key)) this.present.set(key, digest)
    }
  }

  /**
   * An operation of the oplog, applied as mongorestore's `--oplogReplay` does: idempotently, an
   * insert or replacement of a document already there replaces it, a delete of one not there is
   * a no-op.
   */
  applyOp(op: HashOp): void {
    if (op.op === 'none') return
    const key = trackKey(op.ns, op.id)
    if (this.track !== 'all' && !this.track.has(key)) {
      throw new UsageError(`oplog operation on ${op.ns} touches a document the hash state was not told to track`, {
        hint: 'build the state with track: touchedKeys(ops) of the same oplog slice',
      })
    }
    const entry = this.collection(op.ns)
    const before = this.present.get(key)
    if (before) {
      entry.sum.add(before, -1)
      entry.documents--
      this.present.delete(key)
    }
    if (op.op === 'upsert') {
      const digest = documentDigest(op.document)
      entry.sum.add(digest, 1)
      entry.documents++
      this.present.set(key, digest)
    }
  }

  hashes(): ContentHashes {
    const out: ContentHashes = {}
    for (const ns of [...this.sums.keys()].sort()) {
      const entry = this.sums.get(ns)!
      out[ns] = {documents: entry.documents, sha256Sum: entry.sum.hex()}
    }
    return out
  }
}

/** The hashes of a set of collections given whole (no oplog): e.g. of a restored database. */
export function hashCollections(collections: Iterable<{ns: string; documents: Iterable<Uint8Array>}>): ContentHashes {
  const state = new ContentHashState({track: new Set()})
  for (const c of collections) {
    state.declareCollection(c.ns)
    for (const doc of c.documents) state.addDocument(c.ns, doc)
  }
  return state.hashes()
}

/** Collections whose count or hash differ between what a backup recorded and what was found. */
export function compareContentHashes(expected: ContentHashes, actual: ContentHashes): Array<{ns: string; expected?: CollectionContentHash; actual?: CollectionContentHash}> {
  const names = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort()
  const diffs: Array<{ns: string; expected?: CollectionContentHash; actual?: CollectionContentHash}> = []
  for (const ns of names) {
    const e = expected[ns]
    const a = actual[ns]
    if (!e || !a || e.documents !== a.documents || e.sha256Sum !== a.sha256Sum) diffs.push({ns, expected: e, actual: a})
  }
  return diffs
}
