import {listCatalog, recordTimelineBreak} from '../catalog/catalog-store.js'
import {baseBackupKeys, type BackupEntry, type OplogSliceEntry} from '../catalog/entry.js'
import {copyObject} from '../storage/copy.js'
import type {ObjectStore} from '../storage/object-store.js'

/**
 * Cross-region copies: every base backup and oplog slice of the source region's bucket, copied
 * into the secondary region's bucket under the same keys. The bytes go through mygate (decrypted
 * from the source, re-encrypted by the target with ITS region's key: KMS keys are regional, a
 * server-side copy could not change regions and keys), the SHA-256 is checked on the way in, and
 * the entry is written last with the target's size and key id, so the secondary lists exactly
 * what it can restore. Idempotent: what the target already lists (by kind and id) is skipped,
 * which makes an interrupted copy resumable by running it again.
 */
export interface ReplicationResult {
  from: string
  to: string
  copied: Array<{kind: 'base' | 'oplog-slice'; service: string; id: string; bytes: number; encryptionKeyId: string}>
  /** Already in the target. */
  present: number
}

export async function replicateCatalog(source: ObjectStore, target: ObjectStore, options: {service?: string} = {}): Promise<ReplicationResult> {
  const [from, to] = await Promise.all([listCatalog(source, options), listCatalog(target, options)])
  const have = new Set([...to.backups.map((b) => `base/${b.id}`), ...to.slices.map((s) => `oplog-slice/${s.id}`)])
  const result: ReplicationResult = {from: source.location, to: target.location, copied: [], present: 0}
  // Timeline breaks first: the secondary never lists a backup taken after a break without the
  // break that keeps older chains from replaying across it. Small records, copied as they are.
  const breaks = new Set(to.breaks.map((b) => `${b.service}/${b.runId}`))
  for (const {schemaVersion: _v, kind: _k, ...record} of from.breaks) if (!breaks.has(`${record.service}/${record.runId}`)) await recordTimelineBreak(target, record)
  for (const entry of [...from.backups, ...from.slices]) {
    if (have.has(`${entry.kind === 'base' ? 'base' : 'oplog-slice'}/${entry.id}`)) {
      result.present++
      continue
    }
    const copied = entry.kind === 'base' ? await copyBaseBackup(source, target, entry) : await copyOplogSlice(source, target, entry)
    result.copied.push(copied)
  }
  return result
}

async function copyBaseBackup(source: ObjectStore, target: ObjectStore, entry: BackupEntry): Promise<ReplicationResult['copied'][number]> {
  const put = await copyObject(source, entry.archive.key, target)
  const copy: BackupEntry = {...entry, archive: {...entry.archive, size: put.size, sha256: put.sha256}, encryptionKeyId: put.encryptionKeyId ?? ''}
  await writeEntry(target, baseBackupKeys(entry.service, entry.id).entry, copy)
  return {kind: 'base', service: entry.service, id: entry.id, bytes: put.size, encryptionKeyId: copy.encryptionKeyId}
}

async function copyOplogSlice(source: ObjectStore, target: ObjectStore, entry: OplogSliceEntry): Promise<ReplicationResult['copied'][number]> {
  const put = await copyObject(source, entry.object.key, target)
  const copy: OplogSliceEntry = {...entry, object: {...entry.object, size: put.size, sha256: put.sha256}, encryptionKeyId: put.encryptionKeyId ?? ''}
  await writeEntry(target, entry.object.key.replace(/slice\.bson\.gz$/, 'entry.json'), copy)
  return {kind: 'oplog-slice', service: entry.service, id: entry.id, bytes: put.size, encryptionKeyId: copy.encryptionKeyId}
}

async function writeEntry(store: ObjectStore, key: string, entry: object): Promise<void> {
  await store.put(key, Buffer.from(`${JSON.stringify(entry, null, 2)}\n`), {contentType: 'application/json'})
}
