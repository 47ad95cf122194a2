/**
 * Checks a standard 5-field cron schedule (minute hour day-of-month month day-of-week), numbers
 * only: `*`, `5`, `1-5`, `*\/15`, `0-30/5` and comma lists of those. Names (`mon`, `jan`) and
 * macros (`@daily`) are refused on purpose: the backup CronJob and every reader of the catalog
 * then agree on one spelling.
 */

const FIELDS = [
  {name: 'minute', min: 0, max: 59},
  {name: 'hour', min: 0, max: 23},
  {name: 'day of month', min: 1, max: 31},
  {name: 'month', min: 1, max: 12},
  // 0 and 7 are both Sunday, as in Vixie cron and Kubernetes CronJobs.
  {name: 'day of week', min: 0, max: 7},
] as const

const ITEM = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/

/** Why `expression` is not a valid schedule, or undefined when it is. */
export function cronProblem(expression: string): string | undefined {
  const parts = expression.trim().split(/\s+/)
  if (parts.length !== FIELDS.length) return `needs 5 fields (minute hour day-of-month month day-of-week), has ${parts.length}`
  for (const [index, part] of parts.entries()) {
    const field = FIELDS[index]
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
    }
  }
  return undefined
}

export function isCronExpression(expression: string): boolean {
  return cronProblem(expression) === undefined
}
