import {describe, expect, test} from 'vitest'

import type {BackupTarget} from '../../../src/backup/operations/backup-targets.js'
import {serviceStatus} from '../../../src/backup/operations/backup-status.js'
import {archiveSizeLimit} from '../../../src/backup/restore/restore-into-set.js'
import {scratchNamespace, verifyNamespaceName} from '../../../src/backup/restore/scratch-namespace.js'
import {selectBackupsToVerify} from '../../../src/backup/verify/select.js'
import {archiveChecksumProblem, compareRestore, restoredHashes} from '../../../src/backup/verify/verdict.js'
import {backupHealth} from '../../../src/backup/catalog/health.js'
import {NotFoundError, UsageError} from '../../../src/errors.js'
import {testBackup} from './catalog-builders.js'

const A = 'a'.repeat(64)
const B = 'b'.repeat(64)

describe('compareRestore: the catalog entry against the restored set, collection by collection', () => {
  test.each([
    ['everything matches', {'v.visits': {documents: 2, sha256Sum: A}}, [{name: 'visits', count: 2, hash: A}], 'passed', undefined],
    ['no collections on either side', {}, [], 'passed', undefined],
    ['a different hash, same count', {'v.visits': {documents: 2, sha256Sum: A}}, [{name: 'visits', count: 2, hash: B}], 'failed', `v.visits: catalog 2 documents, checksum ${A}; restored 2 documents, checksum ${B}`],
    ['a document short', {'v.visits': {documents: 2, sha256Sum: A}}, [{name: 'visits', count: 1, hash: A}], 'failed', `v.visits: catalog 2 documents, checksum ${A}; restored 1 documents, checksum ${A}`],
    ['a collection missing from the restore', {'v.visits': {documents: 2, sha256Sum: A}}, [], 'failed', `v.visits: catalog 2 documents, checksum ${A}; restored 0 documents, checksum none`],
    ['a collection the catalog never had', {}, [{name: 'extra', count: 1, hash: B}], 'failed', `v.extra: catalog 0 documents, checksum none; restored 1 documents, checksum ${B}`],
  ])('%s', (_name, expected, restored, verdict, detail) => {
    const compared = compareRestore(expected, restoredHashes('v', restored))
    expect(compared.verdict).toBe(verdict)
    expect(compared.detail).toBe(detail)
    expect(compared.collections.every((c) => c.match)).toBe(verdict === 'passed')
  })

  test('every mismatch is named, in collection order; matching ones are listed as matching', () => {
    const compared = compareRestore({'v.a': {documents: 1, sha256Sum: A}, 'v.b': {documents: 1, sha256Sum: A}, 'v.c': {documents: 1, sha256Sum: A}}, restoredHashes('v', [{name: 'c', count: 1, hash: B}, {name: 'b', count: 1, hash: A}, {name: 'a', count: 0, hash: A}]))
    expect(compared.collections.map((c) => [c.ns, c.match])).toEqual([['v.a', false], ['v.b', true], ['v.c', false]])
    expect(compared.detail?.split('; v.').length).toBe(2)
  })

  test.each([
    [A, A, undefined],
    [A, B, `archive checksum ${B} differs from the catalog's ${A}`],
    [A, undefined, 'the archive is missing from the store'],
  ])('the archive recorded %s, stored %s', (recorded, stored, problem) => {
    expect(archiveChecksumProblem(recorded, stored)).toBe(problem)
  })
})

