import {nextCronRun} from '../../catalog/cron-next-run.js'
import {formatDuration} from '../../duration.js'
import type {BackupEntry, OplogSliceEntry} from './entry.js'
import type {TimelineBreak} from './timeline-break.js'

/**
 * `backup status` health of one service, from its catalog and its descriptor: the verdicts an
 * operator (and a PrometheusRule) alerts on.
 *
 * - RPO: the newest good backup (no failed latest verification) must be younger than the RPO
 *   when no oplog slices cover the time since; with slices the recovery point is the newest slice
 *   end, so the RPO check uses whichever is newer.
 * - Missed runs: scheduled runs (the cron schedule in its time zone) since the newest backup,
 *   allowing `graceMs` for a run to finish; more than zero means the CronJob is not producing.
 * - Oplog window: the slice CronJob must have shown life within two slice intervals of now (one
 *   interval is normal lag: the slice being written). Life is the newest of: the newest slice's
 *   end, the newest good base backup's end (the first slice after a base comes an interval
 *   later) and the CronJob's last successful run (`sliceRunAt`: a run that found no new writes
 *   records no slice, so an idle database must not read as a stopped CronJob). Past that, the
 *   slice CronJob is probably not running: degraded, as the MygateBackupOplogSliceGap alert.
 *
 * Worked example: RPO 1h, schedule "0 * * * *", slice interval 5m, now 10:32Z, newest backup
 * finished 08:05Z, newest slice ends 10:29Z. Recovery point age 3m: RPO ok. Runs at 09:00 and
 * 10:00 are missed (10:00 + 15m grace has passed): 2 missed, degraded. Slice lag 3m < 10m: ok.
 */

/** How long a scheduled run may take before it counts as missed (the alerts use the same). */
export const DEFAULT_GRACE_MS = 15 * 60_000

/** The newest slice may lag this many slice intervals (one is the slice being written). */
export const SLICE_LAG_INTERVALS = 2

export interface HealthInput {
  now: Date
  rpoMs: number
  schedule?: string
  timeZone?: string
  /** The slice CronJob's interval (schedule-plan.ts sliceIntervalMinutes); without it the oplog window is not checked. */
  sliceIntervalMs?: number
  /** When the slice CronJob last succeeded (its status.lastSuccessfulTime), if known. */
  sliceRunAt?: string
  /** How long a scheduled run may take before it counts as missed. Default 15 minutes. */
  graceMs?: number
  backups: BackupEntry[]
  slices: OplogSliceEntry[]
}

export interface HealthVerdict {
  verdict: 'healthy' | 'degraded' | 'failing'
  lastGoodBackup?: {id: string; finishedAt: string; ageMs: number}
  /** Age of the newest restorable point (backup or slice end). */
  recoveryPointAgeMs?: number
  rpoBreached: boolean
  missedRuns: number
  oplogLagMs?: number
  oplogBehind: boolean
  problems: string[]
}

function isGood(b: BackupEntry): boolean {
  const last = b.verifications[b.verifications.length - 1]
  return last?.verdict !== 'failed'
}

export function backupHealth(input: HealthInput): HealthVerdict {
  const now = input.now.getTime()
  const problems: string[] = []
  const good = input.backups.filter(isGood).sort((a, b) => b.finishedAt.localeCompare(a.finishedAt))[0]
  const newestSlice = [...input.slices].sort((a, b) => b.lastAt.localeCompare(a.lastAt))[0]

  const lastGoodAge = good ? now - Date.parse(good.finishedAt) : undefined
  const sliceAge = newestSlice && good && newestSlice.lastAt > good.consistentAt ? now - Date.parse(newestSlice.lastAt) : undefined
  const recoveryPointAgeMs = lastGoodAge === undefined ? undefined : Math.min(lastGoodAge, sliceAge ?? Infinity)
  const rpoBreached = recoveryPointAgeMs === undefined || recoveryPointAgeMs > input.rpoMs
  if (!good) problems.push('no good backup')
  else if (rpoBreached) problems.push(`recovery point is ${formatDuration(recoveryPointAgeMs!)} old, over the RPO of ${formatDuration(input.rpoMs)}`)

  let missedRuns = 0
  if (input.schedule) {
    const newest = [...input.backups].sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0]
    const grace = input.graceMs ?? DEFAULT_GRACE_MS
    if (newest) {
      // Runs strictly after the newest backup's start (it was that run or an earlier one).
      let run = nextCronRun(input.schedule, {after: new Date(Date.parse(newest.startedAt)), timeZone: input.timeZone})
      while (run.getTime() + grace <= now && missedRuns < 1000) {
        missedRuns++
        run = nextCronRun(input.schedule, {after: run, timeZone: input.timeZone})
      }
    }
    if (missedRuns > 0) problems.push(`${missedRuns} scheduled run${missedRuns === 1 ? '' : 's'} missed`)
  }

  let oplogLagMs: number | undefined
  let oplogBehind = false
  if (input.sliceIntervalMs !== undefined) {
    const life = newestSliceLife(newestSlice?.lastAt, good?.finishedAt, input.sliceRunAt)
    oplogLagMs = life ? now - Date.parse(life.at) : undefined
    oplogBehind = oplogLagMs === undefined || oplogLagMs > SLICE_LAG_INTERVALS * input.sliceIntervalMs
    if (oplogBehind) {
      problems.push(
        life === undefined
          ? 'no oplog slices'
          : `${life.describe(formatDuration(oplogLagMs!))}, slices every ${formatDuration(input.sliceIntervalMs)}: oplog slice CronJob not running?`,
      )
    }
  }

  const verdict = !good || rpoBreached ? 'failing' : problems.length > 0 ? 'degraded' : 'healthy'
  return {
    verdict,
    lastGoodBackup: good ? {id: good.id, finishedAt: good.finishedAt, ageMs: lastGoodAge!} : undefined,
    recoveryPointAgeMs,
    rpoBreached,
    missedRuns,
    oplogLagMs,
    oplogBehind,
    problems,
  }
}

interface SliceLife {
  at: string
  describe(age: string): string
}

/** The newest sign that oplog slices are being taken, and how the verdict names it. */
function newestSliceLife(sliceEnd: string | undefined, baseEnd: string | undefined, runAt: string | undefined): SliceLife | undefined {
  const signs: Array<SliceLife | undefined> = [
    sliceEnd ? {at: sliceEnd, describe: (age) => `newest oplog slice ${age} old`} : undefined,
    baseEnd ? {at: baseEnd, describe: (age) => `no oplog slice in the ${age} since the newest base backup`} : undefined,
    runAt ? {at: runAt, describe: (age) => `last successful oplog slice run ${age} ago`} : undefined,
  ]
  return signs
    .filter((sign): sign is SliceLife => sign !== undefined && !Number.isNaN(Date.parse(sign.at)))
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at))[0]
}

/**
 * Timeline breaks with no base backup started at or after them (the rule new-base-after-break.ts
 * uses to find a base already taken): nothing after such a break can be restored, whatever the
 * older backups' ages say, so `backup status` counts the database as failing until a base is
 * taken. Example: a break at 10:00, backups started 09:00 and 10:00:05 -> none; only 09:00 -> the break.
 */
export function breaksWithoutBase(breaks: readonly TimelineBreak[], backups: readonly Pick<BackupEntry, 'startedAt'>[]): TimelineBreak[] {
  return breaks.filter((b) => !backups.some((backup) => Date.parse(backup.startedAt) >= Date.parse(b.at)))
}
