import {CronExpressionParser} from 'cron-parser'
import {UsageError} from '../errors.js'
import {cronProblem, timeZoneProblem} from './cron.js'

export interface NextCronRunOptions {
  /** Runs strictly after this moment count. */
  after: Date | number
  /** IANA time zone the schedule's wall clock is read in (a CronJob's `.spec.timeZone`); default UTC. */
  timeZone?: string
}

/**
 * When a descriptor schedule (see cron.ts) next runs, in a time zone, e.g. for a backup plan:
 * `nextCronRun('15 2 * * *', {after: Date.parse('2026-11-23T12:00:00Z'), timeZone: 'Europe/Paris'})`
 * is 2026-11-24T01:15:00Z (02:15 in Paris, UTC+1 in winter).
 *
 * cron-parser does the calendar arithmetic (its own module, so the catalog's start path does not
 * import it). It agrees with Kubernetes' CronJob controller on every schedule cron.ts accepts
 * except around daylight-saving changes: a run in the hour the clocks skip is moved to the first
 * minute after it (Kubernetes skips it that day), and a run in the hour they repeat happens once
 * (Kubernetes runs both). A bad schedule or zone is a UsageError naming it.
 */
export function nextCronRun(schedule: string, options: NextCronRunOptions): Date {
  const problem = cronProblem(schedule)
  if (problem) throw new UsageError(`cron schedule "${schedule}" ${problem}`, {hint: 'write 5 numeric fields, e.g. "15 2 * * *" for 02:15 every day'})
  const timeZone = options.timeZone ?? 'UTC'
  const zoneProblem = timeZoneProblem(timeZone)
  if (zoneProblem) throw new UsageError(`time zone ${zoneProblem}`, {hint: 'use a name from the IANA time zone database, as CronJob .spec.timeZone does'})
  return CronExpressionParser.parse(schedule.trim(), {currentDate: options.after, tz: timeZone}).next().toDate()
}
