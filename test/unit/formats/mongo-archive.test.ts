import {PassThrough, Readable} from 'node:stream'
import {gunzipSync} from 'node:zlib'

import {deserialize, serialize, type Document} from 'bson'
import {describe, expect, test} from 'vitest'

import {ArchiveFormatError} from '../../../src/formats/mongo-archive/archive-error.js'
import {crc64} from '../../../src/formats/mongo-archive/crc64.js'
import {decodeArchive, readArchiveIntoMemory, type ArchiveEvent} from '../../../src/formats/mongo-archive/decode.js'
import {DocumentRun, encodeArchive, writeArchive, type ArchiveInput} from '../../../src/formats/mongo-archive/encode.js'

async function bytesOf(input: ArchiveInput): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of encodeArchive(input)) chunks.push(chunk)
  return Buffer.concat(chunks)
}

async function events(bytes: Buffer): Promise<ArchiveEvent[]> {
  const out: ArchiveEvent[] = []
  for await (const event of decodeArchive(Readable.from([bytes]))) out.push(event)
  return out
}

// ---- A hand-written BSON encoder for the golden test, independent of the `bson` package. ----
const int32 = (n: number) => {
  const b = Buffer.alloc(4)
  b.writeInt32LE(n)
  return b
}
const int64 = (n: bigint) => {
  const b = Buffer.alloc(8)
  b.writeBigInt64LE(BigInt.asIntN(64, n))
  return b
}
const cstring = (s: string) => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])])
const str = (s: string) => Buffer.concat([int32(Buffer.byteLength(s) + 1), cstring(s)])
/** BSON element: type byte, name, value (bsonspec.org: 0x02 string, 0x08 bool, 0x10 int32, 0x12 int64). */
const el = (type: number, name: string, value: Buffer) => Buffer.concat([Buffer.from([type]), cstring(name), value])
const doc = (...elements: Buffer[]) => {
  const body = Buffer.concat(elements)
  return Buffer.concat([int32(body.length + 5), body, Buffer.from([0])])
}
const TERMINATOR = Buffer.from('ffffffff', 'hex')

const entry1 = doc(el(0x10, '_id', int32(1)), el(0x02, 'name', str('asha')))
const entry2 = doc(el(0x10, '_id', int32(2)), el(0x02, 'name', str('ravi')))
const op1 = doc(el(0x02, 'op', str('i')), el(0x02, 'ns', str('visitors.entries')))

const goldenInput = (): ArchiveInput => ({
  serverVersion: '7.0.14',
  toolVersion: 'mygate-test',
  collections: [
    {db: 'visitors', collection: 'entries', metadata: '{"indexes":[]}', size: 42, type: '', documents: [entry1, entry2]},
    {db: 'visitors', collection: 'empty', documents: []},
  ],
  oplog: [op1],
})

