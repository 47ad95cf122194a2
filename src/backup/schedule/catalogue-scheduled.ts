import type {EnvironmentRecord} from '../../env/record.js'
import type {BackupTarget} from '../operations/backup-targets.js'
import {copyToOtherRegion} from '../replication/secondary-copy.js'
import {listAll, type ObjectStore} from '../storage/object-store.js'
import {ingestScheduledRuns, SCHEDULED_RUN_KEY} from './ingest-scheduled.js'

/**
 * Catalogues what the schedule CronJobs uploaded since the last time, and copies it to the other
 * region like any backup. A step of the mutating backup commands (create, restore, verify,
 * prune, schedule), run before they read the catalog, never of the read-only ones: `backup
 * status` and `list` only count what is waiting (uncataloguedRuns).
 */
export async function catalogueScheduledRuns(record: EnvironmentRecord, store: ObjectStore, targets: readonly BackupTarget[], home?: string): Promise<{backups: number; slices: number}> {
  const ingested = {backups: 0, slices: 0}
  for (const target of targets) {
    const done = await ingestScheduledRuns(store, target, store.region)
    ingested.backups += done.backups.length
    ingested.slices += done.slices.length
    if (done.backups.length + done.slices.length > 0) await copyToOtherRegion(record, store, target.service, home)
  }
  return ingested
}

/** Read-only: scheduled runs of a service waiting in the bucket to be catalogued. */
export async function uncataloguedRuns(store: ObjectStore, service: string): Promise<{backups: number; slices: number}> {
  const waiting = {backups: 0, slices: 0}
  for await (const object of listAll(store, `backups/${service}/scheduled`)) {
    const match = SCHEDULED_RUN_KEY.exec(object.key)
    if (match) waiting[match[1] ? 'slices' : 'backups']++
  }
  return waiting
}
