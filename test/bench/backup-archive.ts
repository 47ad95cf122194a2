/**
 * Benchmark (not a timed test): `node --import tsx test/bench/backup-archive.ts`, also run by
 * the bench runner through main().
 *
 * Writing a backup archive of 1,000,000 documents (visitor entries of ~160 bytes of BSON) in
 * mongodump's archive format, gzip level 1, against `gzip -1` compressing the same uncompressed
 * archive bytes from a file, in the same run. The writer gets the documents as raw BSON, as
 * mongodump gets them from the server (prepared before the clock starts). Target: the writer at
 * no less than half gzip -1's speed (ratio >= 0.5, ratio = gzip's time / the writer's time). Also
 * printed: the writer from JS objects (BSON encoding included, as a dump of JSON documents pays),
 * with content hashing (SHA-256 per document) as the dump computes it, with zlib's default level
 * (mongodump's own), and the writer's peak RSS growth (the archive streams). MISSED on a missed
 * target.
 */
import {spawnSync} from 'node:child_process'
import {createWriteStream} from 'node:fs'
import {mkdtemp, rm, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Writable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {Readable} from 'node:stream'

import {ObjectId, serialize, type Document} from 'bson'

import {ContentHashState} from '../../src/formats/content-hash/content-hash.js'
import {namespaceName} from '../../src/formats/mongo-archive/layout.js'
import {encodeArchive, writeArchive, type ArchiveInput} from '../../src/formats/mongo-archive/encode.js'

const DOCUMENTS = 1_000_000

function* visitorEntries(count: number): Generator<Document> {
  const base = Date.UTC(2026, 11, 1)
  for (let i = 0; i < count; i++) {
    yield {
      _id: ObjectId.createFromTime(Math.floor(base / 1000) + i),
      societyId: `soc-${i % 250}`,
      flat: `${String.fromCharCode(65 + (i % 6))}-${(i * 7) % 1200}`,
      visitor: {name: `Visitor ${i % 9973}`, phone: `98${String(45_000_000 + ((i * 7919) % 9_999_999)).padStart(8, '0')}`},
      purpose: ['delivery', 'guest', 'cab', 'service'][i % 4],
      enteredAt: new Date(base + i * 1000),
      approved: i % 11 !== 0,
    }
  }
}

/** The documents as one buffer of BSON and their offsets: the database's bytes, not the writer's work. */
function prepareRawBson(): {buffer: Buffer; offsets: Uint32Array} {
  const parts: Uint8Array[] = []
  const offsets = new Uint32Array(DOCUMENTS + 1)
  let at = 0
  let i = 0
  for (const doc of visitorEntries(DOCUMENTS)) {
    const bson = serialize(doc)
    parts.push(bson)
    offsets[i++] = at
    at += bson.length
  }
  offsets[DOCUMENTS] = at
  return {buffer: Buffer.concat(parts, at), offsets}
}

let raw: {buffer: Buffer; offsets: Uint32Array} | undefined

function* rawDocuments(): Generator<Uint8Array> {
  const {buffer, offsets} = raw!
  for (let i = 0; i < DOCUMENTS; i++) yield buffer.subarray(offsets[i], offsets[i + 1])
}

const input = (from: 'raw' | 'objects' = 'raw'): ArchiveInput => ({
  serverVersion: '7.0.14',
  toolVersion: 'mygate-bench',
  collections: [{db: 'visitors', collection: 'entries', documents: from === 'raw' ? rawDocuments() : visitorEntries(DOCUMENTS)}],
  oplog: [],
})

function nullSink(): Writable & {bytes: number} {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      sink.bytes += chunk.length
      done()
    },
  }) as Writable & {bytes: number}
  sink.bytes = 0
  return sink
}

async function timeWriter(gzip: number | true, hash: boolean, from: 'raw' | 'objects' = 'raw'): Promise<{ms: number; compressed: number; archive: number; peakRssMb: number}> {
  const sink = nullSink()
  const state = new ContentHashState({track: new Set()})
  const rssBefore = process.memoryUsage().rss
  let peak = rssBefore
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 50)
  const start = performance.now()
  const summary = await writeArchive(input(from), sink, {gzip, observer: hash ? {onDocument: (ns, bson) => state.addDocument(namespaceName(ns), bson)} : undefined})
  const ms = performance.now() - start
  clearInterval(sampler)
  return {ms, compressed: sink.bytes, archive: summary.archiveBytes, peakRssMb: (peak - rssBefore) / 1024 / 1024}
}

function timeGzip(file: string): number {
  const start = performance.now()
  const result = spawnSync('gzip', ['-1', '-c', file], {stdio: ['ignore', 'ignore', 'pipe']})
  if (result.status !== 0) throw new Error(`gzip -1 failed: ${result.stderr}`)
  return performance.now() - start
}

export async function main(): Promise<void> {
  console.log(`\nbackup archive: ${DOCUMENTS.toLocaleString('en')} documents, mongodump archive format, gzip`)
  const dir = await mkdtemp(join(tmpdir(), 'mygate-bench-archive-'))
  try {
    raw = prepareRawBson()
    const file = join(dir, 'archive.bson')
    await pipeline(Readable.from(encodeArchive(input())), createWriteStream(file))
    const bytes = (await stat(file)).size
    timeGzip(file) // warm the page cache
    const gzipMs = Math.min(timeGzip(file), timeGzip(file))
    const level1 = await timeWriter(1, false)
    const fromObjects = await timeWriter(1, false, 'objects')
    const level1Hashed = await timeWriter(1, true)
    const level6 = await timeWriter(true, false)
    const mb = bytes / 1024 / 1024
    const ratio = gzipMs / level1.ms
    console.log(`  archive ${mb.toFixed(1)} MiB uncompressed; gzip -1 over it: ${gzipMs.toFixed(0)} ms (${(mb / (gzipMs / 1000)).toFixed(0)} MiB/s)`)
    console.log(`  writer, gzip level 1: ${level1.ms.toFixed(0)} ms (${(mb / (level1.ms / 1000)).toFixed(0)} MiB/s), ${(level1.compressed / 1024 / 1024).toFixed(1)} MiB out, peak RSS +${level1.peakRssMb.toFixed(0)} MiB`)
    console.log(`  writer from JS objects (BSON encoding included), level 1: ${fromObjects.ms.toFixed(0)} ms (${(mb / (fromObjects.ms / 1000)).toFixed(0)} MiB/s)`)
    console.log(`  writer, level 1 + content hashes: ${level1Hashed.ms.toFixed(0)} ms; writer, zlib default level 6: ${level6.ms.toFixed(0)} ms (${(level6.compressed / 1024 / 1024).toFixed(1)} MiB out)`)
    console.log(`  speed vs gzip -1: ${ratio.toFixed(2)} (target >= 0.5) ${ratio >= 0.5 ? 'ok' : 'MISSED'}`)
    if (level1.archive !== bytes) console.log(`  MISSED: the writer produced ${level1.archive} bytes, the file ${bytes}`)
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main()