describe('mongodump archive writer: the golden archive, checked against the documented layout', () => {
  // Layout per mongo-tools common/archive/spec.md, prelude.go and multiplexer.go.
  const expected = Buffer.concat([
    Buffer.from([0x6d, 0xe2, 0x99, 0x81]), // magic number 0x8199e26d, little-endian
    doc(el(0x10, 'concurrent_collections', int32(1)), el(0x02, 'version', str('0.1')), el(0x02, 'server_version', str('7.0.14')), el(0x02, 'tool_version', str('mygate-test'))),
    doc(el(0x02, 'db', str('visitors')), el(0x02, 'collection', str('entries')), el(0x02, 'metadata', str('{"indexes":[]}')), el(0x10, 'size', int32(42)), el(0x02, 'type', str(''))),
    doc(el(0x02, 'db', str('visitors')), el(0x02, 'collection', str('empty')), el(0x02, 'metadata', str('')), el(0x10, 'size', int32(0)), el(0x02, 'type', str(''))),
    doc(el(0x02, 'db', str('')), el(0x02, 'collection', str('oplog')), el(0x02, 'metadata', str('')), el(0x10, 'size', int32(0)), el(0x02, 'type', str(''))),
    TERMINATOR, // end of prelude
    doc(el(0x02, 'db', str('visitors')), el(0x02, 'collection', str('entries')), el(0x08, 'EOF', Buffer.from([0])), el(0x12, 'CRC', int64(0n))),
    entry1,
    entry2,
    TERMINATOR, // end of the segment
    doc(el(0x02, 'db', str('visitors')), el(0x02, 'collection', str('entries')), el(0x08, 'EOF', Buffer.from([1])), el(0x12, 'CRC', int64(crc64(Buffer.concat([entry1, entry2]))))),
    TERMINATOR,
    // An empty collection has no segment, only its EOF header (CRC of nothing = 0).
    doc(el(0x02, 'db', str('visitors')), el(0x02, 'collection', str('empty')), el(0x08, 'EOF', Buffer.from([1])), el(0x12, 'CRC', int64(0n))),
    TERMINATOR,
    // The oplog comes last, as the namespace db "" collection "oplog".
    doc(el(0x02, 'db', str('')), el(0x02, 'collection', str('oplog')), el(0x08, 'EOF', Buffer.from([0])), el(0x12, 'CRC', int64(0n))),
    op1,
    TERMINATOR,
    doc(el(0x02, 'db', str('')), el(0x02, 'collection', str('oplog')), el(0x08, 'EOF', Buffer.from([1])), el(0x12, 'CRC', int64(crc64(op1)))),
    TERMINATOR,
  ])

  test('every byte is where the format puts it', async () => {
    const written = await bytesOf(goldenInput())
    expect(written.subarray(0, 4).toString('hex')).toBe('6de29981')
    expect(written.toString('hex')).toBe(expected.toString('hex'))
  })

  test('the header and first prelude entry, spelled out', async () => {
    const written = await bytesOf(goldenInput())
    const headerLength = written.readInt32LE(4)
    // int32 length, then element 0x10 "concurrent_collections" = 1
    expect(written[8]).toBe(0x10)
    expect(written.subarray(9, 9 + 23).toString('latin1')).toBe('concurrent_collections\0')
    expect(written.readInt32LE(32)).toBe(1)
    const prelude = 4 + headerLength
    expect(written[prelude + 4]).toBe(0x02) // "db" is a string
    expect(written.subarray(prelude + 5, prelude + 8).toString('latin1')).toBe('db\0')
    expect(written.readInt32LE(prelude + 8)).toBe('visitors'.length + 1)
  })

  test('the reader reads the golden bytes back, CRCs checked', async () => {
    const seen = await events(expected)
    expect(seen.map((e) => e.kind)).toEqual(['prelude', 'documents', 'end', 'end', 'documents', 'end'])
    const prelude = seen[0] as Extract<ArchiveEvent, {kind: 'prelude'}>
    expect(prelude.header).toEqual({concurrentCollections: 1, version: '0.1', serverVersion: '7.0.14', toolVersion: 'mygate-test'})
    expect(prelude.collections.map((c) => [c.db, c.collection, c.metadata, c.size])).toEqual([
      ['visitors', 'entries', '{"indexes":[]}', 42],
      ['visitors', 'empty', '', 0],
      ['', 'oplog', '', 0],
    ])
    expect(seen[2]).toMatchObject({kind: 'end', ns: {db: 'visitors', collection: 'entries'}, documents: 2, crc: crc64(Buffer.concat([entry1, entry2]))})
    expect(seen[5]).toMatchObject({kind: 'end', oplog: true, documents: 1})
  })
})

function* people(count: number): Generator<Document> {
  for (let i = 0; i < count; i++) yield {_id: i, name: `resident-${i}`, flat: `B-${i % 400}`, visits: [i, i + 1]}
}

