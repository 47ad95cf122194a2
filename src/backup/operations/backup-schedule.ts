import type {Catalog} from '../../catalog/types.js'
import {connectEnvironment} from '../../env/connect.js'
import {UsageError} from '../../errors.js'
import type {KubeObject} from '../../kube/types.js'
import {baseCronJobName, sliceCronJobName, verifyCronJobName} from '../schedule/backup-cronjobs.js'
import {catalogueScheduledRuns} from '../schedule/catalogue-scheduled.js'
import {reconcileBackupSchedules, scheduleCronJobs} from '../schedule/reconcile-schedules.js'
import {checkCron, checkTimeZone, type ScheduleOverride} from '../schedule/schedule-plan.js'
import {openBackupStore} from './backup-site.js'
import {resolveBackupTargets} from './backup-targets.js'

/**
 * `mygate backup schedule --env E [--service S] [--set CRON] [--time-zone TZ]`: shows the backup
 * CronJobs of the active region (base backups and oplog slices, their last runs) and catalogs
 * what their runs uploaded; with --set / --time-zone (one --service), changes that database's
 * base schedule (recorded on its CronJob, so it survives `env create` and follows a failover);
 * --verify-set changes its weekly verification's (recorded on the `<db>-verify` CronJob).
 */
export interface BackupScheduleOptions {
  env: string
  services?: string[]
  set?: string
  timeZone?: string
  /** New cron schedule of the weekly verification (in the same time zone as the base backups). */
  verifySet?: string
  catalog: Catalog
  home?: string
}

export interface ScheduleRow {
  service: string
  database: string
  rpo: string
  base?: {cronJob: string; schedule: string; timeZone?: string; overridden: boolean; lastScheduleTime?: string}
  slices: {cronJob: string; schedule: string; intervalMinutes: number; lastScheduleTime?: string}
  /** The weekly in-cluster verification of the latest backup. */
  verify: {cronJob: string; schedule: string; timeZone?: string; overridden: boolean; lastScheduleTime?: string}
}

export interface BackupScheduleResult {
  environment: string
  region: string
  changed: boolean
  schedules: ScheduleRow[]
  /** Scheduled runs catalogued by this call (base backups and slices). */
  ingested: {backups: number; slices: number}
}

export async function backupSchedule(options: BackupScheduleOptions): Promise<BackupScheduleResult> {
  const targets = resolveBackupTargets(options.catalog, options.services ?? [])
  const changing = options.set !== undefined || options.timeZone !== undefined || options.verifySet !== undefined
  const override: ScheduleOverride = {
    ...(options.set !== undefined ? {schedule: checkCron(options.set)} : {}),
    ...(options.timeZone !== undefined ? {timeZone: checkTimeZone(options.timeZone)} : {}),
    ...(options.verifySet !== undefined ? {verifySchedule: checkCron(options.verifySet, '--verify-set')} : {}),
  }
  if (changing && targets.length !== 1) {
    throw new UsageError('--set, --time-zone and --verify-set change one database\'s schedule: name it with one --service', {hint: 'e.g. mygate backup schedule --env demo --service visitors --set "0 */4 * * *"'})
  }
  const connection = await connectEnvironment(options.env, {home: options.home})
  try {
    const {record} = connection
    const reconciled = await reconcileBackupSchedules(connection, record, {
      catalog: options.catalog,
      ...(changing ? {overrides: new Map([[targets[0].database, override]])} : {}),
      ...(options.home ? {home: options.home} : {}),
    })
    const cronJobs = new Map((await scheduleCronJobs(connection.clients.get(record.activeRegion)!)).map((c) => [String(c.metadata.name), c]))
    const lastRun = (name: string) => ((cronJobs.get(name) as KubeObject | undefined)?.status as {lastScheduleTime?: string} | undefined)?.lastScheduleTime
    const wanted = new Set(targets.map((t) => t.database))
    const schedules: ScheduleRow[] = reconciled.schedules
      .filter((s) => wanted.has(s.database))
      .map((s) => ({
        service: s.service,
        database: s.database,
        rpo: s.rpo,
        ...(s.base ? {base: {cronJob: baseCronJobName(s.database), ...s.base, ...optional('lastScheduleTime', lastRun(baseCronJobName(s.database)))}} : {}),
        slices: {cronJob: sliceCronJobName(s.database), ...s.slices, ...optional('lastScheduleTime', lastRun(sliceCronJobName(s.database)))},
        verify: {cronJob: verifyCronJobName(s.database), ...s.verify, ...optional('lastScheduleTime', lastRun(verifyCronJobName(s.database)))},
      }))
    let ingested = {backups: 0, slices: 0}
    if (record.provider === 'local') ingested = await catalogueScheduledRuns(record, await openBackupStore(connection, record.activeRegion, options.home), targets, options.home)
    return {environment: record.name, region: record.activeRegion, changed: changing, schedules, ingested}
  } finally {
    connection.close()
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({[key]: value} as Record<K, V>)
}
