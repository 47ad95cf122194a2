/**
 * Wall clocks in IANA time zones, for CronJob `.spec.timeZone`, from the JavaScript runtime's
 * time zone database (Intl). A "wall time" here is the local date and time written as if it
 * were UTC, in milliseconds: a timeline without daylight-saving jumps, on which cron arithmetic
 * is plain. Converting back gives zero instants (the hour skipped when clocks go forward), one,
 * or two (the hour repeated when they go back).
 */

const DAY = 86_400_000
const formatters = new Map<string, Intl.DateTimeFormat>()

/** UTC, and the default when a CronJob names no zone (the controller's own zone). */
const isUtc = (timeZone: string | undefined): boolean => timeZone === undefined || timeZone === 'UTC' || timeZone === 'Etc/UTC'

/** How far `timeZone`'s wall clock is ahead of UTC at `instant`, in milliseconds. */
export function utcOffset(instant: number, timeZone: string | undefined): number {
  if (isUtc(timeZone)) return 0
  const zone = timeZone as string
  let format = formatters.get(zone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric'})
    formatters.set(zone, format)
  }
  const parts = Object.fromEntries(format.formatToParts(new Date(instant)).map((part) => [part.type, Number(part.value)]))
  const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second)
  return wall - Math.floor(instant / 1000) * 1000
}

export function toWallTime(instant: number, timeZone: string | undefined): number {
  return instant + utcOffset(instant, timeZone)
}

/** The instants whose wall time in `timeZone` is `wall`, earliest first: none, one or two. */
export function instantsAt(wall: number, timeZone: string | undefined): number[] {
  if (isUtc(timeZone)) return [wall]
  // Offsets change at most once within a day either side (no zone moves its clocks twice in two days).
  const offsets = new Set([utcOffset(wall - DAY, timeZone), utcOffset(wall + DAY, timeZone)])
  return [...offsets]
    .map((offset) => wall - offset)
    .filter((instant) => toWallTime(instant, timeZone) === wall)
    .sort((a, b) => a - b)
}

/** The most the wall clock jumps around `instant` (0 away from any daylight-saving change). */
export function clockShiftNear(instant: number, timeZone: string | undefined): number {
  return Math.abs(utcOffset(instant + DAY, timeZone) - utcOffset(instant - DAY, timeZone))
}

/**
 * Why `timeZone` is not a valid CronJob `.spec.timeZone`, or undefined when it is (undefined
 * itself means "not set"). Kubernetes' rules (pkg/apis/batch/validation validateTimeZone):
 * not empty; each "/" part 1-14 of A-Za-z 0-9 . - _ +, not "." or "..", not starting with "-"
 * (https://data.iana.org/time-zones/theory.html#naming); not "Local"; and a zone Go's
 * time.LoadLocation knows, whose names are case-sensitive ("europe/paris" is refused, although
 * Intl would accept it).
 */
export function timeZoneProblem(timeZone: string | undefined): string | undefined {
  if (timeZone === undefined) return undefined
  if (timeZone === '') return 'timeZone must be nil or non-empty string'
  const badPart = (part: string) => part === '.' || part === '..' || part.startsWith('-') || !/^[A-Za-z.\-_0-9+]{1,14}$/.test(part)
  if (timeZone.split('/').some(badPart)) return `unknown time zone ${timeZone}`
  if (timeZone.toLowerCase() === 'local') return 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'
  let resolved: string
  try {
    resolved = new Intl.DateTimeFormat('en-US', {timeZone}).resolvedOptions().timeZone
  } catch {
    return `unknown time zone ${timeZone}`
  }
  if (resolved !== timeZone && resolved.toLowerCase() === timeZone.toLowerCase()) return `unknown time zone ${timeZone}`
  return undefined
}
