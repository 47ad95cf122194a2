import type {BackupEntry, OplogSliceEntry} from '../../../src/backup/catalog/entry.js'

/** A base backup consistent at `last` (SECONDS:ORDINAL); times derive from the seconds. */
export function testBackup(overrides: Partial<BackupEntry> & {last?: string; finishedAt?: string} = {}): BackupEntry {
  const last = overrides.last ?? overrides.oplog?.last ?? '1000:0'
  const seconds = Number(last.split(':')[0])
  const iso = (s: number) => new Date(s * 1000).toISOString()
  const {last: _last, ...rest} = overrides
  return {
    schemaVersion: 1,
    kind: 'base',
    id: `b-${seconds}`,
    service: 'visitors',
    database: 'visitors',
    region: 'ap-south-1',
    startedAt: iso(seconds - 60),
    finishedAt: iso(seconds),
    oplog: {first: `${seconds - 60}:0`, last},
    consistentAt: iso(seconds),
    archive: {key: `backups/visitors/base/b-${seconds}/archive.gz`, size: 1, sha256: 'a'.repeat(64)},
    collections: {},
    mygateVersion: '0.1.0',
    encryptionKeyId: 'k',
    verifications: [],
    ...rest,
  }
}

export function testSlice(after: string, last: string, overrides: Partial<OplogSliceEntry> = {}): OplogSliceEntry {
  const iso = (ts: string) => new Date(Number(ts.split(':')[0]) * 1000).toISOString()
  return {
    schemaVersion: 1,
    kind: 'oplog-slice',
    id: `s-${after}-${last}`,
    service: 'visitors',
    database: 'visitors',
    region: 'ap-south-1',
    range: {after, last},
    firstAt: iso(after),
    lastAt: iso(last),
    entries: 10,
    object: {key: `backups/visitors/oplog/${after}/slice.bson.gz`, size: 1, sha256: 'b'.repeat(64)},
    mygateVersion: '0.1.0',
    encryptionKeyId: 'k',
    ...overrides,
  }
}
