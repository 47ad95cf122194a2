import {CronExpressionParser, type CronExpression} from 'cron-parser'
import {clockShiftNear, instantsAt, toWallTime} from './time-zone.js'

/**
 * CronJob schedules read and run as Kubernetes reads and runs them.
 *
 * Reading follows robfig/cron v3's ParseStandard, which kube-apiserver validates `.spec.schedule`
 * with and the CronJob controller schedules by (https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#schedule-syntax,
 * https://pkg.go.dev/github.com/robfig/cron/v3#hdr-CRON_Expression_Format): five fields
 * (minute 0-59, hour 0-23, day of month 1-31, month 1-12 or jan-dec, day of week 0-6 or sun-sat:
 * 7 is refused, unlike Vixie cron), each a comma list of `*`, `?`, `n`, `a-b`, with an optional `/step` (`n/step`
 * runs from n to the field's maximum); names in any case; the macros @yearly @annually @monthly
 * @weekly @daily @midnight @hourly, spelled exactly so; and no `TZ=`/`CRON_TZ=` prefix, which the
 * API server refuses since Kubernetes 1.29 in favour of `.spec.timeZone`. Error messages are
 * robfig's, as `kubectl apply` would show them.
 *
 * Running: the day of month and the day of week must both match when either field starts with
 * `*` or `?` (so `*` + "/2" counts as unrestricted), and either may match otherwise (robfig's
 * dayMatches). A run is every minute whose wall clock in the time zone matches, so a time that
 * daylight saving skips does not run that day and one it repeats runs twice, as robfig's Next
 * walks the wall clock.
 *
 * cron-parser does the calendar arithmetic; it is more lenient than Kubernetes (it takes 6 fields,
 * L, W, #, H, @minutely...) and reads `*` + "/2" days and daylight saving its own way, so it is
 * handed a plain numeric expression on a wall-time timeline without daylight saving (see
 * time-zone.ts), and the few things it cannot express are checked here. `@every` is refused: the
 * local control plane does not simulate interval schedules.
 */

export class CronSyntaxError extends Error {
  override name = 'CronSyntaxError'
}

export interface CronSchedule {
  /**
   * The schedule for cron-parser: every field a numeric list, a day field that Kubernetes reads as
   * unrestricted written `*`, so that cron-parser's day rule (both restricted: either matches;
   * one `*`: the other decides) is robfig's. Undefined when the schedule never fires (a day the
   * chosen months do not have, as `0 0 30 2 *`): Kubernetes accepts it and never runs it.
   */
  readonly expression?: string
  /** Weekdays (0 = Sunday) that must also match: Kubernetes wants both days but neither is `*`. */
  readonly weekdays?: ReadonlySet<number>
}

interface Field {
  min: number
  max: number
  /** Three-letter names, matched in any case. */
  names?: Readonly<Record<string, number>>
}

const numbered = (names: string[], first: number) => Object.fromEntries(names.map((name, index) => [name, first + index]))
const FIELDS: readonly Field[] = [
  {min: 0, max: 59}, // minute
  {min: 0, max: 23}, // hour
  {min: 1, max: 31}, // day of month
  {min: 1, max: 12, names: numbered(['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'], 1)},
  {min: 0, max: 6, names: numbered(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], 0)}, // day of week
]
const DAY_OF_MONTH = 2
const DAY_OF_WEEK = 4

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
}

const MINUTE = 60_000
const DAY = 86_400_000
/** How far ahead a run is looked for: robfig's Next gives up after five years. */
const HORIZON = 5 * 366 * DAY

export function parseCron(schedule: string): CronSchedule {
  if (schedule === '') throw new CronSyntaxError('empty spec string')
  if (schedule.includes('TZ')) throw new CronSyntaxError('cannot use TZ or CRON_TZ in schedule, use timeZone field instead')
  if (schedule.startsWith('@every ')) throw new CronSyntaxError(`@every schedules are not simulated by the local control plane: ${schedule}`)
  const descriptor = Object.hasOwn(DESCRIPTORS, schedule) ? DESCRIPTORS[schedule] : undefined
  if (schedule.startsWith('@') && !descriptor) throw new CronSyntaxError(`unrecognized descriptor: ${schedule}`)
  const fields = (descriptor ?? schedule).trim().split(/\s+/)
  if (fields.length !== FIELDS.length) throw new CronSyntaxError(`expected exactly ${FIELDS.length} fields, found ${fields.length}: [${fields.join(' ')}]`)
  const sets = fields.map((text, index) => readField(text, FIELDS[index]))
  const days = sets[DAY_OF_MONTH]
  const weekdays = sets[DAY_OF_WEEK]
  const full = (index: number) => sets[index].values.size === FIELDS[index].max - FIELDS[index].min + 1
  const written = sets.map(({values}, index) => (index !== DAY_OF_MONTH && index !== DAY_OF_WEEK && full(index) ? '*' : [...values].sort((a, b) => a - b).join(',')))
  let weekdayFilter: Set<number> | undefined
  if (days.starred || weekdays.starred) {
    // Both days must match. A full field is no restriction: cron-parser's `*` says exactly that.
    if (full(DAY_OF_MONTH)) written[DAY_OF_MONTH] = '*'
    if (full(DAY_OF_WEEK)) written[DAY_OF_WEEK] = '*'
    // Both restricted yet ANDed: cron-parser would OR them, so it gets the days of month only.
    if (written[DAY_OF_MONTH] !== '*' && written[DAY_OF_WEEK] !== '*') {
      weekdayFilter = weekdays.values
      written[DAY_OF_WEEK] = '*'
    }
  }
  const expression = written.join(' ')
  try {
    CronExpressionParser.parse(expression)
  } catch {
    // cron-parser refuses a day of month that none of the chosen months has; robfig accepts it.
    return {}
  }
  return weekdayFilter ? {expression, weekdays: weekdayFilter} : {expression}
}

