import {createHash} from 'node:crypto'

import {listCatalog} from '../catalog/catalog-store.js'
import {baseBackupKeys, newBackupId, oplogSliceKeys, type BackupEntry, type OplogSliceEntry} from '../catalog/entry.js'
import {parseOplogTimestamp} from '../catalog/oplog-timestamp.js'
import type {BackupTarget} from '../operations/backup-targets.js'
import {describeBaseBackup} from '../operations/create-backup.js'
import {describeOplogSlice} from '../pitr/take-oplog-slice.js'
import {sliceStartOf} from '../pitr/slice-range.js'
import {copyObject} from '../storage/copy.js'
import {listAll, type ObjectStore} from '../storage/object-store.js'

/**
 * Catalogs what the schedule CronJobs uploaded (backup-cronjobs.ts: one key per run, named after
 * its Job). Each run's object is moved into the catalog layout (copied, checked by SHA-256, then
 * the run's key deleted) with its entry written last, computed from the object alone, exactly as
 * `backup create` computes it. Idempotent and safe to interrupt: ids come from the Job's name, so
 * a re-run finds an entry already written and only deletes the leftover run object.
 *
 * Base runs first (a slice's start depends on them), then slices oldest first, each starting at
 * the newest capture so far; a slice run with nothing new (its window entirely captured already)
 * is dropped.
 */
export interface IngestResult {
  backups: BackupEntry[]
  slices: OplogSliceEntry[]
  /** Slice runs that held nothing new (or preceded every base backup). */
  dropped: string[]
}

/** A run's object: group 1 is set for an oplog slice run, group 2 is its Job's name. */
export const SCHEDULED_RUN_KEY = /\/scheduled(-oplog)?\/([^/]+)\/(archive\.gz|slice\.bson\.gz)$/

/** `visitors-db-backup-29412345` -> its scheduled time (upstream names a CronJob's Job NAME-MINUTES). */
export function scheduledTimeOf(job: string): Date | undefined {
  const minutes = /-(\d+)$/.exec(job)?.[1]
  return minutes ? new Date(Number(minutes) * 60_000) : undefined
}

/** A run's catalog id: its scheduled time and a digest of its Job's name (deterministic). */
export function scheduledRunId(service: string, job: string, fallback: Date): string {
  return newBackupId(service, scheduledTimeOf(job) ?? fallback, createHash('sha256').update(job).digest('hex').slice(0, 6))
}

export async function ingestScheduledRuns(store: ObjectStore, target: Pick<BackupTarget, 'service' | 'database'>, region: string): Promise<IngestResult> {
  const runs: Array<{key: string; job: string; kind: 'base' | 'slice'; lastModified: Date}> = []
  for await (const object of listAll(store, `backups/${target.service}/scheduled`)) {
    const match = SCHEDULED_RUN_KEY.exec(object.key)
    if (match) runs.push({key: object.key, job: match[2], kind: match[1] ? 'slice' : 'base', lastModified: object.lastModified})
  }
  const byTime = (a: (typeof runs)[number], b: (typeof runs)[number]) => (scheduledTimeOf(a.job)?.getTime() ?? 0) - (scheduledTimeOf(b.job)?.getTime() ?? 0) || a.key.localeCompare(b.key)
  const result: IngestResult = {backups: [], slices: [], dropped: []}
  const catalog = await listCatalog(store, {service: target.service})

  for (const run of runs.filter((r) => r.kind === 'base').sort(byTime)) {
    const id = scheduledRunId(target.service, run.job, run.lastModified)
    const keys = baseBackupKeys(target.service, id)
    if (!catalog.backups.some((b) => b.id === id)) {
      await copyObject(store, run.key, store, keys.archive)
      const entry = await describeBaseBackup(store, {id, target, region, key: keys.archive, startedAt: scheduledTimeOf(run.job) ?? run.lastModified, finishedAt: () => run.lastModified})
      await store.put(keys.entry, Buffer.from(`${JSON.stringify(entry, null, 2)}\n`), {contentType: 'application/json'})
      catalog.backups.push(entry)
      result.backups.push(entry)
    }
    await store.delete(run.key)
  }

  for (const run of runs.filter((r) => r.kind === 'slice').sort(byTime)) {
    const id = scheduledRunId(target.service, run.job, run.lastModified)
    if (catalog.slices.some((s) => s.id === id)) {
      await store.delete(run.key)
      continue
    }
    // On the live side of the newest timeline break only (slice-range.ts, sliceStartOf).
    const from = sliceStartOf(catalog)
    // Before any base backup a slice extends nothing: keep it until one exists (its window may still matter).
    if (!from) continue
    const described = await describeOplogSlice(store, {id, target, region, key: run.key, from})
    if (described.kind === 'empty') {
      result.dropped.push(run.job)
      await store.delete(run.key)
      continue
    }
    const keys = oplogSliceKeys(target.service, id, parseOplogTimestamp(described.entry.range.after).seconds)
    await copyObject(store, run.key, store, keys.object)
    const entry: OplogSliceEntry = {...described.entry, object: {...described.entry.object, key: keys.object}}
    await store.put(keys.entry, Buffer.from(`${JSON.stringify(entry, null, 2)}\n`), {contentType: 'application/json'})
    await store.delete(run.key)
    catalog.slices.push(entry)
    result.slices.push(entry)
  }
  return result
}