describe('selectBackupsToVerify', () => {
  const visitors: BackupTarget = {service: 'visitors', database: 'visitors-db', dbName: 'visitors', rpo: '5m'}
  const billing: BackupTarget = {service: 'billing', database: 'billing-db', dbName: 'billing', rpo: '5m'}
  const backups = [
    testBackup({id: 'v-old', service: 'visitors', last: '1000:0'}),
    testBackup({id: 'v-new', service: 'visitors', last: '3000:0'}),
    testBackup({id: 'b-1', service: 'billing', last: '2000:0'}),
  ]
  const where = {store: 'local://bucket', environment: 'demo'}
  const ids = (selection: Parameters<typeof selectBackupsToVerify>[1]) => selectBackupsToVerify(backups, selection, where).map((b) => b.id)

  test.each([
    ['--latest, every database: the newest of each', {latest: true, targets: [visitors, billing], named: false}, ['v-new', 'b-1']],
    ['--latest --service visitors', {latest: true, targets: [visitors], named: true}, ['v-new']],
    ['an id', {id: 'v-old', targets: [visitors, billing], named: false}, ['v-old']],
    ['an id with its own --service', {id: 'b-1', targets: [billing], named: true}, ['b-1']],
  ])('%s', (_name, selection, expected) => {
    expect(ids(selection)).toEqual(expected)
  })

  test('--latest without --service leaves out databases never backed up', () => {
    const users: BackupTarget = {...visitors, service: 'users', database: 'users-db'}
    expect(ids({latest: true, targets: [users, visitors], named: false})).toEqual(['v-new'])
  })

  test.each([
    ['an unknown id', {id: 'nope', targets: [], named: false}, NotFoundError, 'backup nope does not exist in local://bucket'],
    ['an id of another service than --service', {id: 'b-1', targets: [visitors], named: true}, UsageError, 'backup b-1 is of billing, not of visitors'],
    ['--latest for a named service without backups', {latest: true, targets: [{...visitors, service: 'users'}], named: true}, NotFoundError, 'users has no backups in local://bucket to verify'],
    ['both an id and --latest', {id: 'v-new', latest: true, targets: [], named: false}, UsageError, 'give a backup id or --latest, not both'],
    ['neither', {targets: [], named: false}, UsageError, 'which backup? give its id or --latest'],
  ])('%s is refused', (_name, selection, type, message) => {
    expect(() => ids(selection)).toThrow(type)
    expect(() => ids(selection)).toThrow(message)
  })

  test('--latest with no backup at all', () => {
    expect(() => selectBackupsToVerify([], {latest: true, targets: [visitors], named: false}, where)).toThrow('there are no backups in local://bucket to verify')
  })
})

describe('backup status per service: health.ts plus failed runs and the last verification', () => {
  const target: BackupTarget = {service: 'visitors', database: 'visitors-db', dbName: 'visitors', rpo: '5m'}
  const now = new Date(10_000 * 1000)
  const fresh = testBackup({id: 'fresh', last: '9900:0'})
  const health = (backups = [fresh]) => backupHealth({now, rpoMs: 300_000, backups, slices: []})

  test.each([
    ['a fresh backup, nothing else', health(), [], undefined, 'healthy', []],
    ['a failed run since', health(), [{job: 'j1', at: 'T'}], undefined, 'degraded', ['1 failed backup run (j1)']],
    ['the last verification failed', health(), [], {id: 'old', at: 'T', verdict: 'failed' as const, restoreSeconds: 1, detail: 'v.x: checksum'}, 'degraded', ['the last verification (old) failed: v.x: checksum']],
    ['the last verification passed', health(), [], {id: 'fresh', at: 'T', verdict: 'passed' as const, restoreSeconds: 1}, 'healthy', []],
    ['no backup at all stays failing', health([]), [{job: 'j1', at: 'T'}], undefined, 'failing', ['no good backup', '1 failed backup run (j1)']],
  ])('%s: %s', (_name, verdict, failedRuns, lastVerification, expected, problems) => {
    const status = serviceStatus(target, verdict, failedRuns, lastVerification, 1)
    expect(status.verdict).toBe(expected)
    expect(status.problems).toEqual(problems)
  })
})

describe('scratch namespaces and sizes', () => {
  test.each([
    ['20261203T070000Z-visitors-a1b2c3', 'mygate-verify-a1b2c3'],
    ['20261203T070000Z-visitors-A1B2C3', 'mygate-verify-a1b2c3'],
    ['weird_id!', 'mygate-verify-scratch'],
  ])('%s -> %s', (id, name) => {
    expect(verifyNamespaceName(id)).toBe(name)
  })

  test('the scratch namespace enforces Pod Security restricted, like mygate-data', () => {
    expect(scratchNamespace('mygate-verify-a1b2c3', {'mygate.dev/purpose': 'verify'}).metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
      'mygate.dev/purpose': 'verify',
    })
  })

  test.each([
    [0, '64Mi'],
    [1_000_000, '64Mi'],
    [100 * 1048576, '125Mi'],
  ])('an archive of %i bytes gets an emptyDir of %s', (bytes, limit) => {
    expect(archiveSizeLimit(bytes)).toBe(limit)
  })
})
