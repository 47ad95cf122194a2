import {CronExpressionParser} from 'cron-parser'

import type {Catalog} from '../../catalog/types.js'
import {formatDuration, parseDuration} from '../../duration.js'
import {DEFAULT_GRACE_MS, SLICE_LAG_INTERVALS} from '../catalog/health.js'
import {DATA_NAMESPACE} from '../jobs/job-values.js'
import {type BackupTarget, resolveBackupTargets} from '../operations/backup-targets.js'
import {baseCronJobName, sliceCronJobName} from '../schedule/backup-cronjobs.js'
import {sliceIntervalMinutes} from '../schedule/schedule-plan.js'

/**
 * The values of templates/backup/alerts.yaml: one PrometheusRule per backed-up database, with
 * thresholds taken from the same rules `backup status` applies (src/backup/catalog/health.ts):
 *
 * - recovery point: the database's `criticality.rpo`;
 * - slice gap: {@link SLICE_LAG_INTERVALS} slice intervals (the interval is half the RPO in whole
 *   minutes, 1-60: schedule-plan.ts);
 * - missed dump: the longest gap between two runs of the base schedule (in its time zone) plus
 *   the grace a run has to finish ({@link DEFAULT_GRACE_MS});
 * - verification: {@link VERIFY_MAX_AGE_MS} (a weekly verify and a day to run it).
 *
 * Worked example, visitors-db (RPO 5m, schedule "30 *\/6 * * *" Asia/Kolkata): rpo 300 s, slice
 * interval 2m so slice gap 240 s, base gap 6h + 15m = 22500 s, verification 691200 s.
 */

/** A weekly verification plus a day for it to run before the alert fires. */
export const VERIFY_MAX_AGE_MS = 8 * 86_400_000

/**
 * The weekly verification CronJob of a database, named by the convention of the other two
 * (`DB-backup`, `DB-oplog-slice`): `DB-verify`. Its alert is inert where no such CronJob exists.
 */
export function verifyCronJobName(database: string): string {
  return `${database}-verify`
}

export interface BackupAlertThresholds {
  rpoSeconds: number
  sliceIntervalSeconds: number
  sliceGapSeconds: number
  /** Absent when the database has no base schedule (no dump CronJob). */
  baseGapSeconds?: number
  verifyMaxAgeSeconds: number
}

export function backupAlertThresholds(target: Pick<BackupTarget, 'database' | 'rpo' | 'schedule' | 'timeZone'>): BackupAlertThresholds {
  const interval = sliceIntervalMinutes(target.rpo) * 60
  return {
    rpoSeconds: Math.round(parseDuration(target.rpo, `${target.database} criticality.rpo`) / 1000),
    sliceIntervalSeconds: interval,
    sliceGapSeconds: SLICE_LAG_INTERVALS * interval,
    ...(target.schedule ? {baseGapSeconds: Math.round((largestCronGapMs(target.schedule, target.timeZone) + DEFAULT_GRACE_MS) / 1000)} : {}),
    verifyMaxAgeSeconds: VERIFY_MAX_AGE_MS / 1000,
  }
}

/**
 * The longest time between two consecutive runs of a cron schedule, over eight days of runs (a
 * week covers every day-of-week pattern; the extra day covers the wrap). Example: "30 *\/6 * * *"
 * is 6h; "0 2 * * 1-5" is 3 days (Friday 02:00 to Monday 02:00). Measured from a fixed start so
 * the rendered rule does not change from one render to the next.
 */
export function largestCronGapMs(schedule: string, timeZone = 'UTC'): number {
  const start = Date.parse('2026-01-05T00:00:00Z')
  const end = start + 8 * 86_400_000
  const runs = CronExpressionParser.parse(schedule.trim(), {currentDate: start, endDate: end, tz: timeZone})
  let previous: number | undefined
  let largest = 0
  while (runs.hasNext()) {
    const at = runs.next().getTime()
    if (previous !== undefined) largest = Math.max(largest, at - previous)
    previous = at
  }
  // Fewer than two runs in eight days (a monthly schedule): a month, the longest cron period in practice.
  return largest > 0 ? largest : 31 * 86_400_000
}

/** The template context of one database's backup alerts (templates/backup/alerts.yaml). */
export function backupAlertContext(target: BackupTarget, environment: string): Record<string, unknown> {
  const t = backupAlertThresholds(target)
  const base = baseCronJobName(target.database)
  const slice = sliceCronJobName(target.database)
  const verify = verifyCronJobName(target.database)
  // CronJob-made Jobs are named CRONJOB-<scheduled time in minutes> (the CronJob controller's
  // getJobName: https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#job-creation).
  const all = [base, slice, verify]
  return {
    env: environment,
    namespace: DATA_NAMESPACE,
    database: target.database,
    service: target.service,
    schedule: target.schedule ?? '',
    hasBase: t.baseGapSeconds !== undefined,
    rule: {name: `${target.database}-backup-alerts`, group: `${target.database}.backup.rules`},
    cronjobs: {
      base,
      slice,
      verify,
      recoveryPoint: `${base}|${slice}`,
      all: all.join('|'),
      jobNames: `(${all.join('|')})-[0-9]+`,
    },
    thresholds: {
      ...t,
      baseGapSeconds: t.baseGapSeconds ?? 0,
      rpo: target.rpo,
      sliceInterval: formatDuration(t.sliceIntervalSeconds * 1000),
      sliceGap: formatDuration(t.sliceGapSeconds * 1000),
      baseGap: formatDuration((t.baseGapSeconds ?? 0) * 1000),
      verifyMaxAge: formatDuration(t.verifyMaxAgeSeconds * 1000),
    },
  }
}

/** One context per backed-up database among `databases` (names; default every one in the catalog). */
export function backupAlertContexts(catalog: Catalog, environment: string, databases?: readonly string[]): Array<Record<string, unknown>> {
  const targets = resolveBackupTargets(catalog).filter((t) => databases === undefined || databases.includes(t.database))
  return targets.map((t) => backupAlertContext(t, environment))
}
