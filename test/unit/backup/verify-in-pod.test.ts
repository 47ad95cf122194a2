import {createHash} from 'node:crypto'
import {mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync} from 'node:fs'
import {createRequire} from 'node:module'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {runInNewContext} from 'node:vm'
import {afterEach, describe, expect, test} from 'vitest'

import {parseVerificationRecord, verificationKey} from '../../../src/backup/catalog/entry.js'
import {verificationAge} from '../../../src/backup/verify/verification-age.js'
import {archiveChecksumProblem, compareRestore} from '../../../src/backup/verify/verdict.js'
import {packagePath} from '../../../src/package-root.js'
import {testBackup} from './catalog-builders.js'

/**
 * The in-pod scripts of the weekly verification (templates/backup/verify/*.js) run here as mongosh
 * runs them (Node's require, print, quit), over a real folder: the verdict compare.js writes is the
 * one `backup verify` computes with src/backup/verify/verdict.ts, in the record shape the catalog
 * reads; pick-latest.js picks what `backup verify --latest` picks.
 */
const nodeRequire = createRequire(import.meta.url)

function runScript(name: string, params: Record<string, string>): {stdout: string[]; exitCode: number} {
  const stdout: string[] = []
  let exitCode: number | undefined
  const fs = {...nodeRequire('fs'), writeFileSync: (path: string, data: unknown) => (path === '/dev/termination-log' || exitCode !== undefined ? undefined : writeFileSync(path, data as string))}
  try {
    runInNewContext(readFileSync(packagePath('templates', 'backup', 'verify', name), 'utf8'), {
      require: (m: string) => (m === 'fs' ? fs : nodeRequire(m)),
      process: {env: {OP_PARAMS: JSON.stringify(params)}},
      print: (...v: unknown[]) => exitCode === undefined && stdout.push(v.join(' ')),
      quit: (code = 0) => {
        exitCode ??= code
        throw new Error('quit')
      },
      Buffer,
    })
  } catch (error) {
    if (exitCode === undefined) throw error
  }
  return {stdout, exitCode: exitCode ?? 0}
}

let dir: string
afterEach(() => rmSync(dir, {recursive: true, force: true}))

const archive = Buffer.from('an archive')
const sha = createHash('sha256').update(archive).digest('hex')
const entry = testBackup({id: '20261201T000000Z-visitors-aaaaaa', service: 'visitors', database: 'visitors-db', archive: {key: 'backups/visitors/base/20261201T000000Z-visitors-aaaaaa/archive.gz', size: archive.length, sha256: sha}, collections: {'visitors.visits': {documents: 3, sha256Sum: 'a'.repeat(64)}, 'visitors.guests': {documents: 1, sha256Sum: 'b'.repeat(64)}}})

function podFolder(restored: Array<{name: string; count: number; hash: string}>, options: {restoreExit?: number; restoreStderr?: string; archiveBytes?: Buffer} = {}): string {
  dir = mkdtempSync(join(tmpdir(), 'mygate-verify-pod-'))
  writeFileSync(join(dir, 'selected.json'), JSON.stringify(entry))
  writeFileSync(join(dir, 'archive.gz'), options.archiveBytes ?? archive)
  writeFileSync(join(dir, 'restore.exit'), `${options.restoreExit ?? 0}\n`)
  writeFileSync(join(dir, 'restore.stderr'), options.restoreStderr ?? '')
  writeFileSync(join(dir, 'restore.started'), '1764547200000')
  writeFileSync(join(dir, 'restore.finished'), '1764547202345')
  writeFileSync(join(dir, 'hashes.stdout'), `${JSON.stringify({op: 'hashes', ok: true, database: 'visitors', collections: restored})}\n`)
  return dir
}

const good = [
  {name: 'guests', count: 1, hash: 'b'.repeat(64)},
  {name: 'visits', count: 3, hash: 'a'.repeat(64)},
]