/** One field's values, and whether it starts with `*` or `?` (robfig's star bit). */
function readField(text: string, field: Field): {values: Set<number>; starred: boolean} {
  const values = new Set<number>()
  let starred = false
  // robfig splits on commas and drops empty items ("1,,2" is 1 and 2).
  const items = text.split(',').filter((item) => item !== '')
  if (items.length === 0) throw new CronSyntaxError(`failed to parse int from ${text}`)
  for (const item of items) {
    const [range, step, ...extraSlashes] = item.split('/')
    if (extraSlashes.length > 0) throw new CronSyntaxError(`too many slashes: ${item}`)
    const bounds = range.split('-')
    let start: number
    let end: number
    if (bounds[0] === '*' || bounds[0] === '?') {
      starred = true
      start = field.min
      end = field.max
    } else {
      if (bounds.length > 2) throw new CronSyntaxError(`too many hyphens: ${item}`)
      start = number(bounds[0], field)
      end = bounds.length === 2 ? number(bounds[1], field) : step === undefined ? start : field.max
    }
    const every = step === undefined ? 1 : number(step, {...field, names: undefined})
    if (start < field.min) throw new CronSyntaxError(`beginning of range (${start}) below minimum (${field.min}): ${item}`)
    if (end > field.max) throw new CronSyntaxError(`end of range (${end}) above maximum (${field.max}): ${item}`)
    if (start > end) throw new CronSyntaxError(`beginning of range (${start}) beyond end of range (${end}): ${item}`)
    if (every === 0) throw new CronSyntaxError(`step of range should be a positive number: ${item}`)
    for (let value = start; value <= end; value += every) values.add(value)
  }
  return {values, starred}
}

function number(text: string, field: Field): number {
  const name = text.toLowerCase()
  if (field.names && Object.hasOwn(field.names, name)) return field.names[name]
  if (!/^\+?\d+$/.test(text)) throw new CronSyntaxError(`failed to parse int from ${text}`)
  return Number(text)
}

/** Whether a wall time passes the weekday check cron-parser could not do. */
const weekdayAgrees = (schedule: CronSchedule, wall: number): boolean => !schedule.weekdays || schedule.weekdays.has(new Date(wall).getUTCDay())

function walk(schedule: CronSchedule, fromWall: number): CronExpression | undefined {
  return schedule.expression === undefined ? undefined : CronExpressionParser.parse(schedule.expression, {currentDate: fromWall, tz: 'UTC'})
}

/** The first scheduled minute strictly after `afterExclusive`, in `timeZone` (UTC when undefined). */
export function nextScheduleTime(schedule: CronSchedule, afterExclusive: number, timeZone?: string): number | undefined {
  const fromWall = toWallTime(afterExclusive, timeZone)
  // Start early by the clock's jump: after 01:45 on the night clocks go back, 01:30 comes again.
  const runs = walk(schedule, fromWall - clockShiftNear(afterExclusive, timeZone))
  if (!runs) return undefined
  for (;;) {
    let wall: number
    try {
      wall = runs.next().getTime()
    } catch {
      return undefined // cron-parser found nothing later within its search limit
    }
    if (wall > fromWall + HORIZON) return undefined
    if (!weekdayAgrees(schedule, wall)) {
      runs.reset(new Date(Math.floor(wall / DAY) * DAY + DAY - 1))
      continue
    }
    const instant = instantsAt(wall, timeZone).find((at) => at > afterExclusive)
    if (instant !== undefined) return instant
  }
}

/** The latest scheduled minute in (afterExclusive, atOrBefore], in `timeZone` (UTC when undefined). */
export function lastScheduleTime(schedule: CronSchedule, afterExclusive: number, atOrBefore: number, timeZone?: string): number | undefined {
  const shift = clockShiftNear(atOrBefore, timeZone)
  const runs = walk(schedule, toWallTime(atOrBefore, timeZone) + shift + 1)
  const floorWall = toWallTime(afterExclusive, timeZone) - clockShiftNear(afterExclusive, timeZone)
  if (!runs) return undefined
  for (;;) {
    let wall: number
    try {
      wall = runs.prev().getTime()
    } catch {
      return undefined // cron-parser found nothing earlier within its search limit
    }
    if (wall <= floorWall) return undefined
    if (!weekdayAgrees(schedule, wall)) {
      runs.reset(new Date(Math.floor(wall / DAY) * DAY))
      continue
    }
    const instant = instantsAt(wall, timeZone)
      .reverse()
      .find((at) => at <= atOrBefore && at > afterExclusive)
    if (instant !== undefined) return instant
  }
}

/** Whether the minute holding `ms` is a scheduled run. */
export function cronMatches(schedule: CronSchedule, ms: number, timeZone?: string): boolean {
  const minute = Math.floor(ms / MINUTE) * MINUTE
  return nextScheduleTime(schedule, minute - 1, timeZone) === minute
}
