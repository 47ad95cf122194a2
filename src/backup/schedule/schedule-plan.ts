import {parseDuration} from '../../duration.js'
import {UsageError} from '../../errors.js'
import type {BackupTarget} from '../operations/backup-targets.js'
import {spreadVerifySchedules, type VerifySchedule} from '../verify/verify-schedule.js'

/**
 * What runs when, per database (pure). Base backups follow the descriptor's `backup.schedule` in
 * its `backup.timeZone` (a CronJob's `spec.timeZone`, so "30 *\/6" means the team's hours, DST
 * included), unless `backup schedule --set` overrode them. Oplog slices run every half RPO, in
 * whole minutes between 1 and 60: a slice is at most one interval old when the next one starts,
 * and one late or failed run still leaves the newest restorable point within the RPO.
 *
 * Worked examples: RPO 5m -> every 2 minutes ("*\/2 * * * *"); RPO 1h -> every 30 minutes;
 * RPO 24h -> hourly ("0 * * * *"); RPO 1m -> every minute (the finest a CronJob runs).
 */
export interface ScheduleOverride {
  schedule?: string
  timeZone?: string
  /** The weekly verification's cron schedule (`backup schedule --verify-set`), in the same time zone. */
  verifySchedule?: string
}

export interface DatabaseSchedule {
  service: string
  database: string
  rpo: string
  /** Base backups; absent when the descriptor has no schedule and nothing overrides it. */
  base?: {schedule: string; timeZone?: string; overridden: boolean}
  slices: {schedule: string; intervalMinutes: number}
  /** The weekly in-cluster verification of the latest backup (src/backup/verify/verify-schedule.ts). */
  verify: VerifySchedule
}

export function sliceIntervalMinutes(rpo: string): number {
  const minutes = parseDuration(rpo, 'criticality.rpo') / 60_000
  return Math.min(60, Math.max(1, Math.floor(minutes / 2)))
}

export function sliceCron(intervalMinutes: number): string {
  return intervalMinutes >= 60 ? '0 * * * *' : intervalMinutes === 1 ? '* * * * *' : `*/${intervalMinutes} * * * *`
}

const CRON_FIELD = /^[\d*/,-]+$/

/** A five-field cron expression with only the characters the Kubernetes CronJob parser takes; refused by name otherwise. */
export function checkCron(schedule: string, what = '--set'): string {
  const fields = schedule.trim().split(/\s+/)
  if (fields.length !== 5 || fields.some((f) => !CRON_FIELD.test(f))) {
    throw new UsageError(`${what} "${schedule}" is not a five-field cron schedule`, {hint: 'e.g. --set "30 */6 * * *" (minute hour day-of-month month day-of-week)'})
  }
  return fields.join(' ')
}

export function checkTimeZone(timeZone: string, what = '--time-zone'): string {
  try {
    new Intl.DateTimeFormat('en', {timeZone})
  } catch {
    throw new UsageError(`${what} "${timeZone}" is not an IANA time zone`, {hint: 'e.g. UTC, Asia/Kolkata, Europe/Paris'})
  }
  return timeZone
}

export function planSchedules(targets: readonly (BackupTarget & {timeZone?: string})[], overrides: ReadonlyMap<string, ScheduleOverride> = new Map()): DatabaseSchedule[] {
  // Spread over every database with backups, not only the ones asked for: a database's slot
  // does not depend on which --service a command named.
  const spread = spreadVerifySchedules(targets.map((t) => t.database))
  return targets.map((t) => {
    const override = overrides.get(t.database) ?? {}
    const schedule = override.schedule ?? t.schedule
    const timeZone = override.timeZone ?? t.timeZone
    const intervalMinutes = sliceIntervalMinutes(t.rpo)
    return {
      service: t.service,
      database: t.database,
      rpo: t.rpo,
      ...(schedule ? {base: {schedule, ...(timeZone ? {timeZone} : {}), overridden: override.schedule !== undefined || override.timeZone !== undefined}} : {}),
      slices: {schedule: sliceCron(intervalMinutes), intervalMinutes},
      verify: {schedule: override.verifySchedule ?? (spread.get(t.database) as string), ...(timeZone ? {timeZone} : {}), overridden: override.verifySchedule !== undefined},
    }
  })
}
