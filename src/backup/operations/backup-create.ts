import type {Catalog} from '../../catalog/types.js'
import {dumpJobName} from '../jobs/job-values.js'
import {sliceJobName} from '../jobs/slice-job-values.js'
import {activeBackupSite, backupBucketName, connectBackupEnvironment} from './backup-site.js'
import {catalogueScheduledRuns} from '../schedule/catalogue-scheduled.js'
import {resolveBackupTargets} from './backup-targets.js'
import {createBackups} from './create-backup.js'
import {liveSetOf, setHosts} from '../restore/live-set.js'
import {takeOplogSlice} from '../pitr/take-oplog-slice.js'
import {copyToOtherRegion} from '../replication/secondary-copy.js'

/** `mygate backup create --env NAME [--service S ...] [--dry-run]`. */
export interface BackupCreateOptions {
  env: string
  services?: string[]
  dryRun?: boolean
  /**
   * Take an oplog slice of each database instead of a base backup: the operations since the
   * newest capture (slice or base backup), so a point-in-time restore reaches up to now.
   */
  oplogSlice?: boolean
  catalog: Catalog
  home?: string
  onPhase?: (phase: string, detail: string) => void
}

/** One row of the plan `--dry-run` prints: what would run where. */
export interface PlannedBackup {
  service: string
  database: string
  /** The dump Job's name pattern (the id is made when it runs). */
  job: string
  bucket: string
}

export interface BackupCreateResult {
  environment: string
  region: string
  dryRun: boolean
  /** What was taken: base backups, or oplog slices (`--oplog-slice`). */
  kind: 'base' | 'oplog-slice'
  plan: PlannedBackup[]
  /** Oplog slices taken (`--oplog-slice`); a database without new writes has `nothingNew` instead. */
  slices: Array<{id: string; service: string; database: string; after: string; last: string; firstAt: string; lastAt: string; entries: number; bytes: number; gap?: {requestedAfter: string; firstAvailable: string}; job: string} | {service: string; database: string; nothingNew: string; job: string}>
  backups: Array<{id: string; service: string; database: string; consistentAt: string; oplogLast: string; bytes: number; collections: number; documents: number; dumpSeconds: number; job: string}>
  /** Copies to the other region's bucket (re-encrypted with its key); absent for a one-region environment. */
  copies?: {to: string; copied: number; present: number}
}

export async function backupCreate(options: BackupCreateOptions): Promise<BackupCreateResult> {
  // Bad input is refused before any cluster is contacted.
  const targets = resolveBackupTargets(options.catalog, options.services ?? [])
  const connection = await connectBackupEnvironment(options.env, {home: options.home})
  try {
    const region = connection.record.activeRegion
    const bucket = backupBucketName(connection.record.name, region)
    const kind = options.oplogSlice ? 'oplog-slice' : 'base'
    const plan = targets.map((t) => ({service: t.service, database: t.database, job: options.oplogSlice ? sliceJobName('TIMESTAMP-' + t.service + '-XXXXXX') : dumpJobName('TIMESTAMP-' + t.service + '-XXXXXX'), bucket}))
    if (options.dryRun) return {environment: connection.record.name, region, dryRun: true, kind, plan, slices: [], backups: []}
    const site = await activeBackupSite(connection, options.home)
    // What the schedules uploaded first: a slice starts where the newest capture ends.
    await catalogueScheduledRuns(connection.record, site.store, targets, options.home)
    // After a restore's switch the service reads the restored set: that is the live data to dump,
    // and the oplog its slices read.
    const liveSets = new Map<string, string>()
    for (const target of targets) liveSets.set(target.database, await liveSetOf(site.client, target.service, target.database))
    const databaseOfSet = new Map([...liveSets].map(([database, set]) => [set, database]))
    const hostsOf = (set: string) => setHosts(options.catalog, connection.record.spec, databaseOfSet.get(set) ?? set, set)
    const setOf = (database: string) => liveSets.get(database) ?? database
    if (options.oplogSlice) {
      const slices: BackupCreateResult['slices'] = []
      for (const target of targets) {
        const taken = await takeOplogSlice({environment: connection.record.name, site, target, hostsOf, setOf, ...(options.onPhase ? {onPhase: options.onPhase} : {})})
        if (taken.kind === 'nothing-new') slices.push({service: target.service, database: target.database, nothingNew: taken.reason, job: taken.job})
        else {
          const e = taken.entry
          slices.push({id: e.id, service: e.service, database: e.database, after: e.range.after, last: e.range.last, firstAt: e.firstAt, lastAt: e.lastAt, entries: e.entries, bytes: e.object.size, ...(e.gap ? {gap: e.gap} : {}), job: taken.job})
        }
      }
      const copies = await copyAll(connection.record, site.store, targets.map((t) => t.service), options.home)
      return {environment: connection.record.name, region, dryRun: false, kind, plan, slices, backups: [], ...(copies ? {copies} : {})}
    }
    const created = await createBackups({
      environment: connection.record.name,
      site,
      targets,
      hostsOf,
      setOf,
      sizeLimit: '10Gi',
      ...(options.onPhase ? {onPhase: options.onPhase} : {}),
    })
    const copies = await copyAll(connection.record, site.store, targets.map((t) => t.service), options.home)
    return {
      environment: connection.record.name,
      region,
      dryRun: false,
      kind,
      plan,
      slices: [],
      ...(copies ? {copies} : {}),
      backups: created.map(({entry, dumpSeconds, job}) => ({
        id: entry.id,
        service: entry.service,
        database: entry.database,
        consistentAt: entry.consistentAt,
        oplogLast: entry.oplog.last,
        bytes: entry.archive.size,
        collections: Object.keys(entry.collections).length,
        documents: Object.values(entry.collections).reduce((sum, c) => sum + c.documents, 0),
        dumpSeconds,
        job,
      })),
    }
  } finally {
    connection.close()
  }
}


/** Every service's catalog copied to the other region (KMS keys are regional: re-encrypted there). */
async function copyAll(record: Parameters<typeof copyToOtherRegion>[0], store: Parameters<typeof copyToOtherRegion>[1], services: string[], home?: string): Promise<BackupCreateResult['copies']> {
  let total: BackupCreateResult['copies']
  for (const service of services) {
    const copied = await copyToOtherRegion(record, store, service, home)
    if (!copied) return undefined
    total = {to: copied.to, copied: (total?.copied ?? 0) + copied.copied.length, present: (total?.present ?? 0) + copied.present}
  }
  return total
}
