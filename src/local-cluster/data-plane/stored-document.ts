import {BSON, type Document, EJSON} from 'bson'

/**
 * A document as the simulated mongod keeps it: its BSON bytes (what WiredTiger stores and what a
 * raw find, mongodump or an oplog entry carry), encoded once when it is written and decoded only
 * when something needs its fields (the workload's updates, the oplog slice writer).
 *
 * Held as a string of one character per byte (Node's `latin1` maps bytes 0-255 to U+0000-U+00FF
 * and back, both ways exact) rather than as a Buffer: V8 keeps such a string in one byte per
 * character with a small header, moves it with the rest of the heap, and shares it by reference
 * between a collection and the oplog entries that wrote it; a Buffer per document would add an
 * object of about a hundred bytes each to a million documents, and small Buffers pin the 8 KiB
 * pool slabs they were cut from. The brand keeps text and bytes from being mixed up.
 */
export type StoredDocument = string & {readonly __storedBson: unique symbol}

/** Stores BSON bytes as they are (a restore's documents, straight from the archive). */
export function storeBson(bytes: Uint8Array): StoredDocument {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1') as StoredDocument
}

/** Encodes a document (JS values with bson's types) as BSON and stores it. */
export function storeObject(document: Document): StoredDocument {
  return storeBson(BSON.serialize(document))
}

/**
 * Canonical Extended JSON (or plain JSON) to BSON, as mongoimport reads it: `{"$oid"}` becomes an
 * ObjectId, an integer an int32 (int64 past its range), a fraction a double.
 */
export function storeExtendedJson(text: string): StoredDocument {
  return storeObject(EJSON.parse(text, {relaxed: false}) as Document)
}

/** The document's BSON bytes (a copy the caller may keep). */
export function bsonOf(document: StoredDocument): Buffer {
  return Buffer.from(document, 'latin1')
}

/**
 * Each document's BSON bytes in turn, written into one reused buffer: a view valid only until the
 * next one is produced (for a consumer that reads each document at once and keeps nothing, such
 * as hashing a million of them, where a Buffer per document would only feed the GC).
 */
export function* transientBsonViews(documents: Iterable<StoredDocument>): Generator<Uint8Array> {
  let scratch = Buffer.allocUnsafe(64 * 1024)
  for (const document of documents) {
    if (document.length > scratch.length) scratch = Buffer.allocUnsafe(document.length)
    yield scratch.subarray(0, scratch.write(document, 0, 'latin1'))
  }
}

/**
 * The document's fields, types kept exactly (an int32 stays an Int32, a whole double a Double), so
 * encoding the result again gives the same bytes.
 */
export function decodeStored(document: StoredDocument): Document {
  return BSON.deserialize(bsonOf(document), {promoteValues: false})
}

/** Relaxed Extended JSON of the document (what mongoexport prints; rollback data, messages). */
export function extendedJsonOf(document: StoredDocument): string {
  return EJSON.stringify(BSON.deserialize(bsonOf(document)), {relaxed: true})
}

/** Size of the document in bytes: exactly its BSON size. */
export const storedSize = (document: StoredDocument): number => document.length
