import {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {createGunzip} from 'node:zlib'

import {deserialize, Long, type Document} from 'bson'

import {ArchiveFormatError} from './archive-error.js'
import {Crc64} from './crc64.js'
import {
  ARCHIVE_MAGIC_NUMBER,
  MAX_BSON_SIZE,
  MIN_BSON_SIZE,
  TERMINATOR,
  isOplogNamespace,
  namespaceName,
  type ArchiveHeader,
  type CollectionMetadata,
  type Namespace,
} from './layout.js'

/**
 * What the reader yields, in archive order. Documents come in batches (views into the read
 * buffer, valid as long as you keep them) because a yield per document costs more than the
 * parsing; `end` comes after a namespace's CRC was checked against its EOF header.
 */
export type ArchiveEvent =
  | {kind: 'prelude'; header: ArchiveHeader; collections: CollectionMetadata[]}
  | {kind: 'documents'; ns: Namespace; oplog: boolean; documents: Buffer[]}
  | {kind: 'end'; ns: Namespace; oplog: boolean; documents: number; bytes: number; crc: bigint}

export interface DecodeOptions {
  /** The bytes are gzip-compressed (`--gzip`). Default: detected from the gzip magic bytes. */
  gzip?: boolean
}

/** Documents per `documents` event at most, so a large read chunk does not become one huge batch. */
const MAX_BATCH = 4096

/** A growable window over the incoming chunks with an absolute offset for error messages. */
class ByteWindow {
  private buffer: Buffer = Buffer.alloc(0)
  private position = 0
  /** Offset in the (uncompressed) archive of buffer[0]. */
  private base = 0
  private ended = false

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  get offset(): number {
    return this.base + this.position
  }

  get available(): number {
    return this.buffer.length - this.position
  }

  /** Makes n bytes available; false if the stream ends first. */
  async ensure(n: number): Promise<boolean> {
    while (this.available < n) {
      if (this.ended) return false
      const next = await this.source.next()
      if (next.done) {
        this.ended = true
        return this.available >= n
      }
      const rest = this.buffer.subarray(this.position)
      this.base += this.position
      this.buffer = rest.length === 0 ? Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength) : Buffer.concat([rest, next.value])
      this.position = 0
    }
    return true
  }

  /** True at the clean end of the stream. */
  async atEnd(): Promise<boolean> {
    return !(await this.ensure(1))
  }

  peekInt32(): number {
    return this.buffer.readUInt32LE(this.position)
  }

  take(n: number): Buffer {
    const bytes = this.buffer.subarray(this.position, this.position + n)
    this.position += n
    return bytes
  }

  /** Steps back over the last `n` bytes taken (all still in the buffer). */
  untake(n: number): void {
    this.position -= n
  }
}

type Block = {terminator: true} | {terminator: false; bson: Buffer}

const TERMINATOR_BLOCK: Block = {terminator: true}

/**
 * readBlock without awaiting when the whole block is already buffered (the common case: a read
 * chunk holds thousands of documents, and an await per document would cost more than parsing
 * it); undefined when more bytes are needed or the block is malformed (readBlock then decides).
 */
function readBufferedBlock(window: ByteWindow): Block | undefined {
  if (window.available < 4) return undefined
  const length = window.peekInt32()
  if (length === TERMINATOR) {
    window.take(4)
    return TERMINATOR_BLOCK
  }
  if (length < MIN_BSON_SIZE || length > MAX_BSON_SIZE || window.available < length) return undefined
  const bson = window.take(length)
  if (bson[length - 1] === 0) return {terminator: false, bson}
  window.untake(length)
  return undefined
}

async function readBlock(window: ByteWindow, where: string): Promise<Block> {
  const at = window.offset
  if (!(await window.ensure(4))) throw new ArchiveFormatError(`the archive ends in the middle of ${where} (offset ${at})`, {details: {offset: at}})
  const length = window.peekInt32()
  if (length === TERMINATOR) {
    window.take(4)
    return {terminator: true}
  }
  if (length < MIN_BSON_SIZE || length > MAX_BSON_SIZE) {
    throw new ArchiveFormatError(`the archive has a BSON length of ${length} in ${where} (offset ${at}), outside ${MIN_BSON_SIZE}..${MAX_BSON_SIZE}`, {details: {offset: at}})
  }
  if (!(await window.ensure(length))) throw new ArchiveFormatError(`the archive ends in the middle of a document in ${where} (offset ${at})`, {details: {offset: at}})
  const bson = window.take(length)
  if (bson[length - 1] !== 0) throw new ArchiveFormatError(`a document in ${where} does not end with a NUL byte (offset ${at})`, {details: {offset: at}})
  return {terminator: false, bson}
}

