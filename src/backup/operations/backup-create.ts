import type {Catalog} from '../../catalog/types.js'
import {replicaSetTopology} from '../../db/topology.js'
import {connectEnvironment} from '../../env/connect.js'
import {NotFoundError} from '../../errors.js'
import {dumpJobName} from '../jobs/job-values.js'
import {activeBackupSite, backupBucketName} from './backup-site.js'
import {resolveBackupTargets} from './backup-targets.js'
import {createBackups} from './create-backup.js'

/** `mygate backup create --env NAME [--service S ...] [--dry-run]`. */
export interface BackupCreateOptions {
  env: string
  services?: string[]
  dryRun?: boolean
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
  plan: PlannedBackup[]
  backups: Array<{id: string; service: string; database: string; consistentAt: string; oplogLast: string; bytes: number; collections: number; documents: number; dumpSeconds: number; job: string}>
}

export async function backupCreate(options: BackupCreateOptions): Promise<BackupCreateResult> {
  // Bad input is refused before any cluster is contacted.
  const targets = resolveBackupTargets(options.catalog, options.services ?? [])
  const connection = await connectEnvironment(options.env, {home: options.home})
  try {
    const region = connection.record.activeRegion
    const bucket = backupBucketName(connection.record.name, region)
    const plan = targets.map((t) => ({service: t.service, database: t.database, job: dumpJobName('TIMESTAMP-' + t.service + '-XXXXXX'), bucket}))
    if (options.dryRun) return {environment: connection.record.name, region, dryRun: true, plan, backups: []}
    const site = await activeBackupSite(connection, options.home)
    const created = await createBackups({
      environment: connection.record.name,
      site,
      targets,
      hostsOf: (database) => {
        const descriptor = options.catalog.byName(database)
        if (!descriptor) throw new NotFoundError(`no descriptor for ${database}`)
        return replicaSetTopology(descriptor, connection.record.spec).members.map((m) => m.host)
      },
      sizeLimit: '10Gi',
      ...(options.onPhase ? {onPhase: options.onPhase} : {}),
    })
    return {
      environment: connection.record.name,
      region,
      dryRun: false,
      plan,
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

