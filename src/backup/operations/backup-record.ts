import type {ContentHashes} from '../../formats/content-hash/content-hash.js'

/**
 * What mygate records about one backup, as a JSON object beside its archive in the object store
 * (the store is the source of truth: any machine lists the same backups). Written last: an
 * archive without its record is an interrupted backup, never listed.
 *
 * Keys: `backups/DATABASE/ID/archive.gz` and `backups/DATABASE/ID/backup.json`.
 */
export interface BackupRecord {
  format: 1
  id: string
  environment: string
  service: string
  /** The mongodb descriptor (`visitors-db`) and the database inside it (`visitors`). */
  database: string
  dbName: string
  region: string
  startedAt: string
  finishedAt: string
  /** The oplog timestamp the archive is consistent to (`SECONDS:ORDINAL`), and its time. */
  consistentAt: string
  consistentAtDate: string
  /** The oplog range captured in the archive (mongodump --oplog). */
  oplog: {first: string; last: string; entries: number}
  archive: {key: string; url: string; bytes: number; sha256: string; encryptionKeyId?: string}
  /** Per collection (`db.collection`): document count and order-independent content hash at the consistent point. */
  collections: ContentHashes
  mygateVersion: string
  /** Set by `backup verify`. */
  verification?: Verification
}

export interface Verification {
  verdict: 'passed' | 'failed'
  at: string
  /** Measured: restore Job start to restored and hashed (evidence for the RTO). */
  restoreSeconds: number
  /** What differed, per collection, when it failed; or the restore's own failure. */
  problems: string[]
}

export const BACKUP_PREFIX = 'backups/'

export function archiveKey(database: string, id: string): string {
  return `${BACKUP_PREFIX}${database}/${id}/archive.gz`
}

export function recordKey(database: string, id: string): string {
  return `${BACKUP_PREFIX}${database}/${id}/backup.json`
}

/** `visitors-db-20261203t070000z`: sortable by time, a valid Kubernetes name part. */
export function backupId(database: string, at: Date): string {
  return `${database}-${at.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '').toLowerCase()}`
}

/** The database a backup id belongs to (ids are DATABASE-TIMESTAMP). */
export function databaseOfBackupId(id: string): string | undefined {
  return /^(.+)-\d{8}t\d{6}z$/.exec(id)?.[1]
}

export function parseRecord(text: string, key: string): BackupRecord {
  const value = JSON.parse(text) as BackupRecord
  if (value?.format !== 1 || typeof value.id !== 'string') throw new Error(`${key} is not a mygate backup record`)
  return value
}