function parseDocument(bson: Buffer, what: string, offset: number): Document {
  try {
    // promoteLongs false keeps the CRC's 64 bits exact as a Long.
    return deserialize(bson, {promoteLongs: false})
  } catch (error) {
    throw new ArchiveFormatError(`the archive's ${what} at offset ${offset} is not valid BSON: ${(error as Error).message}`, {cause: error, details: {offset}})
  }
}

function asNumber(value: unknown): number {
  if (typeof value === 'number') return value
  if (value instanceof Long) return value.toNumber()
  if (value && typeof value === 'object' && 'valueOf' in value) return Number(value.valueOf())
  return 0
}

function readHeader(doc: Document): ArchiveHeader {
  return {
    concurrentCollections: asNumber(doc.concurrent_collections),
    version: String(doc.version ?? ''),
    serverVersion: String(doc.server_version ?? ''),
    toolVersion: String(doc.tool_version ?? ''),
  }
}

function readCollectionMetadata(doc: Document, offset: number): CollectionMetadata {
  if (typeof doc.db !== 'string' || typeof doc.collection !== 'string') {
    throw new ArchiveFormatError(`the archive's prelude has a collection entry without db and collection names (offset ${offset})`, {details: {offset}})
  }
  return {
    db: doc.db,
    collection: doc.collection,
    metadata: typeof doc.metadata === 'string' ? doc.metadata : '',
    size: asNumber(doc.size),
    type: typeof doc.type === 'string' ? doc.type : '',
  }
}

interface NamespaceHeaderDoc extends Namespace {
  eof: boolean
  crc: bigint
}

function readNamespaceHeader(doc: Document, offset: number): NamespaceHeaderDoc {
  if (typeof doc.db !== 'string' || typeof doc.collection !== 'string' || typeof doc.EOF !== 'boolean') {
    throw new ArchiveFormatError(`expected a namespace header at offset ${offset} of the archive, found another document`, {details: {offset}})
  }
  const crc = doc.CRC instanceof Long ? BigInt.asUintN(64, doc.CRC.toBigInt()) : BigInt(asNumber(doc.CRC))
  return {db: doc.db, collection: doc.collection, eof: doc.EOF, crc}
}

async function* gunzipIfNeeded(source: AsyncIterable<Uint8Array>, gzip: boolean | undefined): AsyncGenerator<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]()
  const first = await iterator.next()
  if (first.done) return
  const rest: AsyncIterable<Uint8Array> = {
    async *[Symbol.asyncIterator]() {
      yield first.value
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value
    },
  }
  const looksGzipped = first.value.length >= 2 && first.value[0] === 0x1f && first.value[1] === 0x8b
  if (!(gzip ?? looksGzipped)) {
    yield* rest
    return
  }
  const gunzip = createGunzip()
  const piped = pipeline(Readable.from(rest, {objectMode: false}), gunzip)
  // The pipeline's failure surfaces through the gunzip stream's iteration; keep it from being unhandled.
  piped.catch(() => {})
  try {
    for await (const chunk of gunzip) yield chunk as Buffer
  } catch (error) {
    throw new ArchiveFormatError(`the archive is not valid gzip: ${(error as Error).message}`, {cause: error})
  }
  await piped
}

/**
 * Reads a mongodump archive (gzipped or not) from a byte stream, checking its framing and each
 * namespace's CRC as it goes. Throws ArchiveFormatError on anything malformed, on a CRC that does
 * not match (naming the collection and both checksums), and on an archive that ends before every
 * namespace in its prelude reached its EOF header.
 */
