import type {Catalog as ServiceCatalog} from '../../catalog/types.js'
import {uncataloguedRuns} from '../schedule/catalogue-scheduled.js'
import {parseDuration} from '../../duration.js'
import {mygateHome} from '../../home.js'
import type {KubeApi} from '../../kube/api.js'
import type {KubeObject} from '../../kube/types.js'
import {listCatalog} from '../catalog/catalog-store.js'
import type {Verification} from '../catalog/entry.js'
import {backupHealth, breaksWithoutBase, type HealthVerdict} from '../catalog/health.js'
import type {TimelineBreak} from '../catalog/timeline-break.js'
import {DATA_NAMESPACE} from '../jobs/job-values.js'
import {sliceCronJobName} from '../schedule/backup-cronjobs.js'
import {scheduleCronJobs} from '../schedule/reconcile-schedules.js'
import {sliceIntervalMinutes} from '../schedule/schedule-plan.js'
import {type VerificationAge, verificationAge} from '../verify/verification-age.js'
import {activeBackupSite, connectBackupEnvironment} from './backup-site.js'
import {type BackupTarget, resolveBackupTargets} from './backup-targets.js'

/**
 * `mygate backup status --env E [--service S ...] [--exit-code]`: backup health per database, the
 * verdicts of src/backup/catalog/health.ts over the catalog in the active region's bucket, plus
 * what the catalog cannot show: dump Jobs that failed (kept in the cluster for a day by their
 * TTL, labelled by database and op), and the newest verification of each service's backups.
 *
 * The oplog window is checked against the interval the slice CronJob runs at (health.ts: no sign
 * of slices for two intervals is degraded, naming the gap).
 *
 * A failed run or a newest verification that failed makes a healthy service degraded (the RPO
 * verdict is health.ts's: no good backup, or one older than the RPO, is failing). The overall
 * verdict is the worst service's.
 */

export interface BackupStatusOptions {
  env: string
  services?: string[]
  catalog: ServiceCatalog
  home?: string
  now?: () => Date
}

export interface ServiceBackupStatus {
  service: string
  database: string
  rpo: string
  schedule?: string
  verdict: HealthVerdict['verdict']
  lastGoodBackup?: HealthVerdict['lastGoodBackup']
  recoveryPointAgeMs?: number
  rpoBreached: boolean
  missedRuns: number
  /** The newest verification of any of the service's backups. */
  lastVerification?: Verification & {id: string}
  /** The last verification against the weekly schedule (src/backup/verify/verification-age.ts). */
  verification?: VerificationAge
  /** Dump Jobs of this database that failed since its newest backup (kept in the cluster for a day by their TTL). */
  failedRuns: Array<{job: string; at: string}>
  backups: number
  /**
   * Scheduled runs in the bucket not catalogued yet: the verdicts above do not count them until
   * a mutating backup command (create, restore, verify, prune, schedule) catalogues them.
   */
  uncatalogued?: {backups: number; slices: number}
  /** Timeline breaks (a restore's switch, a forced failover) with no base backup after them: failing until one is taken. */
  breaksWithoutBase?: Array<Pick<TimelineBreak, 'at' | 'reason' | 'runId'>>
  problems: string[]
}

export interface BackupStatusResult {
  environment: string
  region: string
  store: string
  verdict: 'healthy' | 'degraded' | 'failing'
  healthy: boolean
  services: ServiceBackupStatus[]
}

const RANK = {healthy: 0, degraded: 1, failing: 2} as const

export async function backupStatus(options: BackupStatusOptions): Promise<BackupStatusResult> {
  const targets = resolveBackupTargets(options.catalog, options.services ?? [])
  const home = options.home ?? mygateHome()
  const connection = await connectBackupEnvironment(options.env, {home})
  try {
    const site = await activeBackupSite(connection, home)
    const now = (options.now ?? (() => new Date()))()
    const services: ServiceBackupStatus[] = []
    const sliceRuns = lastSuccessfulRuns(await scheduleCronJobs(site.client))
    for (const target of targets) {
      // Read-only: runs of the backup CronJobs waiting in the bucket are counted, not catalogued
      // (the next mutating backup command catalogues them: catalogue-scheduled.ts).
      const uncatalogued = await uncataloguedRuns(site.store, target.service)
      const {backups, slices, breaks} = await listCatalog(site.store, {service: target.service})
      const descriptor = options.catalog.byName(target.database)
      const health = backupHealth({
        now,
        rpoMs: parseDuration(target.rpo, `${target.database} criticality.rpo`),
        ...(target.schedule ? {schedule: target.schedule} : {}),
        ...(descriptor?.backup.timeZone ? {timeZone: descriptor.backup.timeZone} : {}),
        // The interval the slice CronJob runs at (schedule-plan.ts), so a CronJob that stopped is
        // reported here and not only by the MygateBackupOplogSliceGap alert.
        sliceIntervalMs: sliceIntervalMinutes(target.rpo) * 60_000,
        ...(sliceRuns.has(sliceCronJobName(target.database)) ? {sliceRunAt: sliceRuns.get(sliceCronJobName(target.database))} : {}),
        backups,
        slices,
      })
      // A failure superseded by a later backup no longer says anything about the recovery point.
      const newestStart = backups.map((b) => b.startedAt).sort().at(-1) ?? ''
      const failedRuns = (await failedDumpRuns(site.client, target)).filter((run) => run.at > newestStart)
      const lastVerification = backups
        .flatMap((b) => b.verifications.map((v) => ({...v, id: b.id})))
        .sort((a, b) => b.at.localeCompare(a.at))[0]
      const oldestBackupAt = backups.map((b) => b.finishedAt).sort()[0]
      const status = withVerificationAge(serviceStatus(target, health, failedRuns, lastVerification, backups.length), verificationAge({now, ...(lastVerification ? {lastVerification} : {}), ...(oldestBackupAt ? {oldestBackupAt} : {})}))
      services.push(withBreaksWithoutBase({...status, uncatalogued}, breaksWithoutBase(breaks, backups), connection.record.name))
    }
    const verdict = services.reduce<ServiceBackupStatus['verdict']>((worst, s) => (RANK[s.verdict] > RANK[worst] ? s.verdict : worst), 'healthy')
    return {environment: connection.record.name, region: site.region, store: site.store.location, verdict, healthy: verdict === 'healthy', services}
  } finally {
    connection.close()
  }
}

