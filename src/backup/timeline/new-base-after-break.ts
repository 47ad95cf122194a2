import {listCatalog, recordTimelineBreak} from '../catalog/catalog-store.js'
import type {TimelineBreak, TimelineBreakReason} from '../catalog/timeline-break.js'
import type {BackupTarget} from '../operations/backup-targets.js'
import {type BackupSite, createBackups} from '../operations/create-backup.js'

/**
 * After a restore's switch or a forced failover the live data no longer follows the oplog the
 * older backups and slices captured (timeline-break.ts). This marks the break in the catalog and
 * takes a new base backup of what each service reads now, at once, so the window starts again
 * from the break instead of waiting for the next scheduled backup (until then nothing after the
 * break could be restored).
 *
 * Read first, so a resumed run (restore or failover re-run after a kill) does not take two: the
 * break is keyed by the run that made it and keeps its first time, and a base backup started at
 * or after that time is the new base already.
 */
export interface NewBaseAfterBreakOptions {
  environment: string
  /** The active region's cluster and bucket (after a failover: the region that took over). */
  site: BackupSite
  targets: BackupTarget[]
  reason: TimelineBreakReason
  /** The restore run (rs-...) or failover run that made the break. */
  runId: string
  /** When the live data left the old timeline; a resumed run's stored break keeps its own. */
  at: Date
  /** The replica set a database's service reads now (a restored set after a restore's switch). */
  setOf(database: string): string
  /** Members (`host:port`) of a replica set. */
  hostsOf(set: string): string[]
  /** What the service reads from then on, for the record and messages. */
  detail(target: BackupTarget): string
  now?: () => Date
  jobTimeoutMs?: number
  onPhase?: (phase: string, detail: string) => void
}

export interface NewBaseAfterBreak {
  service: string
  database: string
  timelineBreak: TimelineBreak
  /** The base backup that starts the new window. */
  backupId: string
  /** False when an earlier (killed) run had taken it already. */
  taken: boolean
}

/**
 * Records the break of every target (or reads the one a killed run recorded) before any base is
 * taken: a dump that fails then still leaves each database's break known to `backup status` and
 * `--to-time`.
 */
export async function recordBreaks(options: Pick<NewBaseAfterBreakOptions, 'site' | 'targets' | 'reason' | 'runId' | 'at' | 'detail'>): Promise<Map<string, TimelineBreak>> {
  const breaks = new Map<string, TimelineBreak>()
  for (const target of options.targets) {
    const {record} = await recordTimelineBreak(options.site.store, {
      service: target.service,
      database: target.database,
      at: options.at.toISOString(),
      reason: options.reason,
      runId: options.runId,
      detail: options.detail(target),
    })
    breaks.set(target.database, record)
  }
  return breaks
}

export async function takeNewBaseAfterBreak(options: NewBaseAfterBreakOptions): Promise<NewBaseAfterBreak[]> {
  const done: NewBaseAfterBreak[] = []
  const breaks = await recordBreaks(options)
  for (const target of options.targets) {
    const record = breaks.get(target.database) as TimelineBreak
    const {backups} = await listCatalog(options.site.store, {service: target.service})
    const since = backups.filter((b) => b.startedAt >= record.at).at(-1)
    if (since) {
      done.push({service: target.service, database: target.database, timelineBreak: record, backupId: since.id, taken: false})
      continue
    }
    options.onPhase?.('new-base', `${target.database}: ${record.reason} ${record.runId} broke the timeline at ${record.at}; taking a new base backup`)
    const [created] = await createBackups({
      environment: options.environment,
      site: options.site,
      targets: [target],
      hostsOf: options.hostsOf,
      setOf: options.setOf,
      ...(options.now ? {now: options.now} : {}),
      ...(options.jobTimeoutMs ? {jobTimeoutMs: options.jobTimeoutMs} : {}),
      ...(options.onPhase ? {onPhase: options.onPhase} : {}),
    })
    done.push({service: target.service, database: target.database, timelineBreak: record, backupId: created.entry.id, taken: true})
  }
  return done
}
