import {NotFoundError} from '../../errors.js'
import {parseTimelineBreak, sortBreaks, TIMELINE_BREAK_KEY, timelineBreakKey, type TimelineBreak} from './timeline-break.js'
import {listAll, readSmallObject, type Body, type ObjectStore} from '../storage/object-store.js'
import {
  baseBackupKeys,
  oplogSliceKeys,
  parseCatalogEntry,
  parseVerificationRecord,
  servicePrefix,
  verificationKey,
  type BackupEntry,
  type OplogSliceEntry,
  type Verification,
  type VerificationRecord,
  CATALOG_SCHEMA_VERSION,
} from './entry.js'

/** What a base backup's entry says before its archive is uploaded (size, SHA-256 and key come from the upload). */
export type BackupEntryDraft = Omit<BackupEntry, 'archive' | 'encryptionKeyId' | 'verifications'> & {verifications?: Verification[]}
export type OplogSliceDraft = Omit<OplogSliceEntry, 'object' | 'encryptionKeyId'>

function entryBody(entry: object): Buffer {
  return Buffer.from(JSON.stringify(entry, null, 2) + '\n')
}

/**
 * Uploads a base backup's archive, then its entry (last: until then the backup is not listed).
 * Size, SHA-256 and encryption key id are the ones the store measured while the archive went in.
 */
export async function putBaseBackup(store: ObjectStore, draft: BackupEntryDraft, archive: Body): Promise<BackupEntry> {
  const keys = baseBackupKeys(draft.service, draft.id)
  const put = await store.put(keys.archive, archive, {metadata: {service: draft.service, backup: draft.id}, contentType: 'application/gzip'})
  const entry: BackupEntry = {
    ...draft,
    verifications: draft.verifications ?? [],
    archive: {key: keys.archive, size: put.size, sha256: put.sha256},
    encryptionKeyId: put.encryptionKeyId ?? '',
  }
  await store.put(keys.entry, entryBody(entry), {contentType: 'application/json'})
  return entry
}

/** Uploads an oplog slice, then its entry. */
export async function putOplogSlice(store: ObjectStore, draft: OplogSliceDraft, slice: Body): Promise<OplogSliceEntry> {
  const afterSeconds = Number(draft.range.after.split(':')[0])
  const keys = oplogSliceKeys(draft.service, draft.id, afterSeconds)
  const put = await store.put(keys.object, slice, {metadata: {service: draft.service, slice: draft.id}, contentType: 'application/gzip'})
  const entry: OplogSliceEntry = {...draft, object: {key: keys.object, size: put.size, sha256: put.sha256}, encryptionKeyId: put.encryptionKeyId ?? ''}
  await store.put(keys.entry, entryBody(entry), {contentType: 'application/json'})
  return entry
}

export interface Catalog {
  /** Base backups, oldest first. */
  backups: BackupEntry[]
  /** Oplog slices, oldest first. */
  slices: OplogSliceEntry[]
  /** Timeline breaks (a restore's switch, a forced failover), oldest first. */
  breaks: TimelineBreak[]
}

/** Lists a service's catalog (or every service's) from the store: entries only, paginated through. */
export async function listCatalog(store: ObjectStore, options: {service?: string} = {}): Promise<Catalog> {
  const prefix = options.service ? servicePrefix(options.service) : 'backups/'
  const backups: BackupEntry[] = []
  const slices: OplogSliceEntry[] = []
  const breaks: TimelineBreak[] = []
  // Verification records by their backup's folder (backups/S/base/ID/), merged once all are read.
  const records = new Map<string, Verification[]>()
  for await (const object of listAll(store, prefix)) {
    const record = VERIFICATION_RECORD.exec(object.key)
    if (record) {
      const verification = parseVerificationRecord((await readSmallObject(store, object.key)).toString('utf8'), object.key)
      records.set(record[1], [...(records.get(record[1]) ?? []), verification])
      continue
    }
    if (TIMELINE_BREAK_KEY.test(object.key)) {
      breaks.push(parseTimelineBreak((await readSmallObject(store, object.key)).toString('utf8'), object.key))
      continue
    }
    if (!object.key.endsWith('/entry.json')) continue
    const entry = parseCatalogEntry((await readSmallObject(store, object.key)).toString('utf8'), object.key)
    if (entry.kind === 'base') backups.push(entry)
    else slices.push(entry)
  }
  for (const [i, backup] of backups.entries()) {
    const found = records.get(baseBackupKeys(backup.service, backup.id).entry.replace(/entry\.json$/, ''))
    if (found) backups[i] = withVerifications(backup, found)
  }
  backups.sort((a, b) => a.consistentAt.localeCompare(b.consistentAt) || a.id.localeCompare(b.id))
  slices.sort((a, b) => a.firstAt.localeCompare(b.firstAt) || a.id.localeCompare(b.id))
  return {backups, slices, breaks: sortBreaks(breaks)}
}

