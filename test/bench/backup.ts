/**
 * Benchmark of the backup path on the local data plane (run alone: node --import tsx test/bench/backup.ts).
 * One replica set seeded with the visitors workload (BENCH_BACKUP_DOCS documents, default 200,000;
 * the figure is 1,000,000), then:
 * - dump: what the simulated `mongodump --oplog --gzip` does (documents at the member's position,
 *   mongodump's archive format with BSON documents, gzip) against `gzip -1` of the same archive
 *   bytes, in the same run (target: at least half its speed);
 * - restore: reading the archive back and loading it into a new set (what verify and restore do
 *   inside the Job), and hashing the restored collections (verify's comparison);
 * - point-in-time: an oplog slice of BENCH_SLICE_OPS operations (default 100,000, the issue's
 *   figure: replayed in < 10 s) dumped as a gzipped .bson file and replayed onto the restored set.
 */
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gunzipSync, gzipSync} from 'node:zlib'

import {hashCollections} from '../../src/formats/content-hash/content-hash.js'
import {readRawArchive, writeDumpArchive} from '../../src/local-cluster/data-plane/jobs/archive-pipeline.js'
import {bsonOf} from '../../src/local-cluster/data-plane/stored-document.js'
import {replSetInitiate} from '../../src/local-cluster/data-plane/commands.js'
import {DataPlane} from '../../src/local-cluster/data-plane/data-plane.js'
import {newMember} from '../../src/local-cluster/data-plane/engine.js'
import {dumpSnapshot} from '../../src/local-cluster/data-plane/jobs/dump-snapshot.js'
import {replayOplogIntoSet, restoreIntoSet} from '../../src/local-cluster/data-plane/jobs/restore-apply.js'
import {dumpOplogRange} from '../../src/local-cluster/data-plane/jobs/oplog-dump.js'
import {readBsonFile, writeBsonFile} from '../../src/formats/bson-file/bson-file.js'
import {hashPassword} from '../../src/local-cluster/data-plane/jobs/session.js'

const DOCS = Number(process.env.BENCH_BACKUP_DOCS ?? 200_000)
/** Operations in the oplog slice replayed after the restore (the figure: 100,000 in < 10 s). */
const SLICE_OPS = Number(process.env.BENCH_SLICE_OPS ?? 100_000)

function formSet(dataPlane: DataPlane, name: string, now: number) {
  const engine = dataPlane.engine
  const member = newMember(name, {cluster: 'bench', namespace: 'mygate-data', pod: `${name}-0`, podUid: name, claim: `data-${name}`}, name, 27017, now)
  member.users = [hashPassword('root', 'pw', 'salt', 1000)]
  engine.members.set(name, member)
  engine.setUp(name, true, now)
  replSetInitiate({engine, now, clusterSetOf: () => 'bench'}, member, {_id: name, members: [{_id: 0, host: `${name}:27017`}]})
  for (let i = 0; i < 50 && !engine.primaryOf([...engine.sets.values()].find((s) => s.name === name)!); i++) engine.tick((now += 100))
  return {set: [...engine.sets.values()].find((s) => s.name === name)!, member, now}
}