/** Pure: health.ts's verdict, made degraded by failed runs or a failed newest verification. */
export function serviceStatus(
  target: BackupTarget,
  health: HealthVerdict,
  failedRuns: ServiceBackupStatus['failedRuns'],
  lastVerification: ServiceBackupStatus['lastVerification'],
  backups: number,
): ServiceBackupStatus {
  const problems = [...health.problems]
  if (failedRuns.length > 0) problems.push(`${failedRuns.length} failed backup run${failedRuns.length === 1 ? '' : 's'} (${failedRuns.map((r) => r.job).join(', ')})`)
  if (lastVerification?.verdict === 'failed') problems.push(`the last verification (${lastVerification.id}) failed${lastVerification.detail ? `: ${lastVerification.detail}` : ''}`)
  const verdict = health.verdict === 'healthy' && problems.length > 0 ? 'degraded' : health.verdict
  return {
    service: target.service,
    database: target.database,
    rpo: target.rpo,
    ...(target.schedule ? {schedule: target.schedule} : {}),
    verdict,
    ...(health.lastGoodBackup ? {lastGoodBackup: health.lastGoodBackup} : {}),
    ...(health.recoveryPointAgeMs !== undefined ? {recoveryPointAgeMs: health.recoveryPointAgeMs} : {}),
    rpoBreached: health.rpoBreached,
    missedRuns: health.missedRuns,
    ...(lastVerification ? {lastVerification} : {}),
    failedRuns,
    backups,
    problems,
  }
}

/**
 * CronJob name -> status.lastSuccessfulTime. A slice run that found no new writes records no
 * slice in the catalog, and runs waiting to be catalogued are not in it either: the CronJob's
 * own last success is what says it is running.
 */
function lastSuccessfulRuns(cronJobs: readonly KubeObject[]): Map<string, string> {
  const runs = new Map<string, string>()
  for (const cronJob of cronJobs) {
    const at = (cronJob.status as {lastSuccessfulTime?: string} | undefined)?.lastSuccessfulTime
    if (at) runs.set(String(cronJob.metadata.name), at)
  }
  return runs
}

/** Dump Jobs of the database whose Failed condition is true (src/backup/jobs/job-values.ts labels them). */
async function failedDumpRuns(client: KubeApi, target: BackupTarget): Promise<ServiceBackupStatus['failedRuns']> {
  const jobs = await client.list('batch/v1', 'Job', {namespace: DATA_NAMESPACE, labelSelector: `app.kubernetes.io/component=backup,mygate.dev/op=dump,mygate.dev/database=${target.database}`})
  return jobs.items
    .map((job) => {
      const conditions = (job.status as {conditions?: Array<{type: string; status: string; lastTransitionTime?: string}>} | undefined)?.conditions ?? []
      const failed = conditions.find((c) => c.type === 'Failed' && c.status === 'True')
      return failed ? {job: String(job.metadata.name), at: failed.lastTransitionTime ?? String(job.metadata.creationTimestamp ?? '')} : undefined
    })
    .filter((run): run is {job: string; at: string} => run !== undefined)
}

/**
 * Pure: the weekly verification's age on a service's status; overdue (no verification in a week
 * of having backups) makes a healthy service degraded, as a failed last verification does.
 */
export function withVerificationAge(status: ServiceBackupStatus, age: VerificationAge): ServiceBackupStatus {
  if (!age.problem) return {...status, verification: age}
  return {...status, verification: age, verdict: status.verdict === 'healthy' ? 'degraded' : status.verdict, problems: [...status.problems, age.problem]}
}

/**
 * Pure: a service whose timeline broke (a forced failover, a restore's switch) with no base
 * backup since cannot be restored to anything after the break, however young its older backups
 * are: failing, naming the break and the command that takes the base.
 */
export function withBreaksWithoutBase(status: ServiceBackupStatus, unbased: readonly TimelineBreak[], environment: string): ServiceBackupStatus {
  if (unbased.length === 0) return status
  const problems = unbased.map(
    (b) => `no base backup since the timeline break at ${b.at} (${b.reason} ${b.runId}): nothing after it can be restored; run \`mygate backup create --env ${environment} --service ${status.service}\``,
  )
  return {...status, verdict: 'failing', breaksWithoutBase: unbased.map((b) => ({at: b.at, reason: b.reason, runId: b.runId})), problems: [...status.problems, ...problems]}
}