/**
 * Records a timeline break unless the run that makes it already did (read first: a resumed run
 * keeps its first record, and its time). Returns the stored break.
 */
export async function recordTimelineBreak(store: ObjectStore, entry: Omit<TimelineBreak, 'schemaVersion' | 'kind'>): Promise<{record: TimelineBreak; created: boolean}> {
  const key = timelineBreakKey(entry.service, entry.runId, entry.reason)
  if (await store.head(key)) return {record: parseTimelineBreak((await readSmallObject(store, key)).toString('utf8'), key), created: false}
  const record: TimelineBreak = {schemaVersion: CATALOG_SCHEMA_VERSION, kind: 'timeline-break', ...entry}
  await store.put(key, entryBody(record), {contentType: 'application/json'})
  return {record, created: true}
}

/** Reads one backup's entry by service and id; NotFoundError naming the id if there is none. */
export async function readBackupEntry(store: ObjectStore, service: string, id: string): Promise<BackupEntry> {
  const key = baseBackupKeys(service, id).entry
  if (!(await store.head(key))) {
    throw new NotFoundError(`backup ${id} of ${service} does not exist in ${store.location}`, {hint: `list them with \`mygate backup list --service ${service}\``})
  }
  const entry = parseCatalogEntry((await readSmallObject(store, key)).toString('utf8'), key)
  if (entry.kind !== 'base') throw new NotFoundError(`backup ${id} of ${service} does not exist in ${store.location}`)
  return withVerifications(entry, await readVerifications(store, service, id))
}

/**
 * Records a verification verdict as its own object beside the backup's entry (never rewriting
 * entry.json, so two verifications cannot lose each other's verdict); returns the entry with it.
 */
export async function recordVerification(store: ObjectStore, entry: BackupEntry, verification: Verification): Promise<BackupEntry> {
  const record: VerificationRecord = {schemaVersion: CATALOG_SCHEMA_VERSION, kind: 'verification', backupId: entry.id, ...verification}
  await store.put(verificationKey(entry.service, entry.id, verification.at), entryBody(record), {contentType: 'application/json'})
  return readBackupEntry(store, entry.service, entry.id)
}

/**
 * Deletes a backup: its entry first (so it stops being listed, and a half-deleted backup is never
 * offered for a restore), then its archive, then its verification records.
 */
export async function deleteBaseBackup(store: ObjectStore, entry: BackupEntry): Promise<void> {
  const keys = baseBackupKeys(entry.service, entry.id)
  await store.delete(keys.entry)
  await store.delete(keys.archive)
  for await (const object of listAll(store, verificationsPrefix(entry.service, entry.id))) await store.delete(object.key)
}

/** `backups/S/base/ID/verifications/AT.json`: group 1 is the backup's folder. */
const VERIFICATION_RECORD = /^(backups\/[^/]+\/base\/[^/]+\/)verifications\/[^/]+\.json$/

function verificationsPrefix(service: string, id: string): string {
  return baseBackupKeys(service, id).entry.replace(/entry\.json$/, 'verifications/')
}

async function readVerifications(store: ObjectStore, service: string, id: string): Promise<Verification[]> {
  const found: Verification[] = []
  for await (const object of listAll(store, verificationsPrefix(service, id))) {
    found.push(parseVerificationRecord((await readSmallObject(store, object.key)).toString('utf8'), object.key))
  }
  return found
}

/** The entry's own verifications (older entries kept them inline) and its records, oldest first. */
function withVerifications(entry: BackupEntry, records: Verification[]): BackupEntry {
  if (records.length === 0) return entry
  return {...entry, verifications: [...entry.verifications, ...records].sort((a, b) => a.at.localeCompare(b.at))}
}

export async function deleteOplogSlice(store: ObjectStore, entry: OplogSliceEntry): Promise<void> {
  await store.delete(entry.object.key.replace(/slice\.bson\.gz$/, 'entry.json'))
  await store.delete(entry.object.key)
}