export async function main(): Promise<void> {
  let now = Date.UTC(2026, 11, 1)
  const dataPlane = new DataPlane({autoTick: false, clock: () => now, resolveHost: (_set, host) => host.split(':')[0], timing: {}})
  const source = formSet(dataPlane, 'visitors-db', now)
  now = source.now
  // One database this large is above the simulation's per-database retention: lifted for the seeding.
  dataPlane.engine.timing.maxDocumentsPerDatabase = DOCS + 1
  const seedStart = performance.now()
  while (source.set.data.totalDocuments() < DOCS) dataPlane.engine.writeStep(source.set, (now += 1))
  source.member.applied = source.set.oplog.end
  const seedMs = performance.now() - seedStart

  // The dump exactly as the Job runs it (archive-pipeline.ts): snapshot, archive, gzip.
  const t0 = performance.now()
  const snapshot = dumpSnapshot(source.set, source.member)
  const dumped = await writeDumpArchive(snapshot, {oplog: true, gzip: true})
  const dumpMs = performance.now() - t0
  const gz = dumped.bytes
  const raw = gunzipSync(gz)
  // The baselines over the same archive bytes: zlib level 1 in this process, and the gzip program.
  const g0 = performance.now()
  gzipSync(raw, {level: 1})
  const gzip1Ms = performance.now() - g0
  const gzipProgramMs = gzipProgram(raw)

  const target = formSet(dataPlane, 'visitors-db-r1', now)
  const r0 = performance.now()
  const decoded = await readRawArchive(gunzipSync(gz))
  restoreIntoSet(dataPlane.engine, target.set, {collections: decoded.collections, oplog: decoded.oplog, replay: true}, now)
  const restoreMs = performance.now() - r0
  const h0 = performance.now()
  // What the hashes Job does (ops.ts hashesOp): the stored BSON of each document, hashed.
  hashCollections(target.set.data.names().map((name) => ({ns: `visitors.${name}`, documents: (function* () {
    for (const [, stored] of target.set.data.entries(name)) yield bsonOf(stored)
  })()})))
  const hashMs = performance.now() - h0

  // Point-in-time: SLICE_OPS more operations on the source after the backup, dumped as an oplog
  // slice (what the slice Job's mongodump --out writes: gzipped .bson of local.oplog.rs), then
  // replayed onto the restored set as mongorestore --oplogFile does (read, decode, apply).
  const seededDocuments = source.set.data.totalDocuments()
  const sliceFrom = source.set.oplog.opTimeAt(source.set.oplog.end - 1).ts
  const opsBefore = source.set.oplog.end
  while (source.set.oplog.end - opsBefore < SLICE_OPS) dataPlane.engine.writeStep(source.set, (now += 1))
  source.member.applied = source.set.oplog.end
  const sliceBytes = writeBsonFile(dumpOplogRange(source.set, source.member, {from: {ts: sliceFrom, inclusive: true}}), {gzip: true})
  const p0 = performance.now()
  const sliceOps = readBsonFile(sliceBytes)
  const replayed = replayOplogIntoSet(dataPlane.engine, target.set, sliceOps, undefined, now)
  const replayMs = performance.now() - p0
  await dataPlane.close()

  const mbps = (bytes: number, ms: number) => `${((bytes / 1024 / 1024) / (ms / 1000)).toFixed(1)} MiB/s`
  const rows = [
    ['documents', String(seededDocuments), `seeded in ${(seedMs / 1000).toFixed(1)} s`],
    ['archive', `${(raw.length / 1024 / 1024).toFixed(1)} MiB raw, ${(gz.length / 1024 / 1024).toFixed(1)} MiB gzip`, ''],
    ['dump (snapshot + archive + gzip, as the Job)', `${(dumpMs / 1000).toFixed(2)} s = ${mbps(raw.length, dumpMs)}`, `>= half of gzip -1: ${mbps(raw.length, gzip1Ms * 2)}`],
    ['zlib level 1 of the same bytes (in process)', `${(gzip1Ms / 1000).toFixed(2)} s = ${mbps(raw.length, gzip1Ms)}`, ''],
    ['`gzip -1` program over the same bytes', `${(gzipProgramMs / 1000).toFixed(2)} s = ${mbps(raw.length, gzipProgramMs)}`, ''],
    ['restore (decode + load into a new set)', `${(restoreMs / 1000).toFixed(2)} s`, ''],
    ['hash the restored collections', `${(hashMs / 1000).toFixed(2)} s`, `verify < 30 s at 1,000,000`],
    [`replay an oplog slice (${replayed.oplogApplied} ops, ${(sliceBytes.length / 1024 / 1024).toFixed(1)} MiB gz)`, `${(replayMs / 1000).toFixed(2)} s`, `< 10 s at 100,000: ${replayMs < 10_000 && replayed.oplogApplied >= 100_000 ? 'met' : 'NOT met'}`],
  ]
  for (const row of rows) console.log(row.map((c, i) => c.padEnd(i === 0 ? 48 : 36)).join(' ').trimEnd())
  console.log(`dump vs zlib level 1 in process: ${(gzip1Ms / dumpMs).toFixed(2)}x its speed; vs the gzip -1 program: ${(gzipProgramMs / dumpMs).toFixed(2)}x (target >= 0.5 of the stricter: ${Math.min(gzip1Ms, gzipProgramMs) / dumpMs >= 0.5 ? 'met' : 'NOT met'})`)
}

/** `gzip -1 -c` over the bytes from a file (page cache warmed by a first run): the best of two. */
function gzipProgram(bytes: Buffer): number {
  const dir = mkdtempSync(join(tmpdir(), 'mygate-bench-gzip-'))
  try {
    const file = join(dir, 'archive')
    writeFileSync(file, bytes)
    const once = () => {
      const start = performance.now()
      const result = spawnSync('gzip', ['-1', '-c', file], {stdio: ['ignore', 'ignore', 'pipe']})
      if (result.status !== 0) throw new Error(`gzip -1 failed: ${result.stderr}`)
      return performance.now() - start
    }
    once()
    return Math.min(once(), once())
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main()
