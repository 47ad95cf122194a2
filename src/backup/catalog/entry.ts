import {UsageError} from '../../errors.js'
import type {ContentHashes} from '../../formats/content-hash/content-hash.js'

/**
 * The backup catalog is data in object storage, beside the archives: a new machine, region or
 * environment lists the same backups by listing the bucket. Each base backup and each oplog slice
 * has an entry (JSON) written after its data object, so an interrupted upload leaves data without
 * an entry, which listings ignore: a half-written backup is never listed.
 *
 *   backups/SERVICE/base/ID/archive.gz        mongodump --oplog --archive --gzip
 *   backups/SERVICE/base/ID/entry.json        BackupEntry (written last)
 *   backups/SERVICE/base/ID/verifications/AT.json  one VerificationRecord per `backup verify`
 *                                             (append-only: two verifications never race on
 *                                             entry.json; readers merge them into the entry)
 *   backups/SERVICE/oplog/FROM-ID/slice.bson.gz  the oplog entries of the slice, gzipped BSON
 *   backups/SERVICE/oplog/FROM-ID/entry.json  OplogSliceEntry (written last)
 *
 * IDs start with a UTC timestamp (and FROM is the slice's first second, zero-padded), so key
 * order is time order. Entries carry `schemaVersion`; a reader refuses a newer one by name.
 */
export const CATALOG_SCHEMA_VERSION = 1

export interface Verification {
  /** RFC 3339. */
  at: string
  verdict: 'passed' | 'failed'
  /** Measured: from starting the scratch restore to its data being comparable (RTO evidence). */
  restoreSeconds: number
  /** For a failure: which collection and checksum, or what broke. */
  detail?: string
}

export interface BackupEntry {
  schemaVersion: number
  kind: 'base'
  id: string
  service: string
  database: string
  region: string
  /** RFC 3339 start and end of the dump. */
  startedAt: string
  finishedAt: string
  /**
   * The oplog the archive captured (`--oplog`): replaying it onto the documents makes the data
   * consistent as of `last`, the backup's consistent point. `SECONDS:ORDINAL`.
   */
  oplog: {first: string; last: string}
  /** RFC 3339 wall time of the consistent point (the oplog entry `last`). */
  consistentAt: string
  archive: {key: string; size: number; sha256: string}
  /** Per collection (`db.collection`), as of the consistent point: archive plus its oplog. */
  collections: ContentHashes
  mygateVersion: string
  /** The key that encrypts the archive at rest (KMS key ARN, Cloud KMS key name, local key id). */
  encryptionKeyId: string
  verifications: Verification[]
}

export interface OplogSliceEntry {
  schemaVersion: number
  kind: 'oplog-slice'
  id: string
  service: string
  database: string
  region: string
  /**
   * The slice holds the operations after `after` up to and including `last` (`SECONDS:ORDINAL`).
   * `after` is the previous slice's `last` (or the base backup's consistent point it started
   * from), so slices chain: a slice whose `after` is later than its predecessor's `last` leaves a
   * gap no restore can cross.
   */
  range: {after: string; last: string}
  /**
   * Set when the oplog no longer reached back to where the slice was asked to start
   * (`requestedAfter`, the previous slice's last): the writes between it and `range.after` were
   * capped away before they were captured. No restore crosses it; a new base backup starts a new
   * chain.
   */
  gap?: {requestedAfter: string; firstAvailable: string}
  /** RFC 3339 wall time of the first and last operation in the slice. */
  firstAt: string
  lastAt: string
  entries: number
  object: {key: string; size: number; sha256: string}
  mygateVersion: string
  encryptionKeyId: string
}

export type CatalogEntry = BackupEntry | OplogSliceEntry

export function servicePrefix(service: string): string {
  return `backups/${service}/`
}

export function baseBackupKeys(service: string, id: string): {archive: string; entry: string} {
  const dir = `${servicePrefix(service)}base/${id}/`
  return {archive: `${dir}archive.gz`, entry: `${dir}entry.json`}
}

/** Where a verification record of a base backup is kept: beside its entry, one object per run. */
export function verificationKey(service: string, id: string, at: string): string {
  const stamp = at.replace(/[-:]/g, '').replace(/\.(\d{3})\d*/, '$1')
  return `${servicePrefix(service)}base/${id}/verifications/${stamp}.json`
}

/** A verification as stored beside the entry. */
export interface VerificationRecord extends Verification {
  schemaVersion: number
  kind: 'verification'
  backupId: string
}

/** Parses a verification record; refuses what is not one by name. */
export function parseVerificationRecord(text: string, key: string): Verification {
  let value: Partial<VerificationRecord>
  try {
    value = JSON.parse(text) as Partial<VerificationRecord>
  } catch (error) {
    throw new UsageError(`verification record ${key} is not valid JSON`, {cause: error, hint: 'the object was changed outside mygate; restore a previous version of it'})
  }
  if (value.kind !== 'verification' || typeof value.at !== 'string' || (value.verdict !== 'passed' && value.verdict !== 'failed') || typeof value.restoreSeconds !== 'number') {
    throw new UsageError(`verification record ${key} is not a mygate verification record`)
  }
  if (typeof value.schemaVersion !== 'number' || value.schemaVersion > CATALOG_SCHEMA_VERSION) {
    throw new UsageError(`verification record ${key} has schema version ${String(value.schemaVersion)}, newer than this mygate reads (${CATALOG_SCHEMA_VERSION})`, {hint: 'upgrade mygate'})
  }
  return {at: value.at, verdict: value.verdict, restoreSeconds: value.restoreSeconds, ...(value.detail ? {detail: value.detail} : {})}
}

export function oplogSliceKeys(service: string, id: string, afterSeconds: number): {object: string; entry: string} {
  const dir = `${servicePrefix(service)}oplog/${String(afterSeconds).padStart(10, '0')}-${id}/`
  return {object: `${dir}slice.bson.gz`, entry: `${dir}entry.json`}
}

/** A backup id: UTC time to the second, the service, and a random suffix (two runs in a second differ). */
export function newBackupId(service: string, at: Date, random: string): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')
  return `${stamp}-${service}-${random}`
}

/** Parses an entry read from storage; refuses unknown kinds and newer schema versions by name. */
export function parseCatalogEntry(text: string, key: string): CatalogEntry {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new UsageError(`catalog entry ${key} is not valid JSON`, {cause: error, hint: 'the object was changed outside mygate; restore a previous version of it'})
  }
  const entry = value as Partial<CatalogEntry>
  if (typeof entry.schemaVersion !== 'number' || (entry.kind !== 'base' && entry.kind !== 'oplog-slice')) {
    throw new UsageError(`catalog entry ${key} is not a mygate backup catalog entry`)
  }
  if (entry.schemaVersion > CATALOG_SCHEMA_VERSION) {
    throw new UsageError(`catalog entry ${key} has schema version ${entry.schemaVersion}, newer than this mygate reads (${CATALOG_SCHEMA_VERSION})`, {
      hint: 'upgrade mygate',
    })
  }
  return entry as CatalogEntry
}