export async function* decodeArchive(source: AsyncIterable<Uint8Array>, options: DecodeOptions = {}): AsyncGenerator<ArchiveEvent> {
  const window = new ByteWindow(gunzipIfNeeded(source, options.gzip)[Symbol.asyncIterator]())
  if (!(await window.ensure(4)) || window.peekInt32() !== ARCHIVE_MAGIC_NUMBER) {
    throw new ArchiveFormatError('the stream is not a mongodump archive (its first four bytes are not the archive magic number 0x8199e26d)')
  }
  window.take(4)

  const headerBlock = await readBlock(window, 'the archive header')
  if (headerBlock.terminator) throw new ArchiveFormatError('the archive has no header after its magic number')
  const header = readHeader(parseDocument(headerBlock.bson, 'header', 4))
  const collections: CollectionMetadata[] = []
  for (;;) {
    const at = window.offset
    const block = await readBlock(window, 'the prelude')
    if (block.terminator) break
    collections.push(readCollectionMetadata(parseDocument(block.bson, 'prelude', at), at))
  }
  yield {kind: 'prelude', header, collections}

  const pending = new Map<string, {crc: Crc64; documents: number; bytes: number}>()
  for (const c of collections) pending.set(namespaceName(c), {crc: new Crc64(), documents: 0, bytes: 0})

  while (!(await window.atEnd())) {
    const at = window.offset
    const block = await readBlock(window, 'a namespace header')
    if (block.terminator) throw new ArchiveFormatError(`the archive has a terminator where a namespace header belongs (offset ${at})`, {details: {offset: at}})
    const head = readNamespaceHeader(parseDocument(block.bson, 'namespace header', at), at)
    const ns: Namespace = {db: head.db, collection: head.collection}
    const name = namespaceName(ns)
    const state = pending.get(name)
    if (!state) {
      throw new ArchiveFormatError(`the archive has data for ${name}, which its prelude does not list or which already ended (offset ${at})`, {details: {offset: at, namespace: name}})
    }
    const oplog = isOplogNamespace(ns)
    if (head.eof) {
      const closing = await readBlock(window, `the end of ${name}`)
      if (!closing.terminator) throw new ArchiveFormatError(`the EOF header of ${name} is not followed by a terminator (offset ${at})`, {details: {offset: at, namespace: name}})
      const actual = state.crc.value()
      if (actual !== head.crc) {
        throw new ArchiveFormatError(
          `checksum mismatch in ${name}: the archive records CRC-64 ${head.crc.toString(16).padStart(16, '0')}, its documents give ${actual.toString(16).padStart(16, '0')}`,
          {details: {namespace: name, expectedCrc: head.crc.toString(16), actualCrc: actual.toString(16)}},
        )
      }
      pending.delete(name)
      yield {kind: 'end', ns, oplog, documents: state.documents, bytes: state.bytes, crc: actual}
      continue
    }
    // A segment: documents until the terminator, yielded a buffer-full at a time.
    // Documents that lie next to each other in the read buffer are checksummed in one update
    // (the CRC of many small documents at once runs several times faster than one by one).
    let batch: Buffer[] = []
    let run: Buffer | undefined
    let runLength = 0
    const checksumRun = () => {
      if (run) state.crc.update(run.subarray(0, runLength))
      run = undefined
    }
    for (;;) {
      const block = readBufferedBlock(window) ?? (await readBlock(window, `the documents of ${name}`))
      if (block.terminator) break
      const bson = block.bson
      if (run && run.buffer === bson.buffer && run.byteOffset + runLength === bson.byteOffset) runLength += bson.length
      else {
        checksumRun()
        run = Buffer.from(bson.buffer, bson.byteOffset, bson.buffer.byteLength - bson.byteOffset)
        runLength = bson.length
      }
      state.documents++
      state.bytes += bson.length
      batch.push(bson)
      if (window.available < 4 || batch.length >= MAX_BATCH) {
        checksumRun()
        yield {kind: 'documents', ns, oplog, documents: batch}
        batch = []
      }
    }
    checksumRun()
    if (batch.length > 0) yield {kind: 'documents', ns, oplog, documents: batch}
  }
  if (pending.size > 0) {
    const missing = [...pending.keys()]
    throw new ArchiveFormatError(`the archive is truncated: ${missing.join(', ')} never reached its end marker`, {details: {missing}})
  }
}

export interface DecodedCollection extends CollectionMetadata {
  documents: Document[]
}

export interface DecodedArchive {
  header: ArchiveHeader
  collections: DecodedCollection[]
  /** The oplog entries (`--oplog`), in archive order; empty when the archive has none. */
  oplog: Document[]
  hasOplog: boolean
}

/**
 * Reads a whole archive into memory, documents decoded. For small archives (tests, the local
 * data plane's restore of a simulated database); stream with decodeArchive otherwise.
 */
export async function readArchiveIntoMemory(source: AsyncIterable<Uint8Array>, options: DecodeOptions = {}): Promise<DecodedArchive> {
  let header: ArchiveHeader | undefined
  const byName = new Map<string, DecodedCollection>()
  const oplog: Document[] = []
  let hasOplog = false
  for await (const event of decodeArchive(source, options)) {
    if (event.kind === 'prelude') {
      header = event.header
      for (const c of event.collections) {
        if (isOplogNamespace(c)) hasOplog = true
        else byName.set(namespaceName(c), {...c, documents: []})
      }
    } else if (event.kind === 'documents') {
      const target = event.oplog ? oplog : byName.get(namespaceName(event.ns))!.documents
      for (const bson of event.documents) target.push(deserialize(bson))
    }
  }
  return {header: header!, collections: [...byName.values()], oplog, hasOplog}
}
