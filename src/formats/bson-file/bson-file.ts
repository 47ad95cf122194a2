import {gunzipSync, gzipSync} from 'node:zlib'

import {OperationFailedError} from '../../errors.js'

/**
 * A `.bson` file as `mongodump --out` writes one per collection (and `mongorestore --oplogFile`
 * reads): BSON documents back to back, nothing else; `--gzip` compresses the whole file
 * (`.bson.gz`). Each document starts with its int32 little-endian length, which includes the
 * length itself and the trailing NUL (bsonspec.org: `document ::= int32 e_list "\x00"`).
 */

const MIN_DOCUMENT = 5
/** mongod's BSON size limit plus the 16 KiB the server allows internal documents (oplog entries). */
const MAX_DOCUMENT = 16 * 1024 * 1024 + 16 * 1024

export class BsonFileError extends OperationFailedError {}

/** The documents of a .bson file (views into `bytes`). A truncated or malformed file is refused by offset. */
export function splitBsonDocuments(bytes: Uint8Array, what = 'the .bson file'): Buffer[] {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const documents: Buffer[] = []
  let offset = 0
  while (offset < buffer.length) {
    if (buffer.length - offset < 4) throw new BsonFileError(`${what} is truncated at byte ${offset}: ${buffer.length - offset} bytes left, a document needs at least ${MIN_DOCUMENT}`)
    const size = buffer.readInt32LE(offset)
    if (size < MIN_DOCUMENT || size > MAX_DOCUMENT) throw new BsonFileError(`${what} has an invalid document size ${size} at byte ${offset}`)
    if (offset + size > buffer.length) throw new BsonFileError(`${what} is truncated at byte ${offset}: a document of ${size} bytes, ${buffer.length - offset} left`)
    if (buffer[offset + size - 1] !== 0) throw new BsonFileError(`${what} has a document without its terminating NUL at byte ${offset + size - 1}`)
    documents.push(buffer.subarray(offset, offset + size))
    offset += size
  }
  return documents
}

/** Reads a .bson or .bson.gz file's bytes (gzip detected from its magic bytes). */
export function readBsonFile(bytes: Uint8Array, what?: string): Buffer[] {
  const gzipped = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b
  let plain: Uint8Array = bytes
  if (gzipped) {
    try {
      plain = gunzipSync(bytes)
    } catch (error) {
      throw new BsonFileError(`${what ?? 'the .bson.gz file'} is not a valid gzip stream: ${(error as Error).message}`, {cause: error})
    }
  }
  return splitBsonDocuments(plain, what)
}

/** Writes documents as a .bson file, gzip-compressed when asked (mongodump --gzip). */
export function writeBsonFile(documents: Iterable<Uint8Array>, options: {gzip?: boolean} = {}): Buffer {
  const plain = Buffer.concat([...documents])
  return options.gzip ? gzipSync(plain) : plain
}
