/**
 * Checks a descriptor's `backup.schedule`, which becomes a Kubernetes CronJob's `.spec.schedule`.
 *
 * Standard 5-field cron (minute hour day-of-month month day-of-week), numbers only: `*`, `5`,
 * `1-5`, `*\/15`, `0-30/5` and comma lists of those. Kubernetes also takes names (`mon`, `jan`)
 * and macros (`@daily`); they are refused here on purpose, so the backup CronJob and every
 * reader of the catalog agree on one spelling. Beyond Kubernetes' own rules
 * (https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#schedule-syntax, read by
 * robfig/cron v3), two schedules Kubernetes accepts are refused because they cannot be what the
 * author meant: one whose day of month never comes in the chosen months (`0 2 30 2 *` never
 * runs), and one where a day field starting with `*` meets a restricted other day field
 * (`0 2 *\/2 * 1-5`: Kubernetes runs it on days matching both, most crons on days matching
 * either).
 *
 * Time zones never go in the schedule: the API server refuses `TZ=` and `CRON_TZ=` in
 * `.spec.schedule` since Kubernetes 1.29; a zone is an IANA name in `.spec.timeZone` (see
 * timeZoneProblem).
 *
 * Kept by hand rather than read with cron-parser (which src/catalog/cron-next-run.ts uses to
 * compute runs): cron-parser accepts what Kubernetes refuses (4 and 6 fields, L, W, #, H,
 * @minutely, an empty string) and its messages do not name the field; and this module is on the
 * start path of every command that loads the catalog, where cron-parser would add its import.
 */

const FIELDS = [
  {name: 'minute', min: 0, max: 59},
  {name: 'hour', min: 0, max: 23},
  {name: 'day of month', min: 1, max: 31},
  {name: 'month', min: 1, max: 12},
  // 0 is Sunday. Vixie cron takes 7 for Sunday too, Kubernetes (robfig/cron) refuses it.
  {name: 'day of week', min: 0, max: 6},
] as const

const ITEM = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/

/** The longest each month gets (February in a leap year). */
const DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/** Why `expression` is not a valid schedule, or undefined when it is. */
export function cronProblem(expression: string): string | undefined {
  if (expression.includes('TZ')) return 'must not name a time zone (Kubernetes refuses TZ= and CRON_TZ= in a CronJob schedule): give an IANA time zone separately'
  const parts = expression.trim().split(/\s+/)
  if (parts.length !== FIELDS.length) return `needs 5 fields (minute hour day-of-month month day-of-week), has ${parts.length}`
  const values: Array<Set<number>> = []
  for (const [index, part] of parts.entries()) {
    const field = FIELDS[index]
    const chosen = new Set<number>()
    for (const item of part.split(',')) {
      const match = ITEM.exec(item)
      if (!match) return `${field.name} "${item}" is not a number, range or step`
      const [, , from, to, step] = match
      for (const value of [from, to]) {
        if (value !== undefined && (Number(value) < field.min || Number(value) > field.max)) {
          return `${field.name} ${value} is outside ${field.min}-${field.max}`
        }
      }
      if (from !== undefined && to !== undefined && Number(from) > Number(to)) return `${field.name} range ${from}-${to} runs backwards`
      if (step !== undefined && Number(step) === 0) return `${field.name} step must be at least 1`
      const first = from === undefined ? field.min : Number(from)
      const last = to !== undefined ? Number(to) : from === undefined || step !== undefined ? field.max : first
      for (let value = first; value <= last; value += Number(step ?? 1)) chosen.add(value)
    }
    values.push(chosen)
  }
  return dayProblem(parts, values)
}

function dayProblem([, , days, , weekdays]: string[], [, , dayValues, months]: Array<Set<number>>): string | undefined {
  // robfig/cron marks a day field "starred" when any of its items starts with `*`.
  const starred = (field: string) => field.split(',').some((item) => item.startsWith('*'))
  const restricted = (field: string) => field !== '*'
  if ((starred(days) && restricted(days) && restricted(weekdays)) || (starred(weekdays) && restricted(weekdays) && restricted(days))) {
    return `day of month "${days}" with day of week "${weekdays}" is ambiguous: Kubernetes runs it on days matching both, most crons on days matching either; restrict one of the two`
  }
  const longest = Math.max(...[...months].map((month) => DAYS_IN_MONTH[month]))
  if (weekdays === '*' && Math.min(...dayValues) > longest) return `never runs: no chosen month has day ${Math.min(...dayValues)}`
  return undefined
}

export function isCronExpression(expression: string): boolean {
  return cronProblem(expression) === undefined
}

/**
 * Why `timeZone` is not a valid CronJob `.spec.timeZone`, or undefined when it is. Kubernetes'
 * rules (pkg/apis/batch/validation validateTimeZone): not empty; each "/" part 1-14 of
 * A-Za-z 0-9 . - _ +, not "." or "..", not starting with "-"; not "Local"; a zone Go's
 * time.LoadLocation knows, names being case-sensitive. The zone database here is the runtime's
 * (Intl), the API server's is Go's: a zone added very recently may be known to one only.
 */
export function timeZoneProblem(timeZone: string): string | undefined {
  if (timeZone === '') return 'must be an IANA time zone name such as Europe/Paris, not empty'
  const badPart = (part: string) => part === '.' || part === '..' || part.startsWith('-') || !/^[A-Za-z.\-_0-9+]{1,14}$/.test(part)
  if (timeZone.toLowerCase() === 'local') return 'must name an explicit IANA time zone such as Europe/Paris, not Local'
  let resolved: string | undefined
  try {
    resolved = timeZone.split('/').some(badPart) ? undefined : new Intl.DateTimeFormat('en-US', {timeZone}).resolvedOptions().timeZone
  } catch {
    resolved = undefined
  }
  // Intl forgives letter case ("europe/paris"); Go's zone lookup does not.
  if (resolved === undefined || (resolved !== timeZone && resolved.toLowerCase() === timeZone.toLowerCase())) return `"${timeZone}" is not an IANA time zone name (e.g. Europe/Paris, America/New_York, UTC)`
  return undefined
}
