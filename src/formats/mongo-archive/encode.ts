import {Readable, type Writable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {createGzip} from 'node:zlib'

import {Int32, Long, serialize, type Document} from 'bson'

import {Crc64} from './crc64.js'
import {
  ARCHIVE_FORMAT_VERSION,
  ARCHIVE_MAGIC_NUMBER,
  OPLOG_NAMESPACE,
  TERMINATOR,
  type CollectionMetadata,
  type Namespace,
} from './layout.js'

/**
 * Consecutive BSON documents already laid end to end (`count` of them in `bytes`), as a storage
 * page or a .bson file holds them: written with one copy and one CRC update instead of one per
 * document. The caller vouches for the framing; `count` is what the EOF header and summary count.
 */
export class DocumentRun {
  constructor(
    readonly bytes: Uint8Array,
    readonly count: number,
  ) {}
}

/** A document to write: raw BSON bytes (written as they are), an object encoded with `bson`, or a run of raw documents. */
export type ArchiveDocument = Uint8Array | Document | DocumentRun

export type DocumentSource = AsyncIterable<ArchiveDocument> | Iterable<ArchiveDocument>

export interface ArchiveCollectionInput extends Partial<Pick<CollectionMetadata, 'metadata' | 'size' | 'type'>> {
  db: string
  collection: string
  /** Read once, in order, while the archive is written; never collected in memory. */
  documents: DocumentSource
}

export interface ArchiveInput {
  /** The MongoDB version of the source (archive header `server_version`). */
  serverVersion: string
  /** The tool that wrote the archive (archive header `tool_version`), e.g. `mygate 0.1.0`. */
  toolVersion: string
  /**
   * The header's `concurrent_collections` (mongorestore restores at least this many collections
   * in parallel). Default 1: this writer writes one collection after another.
   */
  concurrentCollections?: number
  /** Collections in the order they are written; each is one segment followed by its EOF header. */
  collections: ArchiveCollectionInput[]
  /**
   * The oplog captured during the dump (`mongodump --oplog`): written last, as the namespace
   * {db: "", collection: "oplog"}. Omit for a dump without `--oplog`.
   */
  oplog?: DocumentSource
}

/** What was written for one namespace, as its EOF header records it. */
export interface NamespaceSummary extends Namespace {
  documents: number
  /** Bytes of BSON documents (the archive's framing not included). */
  bytes: number
  /** CRC-64/ECMA of the documents, as written into the EOF header. */
  crc: bigint
}

export interface EncodeObserver {
  /** Called with each document's BSON bytes as it is written (e.g. to hash it). */
  onDocument?(ns: Namespace, bson: Uint8Array): void
  onNamespaceEnd?(summary: NamespaceSummary): void
}

/** Output is gathered into chunks of about this size: one yield per document would dominate the cost. */
const CHUNK_BYTES = 256 * 1024

class ChunkBuffer {
  private parts: Uint8Array[] = []
  private length = 0

  push(bytes: Uint8Array): void {
    this.parts.push(bytes)
    this.length += bytes.length
  }

  get full(): boolean {
    return this.length >= CHUNK_BYTES
  }

  take(): Buffer | undefined {
    if (this.length === 0) return undefined
    // One part (a large run of documents) goes out as it is, without another copy.
    const only = this.parts.length === 1 ? this.parts[0] : undefined
    const chunk = only ? Buffer.from(only.buffer, only.byteOffset, only.byteLength) : Buffer.concat(this.parts, this.length)
    this.parts = []
    this.length = 0
    return chunk
  }
}

const TERMINATOR_BYTES = Buffer.from([0xff, 0xff, 0xff, 0xff])
if (TERMINATOR_BYTES.readUInt32LE(0) !== TERMINATOR) throw new Error('terminator bytes disagree with TERMINATOR')

function magicNumberBytes(): Buffer {
  const bytes = Buffer.alloc(4)
  bytes.writeUInt32LE(ARCHIVE_MAGIC_NUMBER, 0)
  return bytes
}

/** Go's BSON encoder writes an `int` field as int32 when it fits, int64 otherwise. */
function goInt(value: number): Int32 | Long {
  return Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff ? new Int32(value) : Long.fromNumber(value)
}

/** Header fields in mongo-tools' order (archive.go Header). */
export function encodeHeader(serverVersion: string, toolVersion: string, concurrentCollections = 1): Uint8Array {
  return serialize({
    concurrent_collections: new Int32(concurrentCollections),
    version: ARCHIVE_FORMAT_VERSION,
    server_version: serverVersion,
    tool_version: toolVersion,
  })
}

export function encodeCollectionMetadata(meta: CollectionMetadata): Uint8Array {
  return serialize({db: meta.db, collection: meta.collection, metadata: meta.metadata, size: goInt(meta.size), type: meta.type})
}

/** A namespace header (EOF false, CRC 0) or an EOF header carrying the namespace's CRC. */
export function encodeNamespaceHeader(ns: Namespace, eof: boolean, crc = 0n): Uint8Array {
  // BSON has no uint64: mongo-tools stores the CRC's 64 bits as an int64 (archive.go MarshalBSON).
  return serialize({db: ns.db, collection: ns.collection, EOF: eof, CRC: Long.fromBigInt(BigInt.asIntN(64, crc))})
}

function toBson(document: Uint8Array | Document): Uint8Array {
  return document instanceof Uint8Array ? document : serialize(document)
}

/** The documents of a run, one view each (for an observer that wants them one by one). */
function* documentsOf(run: DocumentRun): Generator<Uint8Array> {
  const view = Buffer.from(run.bytes.buffer, run.bytes.byteOffset, run.bytes.byteLength)
  for (let at = 0; at < view.length; at += view.readInt32LE(at)) yield view.subarray(at, at + view.readInt32LE(at))
}

/**
 * Encodes an archive as mongodump writes it with `--archive` (uncompressed): the prelude, then
 * each collection as one segment and its EOF header, then the oplog. Yields chunks of about
 * 256 KiB; documents are pulled from their sources one at a time, so memory stays flat however
 * many there are.
 */
export async function* encodeArchive(input: ArchiveInput, observer: EncodeObserver = {}): AsyncGenerator<Buffer> {
  const out = new ChunkBuffer()
  out.push(magicNumberBytes())
  out.push(encodeHeader(input.serverVersion, input.toolVersion, input.concurrentCollections ?? 1))
  const namespaces: Array<{ns: Namespace; documents: DocumentSource}> = []
  for (const collection of input.collections) {
    out.push(
      encodeCollectionMetadata({
        db: collection.db,
        collection: collection.collection,
        metadata: collection.metadata ?? '',
        size: collection.size ?? 0,
        type: collection.type ?? '',
      }),
    )
    namespaces.push({ns: {db: collection.db, collection: collection.collection}, documents: collection.documents})
  }
  if (input.oplog) {
    out.push(encodeCollectionMetadata({...OPLOG_NAMESPACE, metadata: '', size: 0, type: ''}))
    namespaces.push({ns: {...OPLOG_NAMESPACE}, documents: input.oplog})
  }
  out.push(TERMINATOR_BYTES)

  for (const {ns, documents} of namespaces) {
    const crc = new Crc64()
    let count = 0
    let bytes = 0
    const add = (document: ArchiveDocument) => {
      if (document instanceof DocumentRun) {
        if (document.count === 0) return
        if (count === 0) out.push(encodeNamespaceHeader(ns, false))
        out.push(document.bytes)
        crc.update(document.bytes)
        if (observer.onDocument) for (const bson of documentsOf(document)) observer.onDocument(ns, bson)
        count += document.count
        bytes += document.bytes.length
        return
      }
      const bson = toBson(document)
      // A namespace with no documents has no segment at all, only its EOF header (multiplexer.go formatEOF).
      if (count === 0) out.push(encodeNamespaceHeader(ns, false))
      out.push(bson)
      crc.update(bson)
      observer.onDocument?.(ns, bson)
      count++
      bytes += bson.length
    }
    if (Symbol.asyncIterator in documents) {
      for await (const document of documents) {
        add(document)
        if (out.full) yield out.take()!
      }
    } else {
      // `for await` over a synchronous source would cost a promise per document: a third of the
      // writer's time over a million of them.
      for (const document of documents) {
        add(document)
        if (out.full) yield out.take()!
      }
    }
    if (count > 0) out.push(TERMINATOR_BYTES)
    const summary: NamespaceSummary = {...ns, documents: count, bytes, crc: crc.value()}
    out.push(encodeNamespaceHeader(ns, true, summary.crc))
    out.push(TERMINATOR_BYTES)
    observer.onNamespaceEnd?.(summary)
  }
  const last = out.take()
  if (last) yield last
}

export interface WriteArchiveOptions {
  /**
   * gzip the whole stream as `mongodump --archive --gzip` does; a number picks the zlib level
   * (mongodump uses Go's default, 6; level 1 is several times faster for a few percent more bytes).
   */
  gzip?: boolean | number
  observer?: EncodeObserver
}

export interface ArchiveWriteSummary {
  namespaces: NamespaceSummary[]
  /** Bytes of the archive before compression. */
  archiveBytes: number
}

/** Writes an archive to a stream (a file, an object store upload), gzipped if asked; resolves when it is flushed. */
export async function writeArchive(input: ArchiveInput, out: Writable, options: WriteArchiveOptions = {}): Promise<ArchiveWriteSummary> {
  const namespaces: NamespaceSummary[] = []
  let archiveBytes = 0
  const observer: EncodeObserver = {
    onDocument: options.observer?.onDocument,
    onNamespaceEnd(summary) {
      namespaces.push(summary)
      options.observer?.onNamespaceEnd?.(summary)
    },
  }
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of encodeArchive(input, observer)) {
      archiveBytes += chunk.length
      yield chunk
    }
  }
  const source = Readable.from(counted(), {objectMode: false})
  if (options.gzip === undefined || options.gzip === false) {
    await pipeline(source, out)
  } else {
    const level = options.gzip === true ? undefined : options.gzip
    await pipeline(source, createGzip(level === undefined ? {} : {level}), out)
  }
  return {namespaces, archiveBytes}
}
