/**
 * A small five-field cron matcher (minute hour day-of-month month day-of-week), as CronJob
 * schedules use it: `*`, numbers, ranges `a-b`, lists `a,b`, steps `* /n` and `a-b/n`, month and
 * weekday names, `?` as `*`, 7 as Sunday, and the macros @yearly @annually @monthly @weekly
 * @daily @midnight @hourly. When both day fields are restricted, a day matches if either does
 * (Vixie cron, and Kubernetes' robfig/cron).
 */

export interface CronSchedule {
  minutes: Set<number>
  hours: Set<number>
  days: Set<number>
  months: Set<number>
  weekdays: Set<number>
  /** Whether each day field was restricted (not `*`): decides AND vs OR of the two. */
  daysRestricted: boolean
  weekdaysRestricted: boolean
}

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
}
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC']
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT']

export class CronSyntaxError extends Error {
  override name = 'CronSyntaxError'
}

function parseField(text: string, min: number, max: number, names: string[] | undefined, offset: number, what: string): {values: Set<number>; restricted: boolean} {
  const values = new Set<number>()
  const value = (part: string): number => {
    const upper = part.toUpperCase()
    const named = names?.indexOf(upper) ?? -1
    if (named !== -1) return named + offset
    if (!/^\d+$/.test(part)) throw new CronSyntaxError(`invalid ${what} "${part}"`)
    return Number(part)
  }
  let restricted = false
  for (const item of text.split(',')) {
    const [range, stepText] = item.split('/')
    const step = stepText === undefined ? 1 : Number(stepText)
    if (!Number.isInteger(step) || step < 1) throw new CronSyntaxError(`invalid step "${stepText}" in ${what}`)
    let low: number
    let high: number
    if (range === '*' || range === '?') {
      low = min
      high = max
      if (stepText !== undefined) restricted = true
    } else {
      restricted = true
      const bounds = range.split('-')
      if (bounds.length > 2) throw new CronSyntaxError(`invalid range "${range}" in ${what}`)
      low = value(bounds[0])
      high = bounds.length === 2 ? value(bounds[1]) : stepText !== undefined ? max : low
    }
    if (low < min || high > max || low > high) throw new CronSyntaxError(`${what} "${item}" is out of range ${min}-${max}`)
    for (let v = low; v <= high; v += step) values.add(v)
  }
  return {values, restricted}
}

export function parseCron(expression: string): CronSchedule {
  const text = MACROS[expression.trim().toLowerCase()] ?? expression.trim()
  const fields = text.split(/\s+/)
  if (fields.length !== 5) throw new CronSyntaxError(`expected exactly 5 fields, found ${fields.length}: "${expression}"`)
  const minutes = parseField(fields[0], 0, 59, undefined, 0, 'minute')
  const hours = parseField(fields[1], 0, 23, undefined, 0, 'hour')
  const days = parseField(fields[2], 1, 31, undefined, 0, 'day of month')
  const months = parseField(fields[3], 1, 12, MONTHS, 1, 'month')
  const weekdays = parseField(fields[4], 0, 7, WEEKDAYS, 0, 'day of week')
  if (weekdays.values.has(7)) weekdays.values.add(0)
  return {
    minutes: minutes.values,
    hours: hours.values,
    days: days.values,
    months: months.values,
    weekdays: weekdays.values,
    daysRestricted: days.restricted,
    weekdaysRestricted: weekdays.restricted,
  }
}

interface Fields {
  minute: number
  hour: number
  day: number
  month: number
  weekday: number
}

const formatters = new Map<string, Intl.DateTimeFormat>()

/** Wall-clock fields of `ms` in `timeZone` (UTC when undefined). */
export function wallClock(ms: number, timeZone?: string): Fields {
  const date = new Date(ms)
  if (!timeZone || timeZone === 'UTC' || timeZone === 'Etc/UTC') {
    return {minute: date.getUTCMinutes(), hour: date.getUTCHours(), day: date.getUTCDate(), month: date.getUTCMonth() + 1, weekday: date.getUTCDay()}
  }
  let format = formatters.get(timeZone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {timeZone, hourCycle: 'h23', minute: 'numeric', hour: 'numeric', day: 'numeric', month: 'numeric', weekday: 'short'})
    formatters.set(timeZone, format)
  }
  const parts = Object.fromEntries(format.formatToParts(date).map((p) => [p.type, p.value]))
  return {minute: Number(parts.minute), hour: Number(parts.hour), day: Number(parts.day), month: Number(parts.month), weekday: WEEKDAYS.indexOf(String(parts.weekday).toUpperCase())}
}

export function cronMatches(schedule: CronSchedule, ms: number, timeZone?: string): boolean {
  const f = wallClock(ms, timeZone)
  if (!schedule.minutes.has(f.minute) || !schedule.hours.has(f.hour) || !schedule.months.has(f.month)) return false
  const dayOk = schedule.days.has(f.day)
  const weekdayOk = schedule.weekdays.has(f.weekday)
  if (schedule.daysRestricted && schedule.weekdaysRestricted) return dayOk || weekdayOk
  return dayOk && weekdayOk
}

const MINUTE = 60_000
/** How far back missed schedules are looked for (upstream gives up after 100 misses; we after a week). */
const LOOKBACK_MINUTES = 7 * 24 * 60
/** How far ahead the next run is looked for: four years covers 29 February. */
const LOOKAHEAD_MINUTES = 4 * 366 * 24 * 60

/** The latest scheduled minute in (afterExclusive, atOrBefore], if any. */
export function lastScheduleTime(schedule: CronSchedule, afterExclusive: number, atOrBefore: number, timeZone?: string): number | undefined {
  let t = Math.floor(atOrBefore / MINUTE) * MINUTE
  const stop = Math.max(afterExclusive, t - LOOKBACK_MINUTES * MINUTE)
  for (; t > stop; t -= MINUTE) if (cronMatches(schedule, t, timeZone)) return t
  return undefined
}

/** The first scheduled minute strictly after `afterExclusive`. */
export function nextScheduleTime(schedule: CronSchedule, afterExclusive: number, timeZone?: string): number | undefined {
  let t = Math.floor(afterExclusive / MINUTE) * MINUTE + MINUTE
  for (let i = 0; i < LOOKAHEAD_MINUTES; i++, t += MINUTE) {
    // Skip whole hours that cannot match (cheap and keeps yearly schedules fast).
    const f = wallClock(t, timeZone)
    if (!schedule.hours.has(f.hour) || !schedule.months.has(f.month)) {
      const skip = 60 - f.minute
      t += (skip - 1) * MINUTE
      i += skip - 1
      continue
    }
    if (cronMatches(schedule, t, timeZone)) return t
  }
  return undefined
}
