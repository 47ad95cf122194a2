// mygate scheduled verification, step "compare" (mongosh --nodb --file; templates/backup/verify-job.yaml).
// The verdict of `backup verify` (src/backup/verify/verdict.ts), computed in the pod from:
//   WORK/selected.json       the catalog entry picked (per-collection counts and content hashes)
//   WORK/restore.{exit,stderr,started,finished}  what mongorestore did (verify/capture.sh)
//   WORK/hashes.stdout       hashes.js's result line over the scratch mongod
//   BACKUP/archive.gz        the archive as downloaded, hashed (SHA-256) against the entry's
// Writes WORK/verdict.json (a verification record, src/backup/catalog/entry.ts), WORK/verdict.key
// (where it goes: beside the entry), WORK/verdict.status (passed|failed) and WORK/verdict.summary.
// Always exits 0 once the record is written: the upload step uploads it, then fails the Job.
'use strict'

const fs = require('fs')
const crypto = require('crypto')
const params = JSON.parse(process.env.OP_PARAMS || '{}')
const work = params.workDir || '/work'
const archive = params.archive || '/backup/archive.gz'

function read(path) {
  return fs.existsSync(path) ? fs.readFileSync(path, 'utf8').trim() : ''
}

// Streamed in chunks: an archive can be larger than a single buffer may be.
function sha256Of(path) {
  if (!fs.existsSync(path)) return undefined
  const hash = crypto.createHash('sha256')
  const fd = fs.openSync(path, 'r')
  const chunk = Buffer.alloc(1 << 20)
  try {
    for (;;) {
      const n = fs.readSync(fd, chunk, 0, chunk.length, null)
      if (n === 0) break
      hash.update(chunk.subarray(0, n))
    }
  } finally {
    fs.closeSync(fd)
  }
  return hash.digest('hex')
}

function side(hash) {
  return `${hash ? hash.documents : 0} documents, checksum ${hash ? hash.sha256Sum : 'none'}`
}

// The restored set's hashes keyed like the catalog's (`db.collection`).
function restoredHashes(database, result) {
  const out = {}
  for (const c of result.collections || []) out[`${database}.${c.name}`] = {documents: c.count, sha256Sum: c.hash}
  return out
}

function compare(expected, restored) {
  const names = [...new Set([...Object.keys(expected), ...Object.keys(restored)])].sort()
  const bad = names.filter((ns) => {
    const e = expected[ns]
    const r = restored[ns]
    return !e || !r || e.documents !== r.documents || e.sha256Sum !== r.sha256Sum
  })
  return bad.map((ns) => `${ns}: catalog ${side(expected[ns])}; restored ${side(restored[ns])}`)
}

function lastJsonLine(text) {
  const lines = text.split('\n').filter((line) => line.startsWith('{'))
  return lines.length > 0 ? JSON.parse(lines[lines.length - 1]) : undefined
}

function verificationKey(entry, at) {
  const stamp = at.replace(/[-:]/g, '').replace(/\.(\d{3})\d*/, '$1')
  return `backups/${entry.service}/base/${entry.id}/verifications/${stamp}.json`
}

function main() {
  const entry = JSON.parse(read(`${work}/selected.json`))
  const problems = []
  const stored = sha256Of(archive)
  if (stored === undefined) problems.push('the archive is missing from the store')
  else if (stored !== entry.archive.sha256) problems.push(`archive checksum ${stored} differs from the catalog's ${entry.archive.sha256}`)
  const restoreExit = read(`${work}/restore.exit`)
  if (restoreExit !== '0') {
    const said = read(`${work}/restore.stderr`).split('\n').filter(Boolean).pop() || `exit code ${restoreExit || 'unknown'}`
    problems.push(`the restore failed: ${said}`)
  } else {
    const hashes = lastJsonLine(read(`${work}/hashes.stdout`))
    if (!hashes || hashes.ok !== true) problems.push(`hashing the restored data failed: ${hashes && hashes.error ? hashes.error.message : read(`${work}/hashes.stderr`) || 'no result'}`)
    else problems.push(...compare(entry.collections, restoredHashes(hashes.database, hashes)))
  }
  const started = Number(read(`${work}/restore.started`))
  const finished = Number(read(`${work}/restore.finished`))
  const restoreSeconds = started && finished >= started ? Math.round((finished - started) / 100) / 10 : 0
  const at = new Date().toISOString()
  const verdict = problems.length === 0 ? 'passed' : 'failed'
  const record = {schemaVersion: 1, kind: 'verification', backupId: entry.id, at, verdict, restoreSeconds}
  if (problems.length > 0) record.detail = problems.join('; ')
  fs.writeFileSync(`${work}/verdict.json`, `${JSON.stringify(record, null, 2)}\n`)
  fs.writeFileSync(`${work}/verdict.key`, verificationKey(entry, at))
  fs.writeFileSync(`${work}/verdict.status`, verdict)
  fs.writeFileSync(`${work}/verdict.summary`, `${entry.id}: ${verdict}${record.detail ? `: ${record.detail}` : ''}`.slice(0, 4000))
  print(JSON.stringify(record))
}

try {
  main()
} catch (error) {
  // No record can be written without the picked entry: the Job fails here, visibly.
  print(`FAILED: ${String(error.message || error)}`)
  quit(1)
}
