import {describe, expect, test} from 'vitest'

import {deleteBaseBackup, listCatalog, putBaseBackup, putOplogSlice, readBackupEntry, recordVerification, type BackupEntryDraft} from '../../../src/backup/catalog/catalog-store.js'
import {newBackupId, parseCatalogEntry} from '../../../src/backup/catalog/entry.js'
import {MemoryObjectStore} from '../../../src/backup/storage/memory-store.js'
import {NotFoundError, UsageError} from '../../../src/errors.js'
import {testBackup, testSlice} from './catalog-builders.js'

function draft(seconds: number, service = 'visitors'): BackupEntryDraft {
  const {archive: _a, encryptionKeyId: _k, verifications: _v, ...rest} = testBackup({last: `${seconds}:0`, service, id: newBackupId(service, new Date(seconds * 1000), 'ab12')})
  return rest
}

describe('the catalog in object storage', () => {
  test('a backup is the archive, then its entry with the size, SHA-256 and key the store measured', async () => {
    const store = new MemoryObjectStore('mygate-prod-ap-south-1', 'ap-south-1', 'arn:aws:kms:ap-south-1:1:key/k1')
    const entry = await putBaseBackup(store, draft(1_764_700_000), Buffer.from('archive bytes'))
    expect(entry.id).toBe('20251202T182640Z-visitors-ab12')
    expect(entry.archive).toEqual({key: `backups/visitors/base/${entry.id}/archive.gz`, size: 13, sha256: (await store.head(entry.archive.key))!.sha256})
    expect(entry.encryptionKeyId).toBe('arn:aws:kms:ap-south-1:1:key/k1')
    // The order of writes: the archive's version exists before the entry's.
    expect([...store.versions.keys()]).toEqual([entry.archive.key, `backups/visitors/base/${entry.id}/entry.json`])
    expect(await readBackupEntry(store, 'visitors', entry.id)).toEqual(entry)
  })

  test('a listing from a fresh store object (another machine) finds entries, not half-written backups', async () => {
    const store = new MemoryObjectStore()
    await putBaseBackup(store, draft(2000), Buffer.from('a'))
    await putBaseBackup(store, draft(1000), Buffer.from('b'))
    await putBaseBackup(store, draft(1500, 'billing'), Buffer.from('c'))
    await putOplogSlice(store, (({object: _o, encryptionKeyId: _k, ...rest}) => rest)(testSlice('2000:0', '2100:0')), Buffer.from('slice'))
    // An archive whose entry was never written (the dump Job was killed after the upload).
    await store.put('backups/visitors/base/19700101T010000Z-visitors-dead/archive.gz', Buffer.from('orphan'))

    const catalog = await listCatalog(store, {service: 'visitors'})
    expect(catalog.backups.map((b) => b.oplog.last)).toEqual(['1000:0', '2000:0'])
    expect(catalog.slices.map((s) => s.range)).toEqual([{after: '2000:0', last: '2100:0'}])
    expect((await listCatalog(store)).backups).toHaveLength(3)
  })

  test('verifications are appended to the entry', async () => {
    const store = new MemoryObjectStore()
    const entry = await putBaseBackup(store, draft(1000), Buffer.from('a'))
    await recordVerification(store, entry, {at: '2026-12-03T00:00:00Z', verdict: 'passed', restoreSeconds: 14.2})
    const again = await recordVerification(store, entry, {at: '2026-12-04T00:00:00Z', verdict: 'failed', restoreSeconds: 3, detail: 'visitors.entries checksum'})
    expect(again.verifications.map((v) => v.verdict)).toEqual(['passed', 'failed'])
    expect((await readBackupEntry(store, 'visitors', entry.id)).verifications).toHaveLength(2)
  })

  test('a verification is a record beside the entry (entry.json is never rewritten); listings merge the records in time order', async () => {
    const store = new MemoryObjectStore()
    const entry = await putBaseBackup(store, draft(1000), Buffer.from('a'))
    const entryVersion = (await store.head(`backups/visitors/base/${entry.id}/entry.json`))?.versionId
    await recordVerification(store, entry, {at: '2026-12-04T00:00:00.250Z', verdict: 'failed', restoreSeconds: 3, detail: 'visitors.entries checksum'})
    await recordVerification(store, entry, {at: '2026-12-03T00:00:00Z', verdict: 'passed', restoreSeconds: 14.2})
    expect((await store.head(`backups/visitors/base/${entry.id}/entry.json`))?.versionId).toBe(entryVersion)
    expect((await store.list(`backups/visitors/base/${entry.id}/verifications/`)).objects.map((o) => o.key.split('/').at(-1))).toEqual(['20261203T000000Z.json', '20261204T000000250Z.json'])
    const [listed] = (await listCatalog(store)).backups
    expect(listed.verifications.map((v) => [v.at, v.verdict])).toEqual([['2026-12-03T00:00:00Z', 'passed'], ['2026-12-04T00:00:00.250Z', 'failed']])
    await store.put(`backups/visitors/base/${entry.id}/verifications/bad.json`, Buffer.from('{"kind":"other"}'))
    await expect(listCatalog(store)).rejects.toThrow(/verifications\/bad.json is not a mygate verification record/)
    await deleteBaseBackup(store, entry)
    expect((await store.list('backups/')).objects).toEqual([])
  })

  test('deleting a backup removes the entry before the archive; an unknown id is NotFound naming it', async () => {
    const store = new MemoryObjectStore()
    const entry = await putBaseBackup(store, draft(1000), Buffer.from('a'))
    await deleteBaseBackup(store, entry)
    expect((await listCatalog(store)).backups).toEqual([])
    await expect(readBackupEntry(store, 'visitors', entry.id)).rejects.toBeInstanceOf(NotFoundError)
    await expect(readBackupEntry(store, 'visitors', 'nope')).rejects.toThrow('backup nope of visitors does not exist in memory://test-bucket')
  })

  test.each([
    ['not JSON', '{', /catalog entry k is not valid JSON/],
    ['another kind of object', '{"hello":1}', /catalog entry k is not a mygate backup catalog entry/],
    ['a newer schema', '{"schemaVersion":9,"kind":"base"}', /schema version 9, newer than this mygate reads \(1\)/],
  ])('an entry that is %s is refused', (_what, text, message) => {
    expect(() => parseCatalogEntry(text, 'k')).toThrow(UsageError)
    expect(() => parseCatalogEntry(text, 'k')).toThrow(message)
  })
})