describe('compare.js: the verdict of backup verify, in the pod', () => {
  test.each([
    ['every collection matches', good, {}],
    ['a count differs', [good[0], {name: 'visits', count: 2, hash: 'c'.repeat(64)}], {}],
    ['a collection is missing from the restore', [good[1]], {}],
    ['a collection the catalog does not know', [...good, {name: 'extra', count: 1, hash: 'd'.repeat(64)}], {}],
    ['the archive changed since upload', good, {archiveBytes: Buffer.from('an archivE')}],
  ] as Array<[string, typeof good, {archiveBytes?: Buffer}]>)('%s', (_, restored, options) => {
    const work = podFolder(restored, options)
    const run = runScript('compare.js', {workDir: work, archive: join(work, 'archive.gz')})
    expect(run.exitCode).toBe(0)
    const text = readFileSync(join(work, 'verdict.json'), 'utf8')
    const record = parseVerificationRecord(text, 'verdict.json')
    // The same verdict and detail as backup verify's (verdict.ts), archive problem first.
    const compared = compareRestore(entry.collections, Object.fromEntries(restored.map((c) => [`visitors.${c.name}`, {documents: c.count, sha256Sum: c.hash}])))
    const stored = createHash('sha256').update(options.archiveBytes ?? archive).digest('hex')
    const detail = [archiveChecksumProblem(entry.archive.sha256, stored), compared.detail].filter(Boolean).join('; ') || undefined
    expect(record).toEqual({at: record.at, verdict: detail ? 'failed' : 'passed', restoreSeconds: 2.3, ...(detail ? {detail} : {})})
    expect(JSON.parse(text)).toMatchObject({schemaVersion: 1, kind: 'verification', backupId: entry.id})
    expect(readFileSync(join(work, 'verdict.key'), 'utf8')).toBe(verificationKey('visitors', entry.id, record.at))
    expect(readFileSync(join(work, 'verdict.status'), 'utf8')).toBe(record.verdict)
  })

  test('a restore that failed: the verdict says what mongorestore said last, whatever the hashes', () => {
    const work = podFolder(good, {restoreExit: 1, restoreStderr: 'preparing\nFailed: checksum mismatch in visitors.visits: the archive records CRC-64 00, its documents give 01\n'})
    runScript('compare.js', {workDir: work, archive: join(work, 'archive.gz')})
    const record = parseVerificationRecord(readFileSync(join(work, 'verdict.json'), 'utf8'), 'verdict.json')
    expect(record).toMatchObject({verdict: 'failed', detail: 'the restore failed: Failed: checksum mismatch in visitors.visits: the archive records CRC-64 00, its documents give 01'})
    expect(readFileSync(join(work, 'verdict.summary'), 'utf8')).toBe(`${entry.id}: failed: ${record.detail}`)
  })
})

describe('pick-latest.js: the newest backup by consistent point, as backup verify --latest', () => {
  test('picks the newest of the service, ignores other services, writes its archive key', () => {
    dir = mkdtempSync(join(tmpdir(), 'mygate-verify-pick-'))
    const entries = [
      testBackup({id: 'b-old', service: 'visitors', last: '1764500000:1'}),
      testBackup({id: 'b-new', service: 'visitors', last: '1764600000:1'}),
      testBackup({id: 'b-mid', service: 'visitors', last: '1764550000:1'}),
      testBackup({id: 'other', service: 'billing', last: '1764700000:1'}),
    ]
    for (const e of entries) {
      mkdirSync(join(dir, 'catalog', e.id), {recursive: true})
      writeFileSync(join(dir, 'catalog', e.id, 'entry.json'), JSON.stringify(e))
    }
    const run = runScript('pick-latest.js', {service: 'visitors', workDir: dir})
    expect(run).toEqual({stdout: [expect.stringMatching(/^picked b-new \(consistent at .*\) of 3 backups$/)], exitCode: 0})
    expect(readFileSync(join(dir, 'archive.key'), 'utf8')).toBe(entries[1].archive.key)
  })

  test('no backup of the service: the pod fails saying so', () => {
    dir = mkdtempSync(join(tmpdir(), 'mygate-verify-pick-'))
    expect(runScript('pick-latest.js', {service: 'visitors', workDir: dir})).toEqual({stdout: ['FAILED: visitors has no catalogued backup to verify'], exitCode: 1})
  })
})

describe('the last verification against the week', () => {
  const now = new Date('2026-12-10T12:00:00Z')
  test.each([
    ['verified 3 days ago', {at: '2026-12-07T09:00:00Z', verdict: 'passed' as const}, '2026-11-01T00:00:00Z', {summary: 'verified 3d ago', overdue: false}],
    ['verified 8 days ago', {at: '2026-12-02T09:00:00Z', verdict: 'passed' as const}, '2026-11-01T00:00:00Z', {summary: 'verified 8d ago', overdue: true, problem: 'no verification in 7d+'}],
    ['never verified, backups for a month', undefined, '2026-11-01T00:00:00Z', {summary: 'never verified', overdue: true, problem: 'no verification in 7d+'}],
    ['never verified, first backup an hour ago', undefined, '2026-12-10T11:00:00Z', {summary: 'never verified', overdue: false}],
    ['no backups at all', undefined, undefined, {summary: 'never verified', overdue: false}],
    ['verified 5 hours ago (failed)', {at: '2026-12-10T07:00:00Z', verdict: 'failed' as const}, '2026-11-01T00:00:00Z', {summary: 'verified 5h ago', overdue: false, verdict: 'failed'}],
  ])('%s', (_, lastVerification, oldestBackupAt, expected) => {
    const age = verificationAge({now, ...(lastVerification ? {lastVerification} : {}), ...(oldestBackupAt ? {oldestBackupAt} : {})})
    expect(age).toMatchObject(expected)
    if (!('problem' in expected)) expect(age.problem).toBeUndefined()
  })
})