describe('mongodump archive round trip', () => {
  test.each([false, true, 1])('10,000 documents in two collections and an oplog (gzip %s)', async (gzip) => {
    const sink = new PassThrough()
    const chunks: Buffer[] = []
    sink.on('data', (c: Buffer) => chunks.push(c))
    const summary = await writeArchive(
      {
        serverVersion: '7.0.14',
        toolVersion: 'mygate-test',
        collections: [
          {db: 'users', collection: 'residents', documents: people(6000)},
          {db: 'users', collection: 'flats', documents: (async function* () {
            for (let i = 0; i < 4000; i++) yield serialize({_id: `flat-${i}`})
          })()},
        ],
        oplog: [{ts: 1, op: 'i', ns: 'users.residents', o: {_id: 6000}}],
      },
      sink,
      {gzip},
    )
    const bytes = Buffer.concat(chunks)
    if (gzip !== false) expect(bytes.subarray(0, 2).toString('hex')).toBe('1f8b')
    expect(summary.namespaces.map((n) => [n.db, n.collection, n.documents])).toEqual([
      ['users', 'residents', 6000],
      ['users', 'flats', 4000],
      ['', 'oplog', 1],
    ])
    expect(summary.archiveBytes).toBe(gzip === false ? bytes.length : gunzipSync(bytes).length)

    const archive = await readArchiveIntoMemory(Readable.from([bytes]))
    expect(archive.collections.map((c) => c.documents.length)).toEqual([6000, 4000])
    expect(archive.collections[0].documents[5999]).toEqual({_id: 5999, name: 'resident-5999', flat: 'B-399', visits: [5999, 6000]})
    expect(archive.collections[1].documents[0]).toEqual({_id: 'flat-0'})
    expect(archive.hasOplog).toBe(true)
    expect(archive.oplog).toEqual([{ts: 1, op: 'i', ns: 'users.residents', o: {_id: 6000}}])
  })

  test('the writer pulls documents only as fast as its output is read', async () => {
    let produced = 0
    function* counting(): Generator<Document> {
      for (let i = 0; i < 1_000_000; i++) {
        produced++
        yield {_id: i, pad: 'x'.repeat(100)}
      }
    }
    const iterator = encodeArchive({serverVersion: '7.0', toolVersion: 't', collections: [{db: 'd', collection: 'c', documents: counting()}]})
    const first = await iterator.next()
    await iterator.return(undefined)
    expect(first.value!.length).toBeGreaterThan(200_000)
    // One output chunk of ~256 KiB holds ~2,000 of these documents: nowhere near the million.
    expect(produced).toBeLessThan(5000)
  })

  test('a flipped byte in a document fails naming the collection and both checksums', async () => {
    const bytes = await bytesOf({serverVersion: '7.0', toolVersion: 't', collections: [{db: 'visitors', collection: 'entries', documents: people(50)}]})
    const at = bytes.indexOf(Buffer.from('resident-17'))
    bytes[at] ^= 0x01
    const error = await events(bytes).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ArchiveFormatError)
    expect((error as Error).message).toMatch(/^checksum mismatch in visitors\.entries: the archive records CRC-64 [0-9a-f]{16}, its documents give [0-9a-f]{16}$/)
  })

  test.each([
    ['cut inside a document', (b: Buffer) => b.subarray(0, b.length - 200), /ends in the middle of a document in the documents of visitors\.entries/],
    ['cut before the EOF header', (b: Buffer) => b.subarray(0, b.indexOf(Buffer.from('EOF\0\x01', 'latin1')) - 40), /ends in the middle|truncated/],
    ['cut after the last terminator of a segment', (b: Buffer) => {
      // The EOF header's db string; its document starts 12 bytes earlier (length, type, "db\0", string length).
      const eofDb = b.lastIndexOf(Buffer.from('visitors\0', 'latin1'))
      expect(b.subarray(eofDb - 16, eofDb - 12).toString('hex')).toBe('ffffffff')
      return b.subarray(0, eofDb - 12)
    }, /the archive is truncated: visitors\.entries never reached its end marker/],
    ['not an archive', () => Buffer.from('{"hello":"world"}'), /not a mongodump archive/],
    ['empty', () => Buffer.alloc(0), /not a mongodump archive/],
    ['gzip that is not', () => Buffer.from([0x1f, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), /not valid gzip/],
  ])('refuses an archive %s', async (_what, damage, message) => {
    const bytes = await bytesOf({serverVersion: '7.0', toolVersion: 't', collections: [{db: 'visitors', collection: 'entries', documents: people(50)}]})
    const error = await events(damage(bytes)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ArchiveFormatError)
    expect((error as Error).message).toMatch(message)
  })

  test('raw BSON documents are written byte for byte', async () => {
    const raw = serialize({_id: 7, note: 'kept as is'})
    const archive = await readArchiveIntoMemory(Readable.from([await bytesOf({serverVersion: '7.0', toolVersion: 't', collections: [{db: 'd', collection: 'c', documents: [raw]}]})]))
    expect(serialize(archive.collections[0].documents[0])).toEqual(raw)
    expect(deserialize(raw)).toEqual(archive.collections[0].documents[0])
  })

  test('runs of documents laid end to end write the same archive as the documents one by one, and an observer still sees each', async () => {
    const documents = Array.from({length: 2500}, (_, i) => serialize({_id: i, name: `visitor ${i}`, flat: `B-${i % 97}`}))
    const runs = [new DocumentRun(Buffer.concat(documents.slice(0, 1000)), 1000), new DocumentRun(Buffer.alloc(0), 0), new DocumentRun(Buffer.concat(documents.slice(1000)), 1500)]
    const header = {serverVersion: '7.0', toolVersion: 't'}
    const seen: Uint8Array[] = []
    const fromRuns: Buffer[] = []
    for await (const chunk of encodeArchive({...header, collections: [{db: 'd', collection: 'c', documents: runs}]}, {onDocument: (_ns, bson) => seen.push(bson)})) fromRuns.push(chunk)
    expect(Buffer.concat(fromRuns).equals(await bytesOf({...header, collections: [{db: 'd', collection: 'c', documents}]}))).toBe(true)
    expect(seen.map((bson) => Buffer.from(bson).toString('hex'))).toEqual(documents.map((bson) => Buffer.from(bson).toString('hex')))
    const end = (await events(Buffer.concat(fromRuns))).find((event) => event.kind === 'end')
    expect(end).toMatchObject({kind: 'end', documents: 2500, crc: crc64(Buffer.concat(documents))})
  })
})
