import {describe, expect, test} from 'vitest'

import {cronProblem, timeZoneProblem} from '../../../src/catalog/cron.js'

describe('cronProblem', () => {
  test.each(['0 2 * * *', '*/15 * * * *', '0 */6 * * 1-5', '0,30 8-18 1,15 1-12 0', '59 23 31 12 6', '0-30/5 0 * * *'])('accepts %s', (expression) => {
    expect(cronProblem(expression)).toBeUndefined()
  })

  test.each([
    ['0 2 * *', 'needs 5 fields (minute hour day-of-month month day-of-week), has 4'],
    ['0 2 * * * *', 'needs 5 fields (minute hour day-of-month month day-of-week), has 6'],
    ['60 * * * *', 'minute 60 is outside 0-59'],
    ['0 24 * * *', 'hour 24 is outside 0-23'],
    ['0 0 0 * *', 'day of month 0 is outside 1-31'],
    ['0 0 * 13 *', 'month 13 is outside 1-12'],
    ['0 0 * * 8', 'day of week 8 is outside 0-6'],
    ['0 0 * * 7', 'day of week 7 is outside 0-6'], // Kubernetes refuses 7 (Vixie cron's other Sunday)
    ['0 0 * * mon', 'day of week "mon" is not a number, range or step'],
    ['@daily', 'needs 5 fields (minute hour day-of-month month day-of-week), has 1'],
    ['*/0 * * * *', 'minute step must be at least 1'],
    ['0 18-8 * * *', 'hour range 18-8 runs backwards'],
  ])('refuses %s: %s', (expression, problem) => {
    expect(cronProblem(expression)).toBe(problem)
  })
})

describe('cronProblem: what Kubernetes refuses, and schedules it accepts that cannot be meant', () => {
  test.each([
    ['CRON_TZ=Europe/Paris 0 2 * * *', 'must not name a time zone (Kubernetes refuses TZ= and CRON_TZ= in a CronJob schedule): give an IANA time zone separately'],
    ['TZ=UTC 0 2 * * *', 'must not name a time zone (Kubernetes refuses TZ= and CRON_TZ= in a CronJob schedule): give an IANA time zone separately'],
    ['0 2 */2 * 1-5', 'day of month "*/2" with day of week "1-5" is ambiguous: Kubernetes runs it on days matching both, most crons on days matching either; restrict one of the two'],
    ['0 2 5,*/2 * 1', 'day of month "5,*/2" with day of week "1" is ambiguous: Kubernetes runs it on days matching both, most crons on days matching either; restrict one of the two'],
    ['0 2 13 * */2', 'day of month "13" with day of week "*/2" is ambiguous: Kubernetes runs it on days matching both, most crons on days matching either; restrict one of the two'],
    ['0 2 30 2 *', 'never runs: no chosen month has day 30'],
    ['0 2 31 4,6,9,11 *', 'never runs: no chosen month has day 31'],
  ])('refuses %j: %s', (expression, problem) => {
    expect(cronProblem(expression)).toBe(problem)
  })

  test.each(['0 2 29 2 *', '0 2 31 1-12 *', '0 2 */2 * *', '0 2 * * */2', '0 2 1,15 * 1', '0 2 30 2 1'])('accepts %j', (expression) => {
    expect(cronProblem(expression)).toBeUndefined()
  })
})

describe('timeZoneProblem: CronJob .spec.timeZone rules', () => {
  test.each(['Europe/Paris', 'UTC', 'Etc/UTC', 'America/Argentina/Buenos_Aires', 'Asia/Kolkata', 'US/Eastern'])('accepts %s', (zone) => {
    expect(timeZoneProblem(zone)).toBeUndefined()
  })

  test.each([
    ['', 'must be an IANA time zone name such as Europe/Paris, not empty'],
    ['Local', 'must name an explicit IANA time zone such as Europe/Paris, not Local'],
    ['Europe/Pariss', '"Europe/Pariss" is not an IANA time zone name (e.g. Europe/Paris, America/New_York, UTC)'],
    ['europe/paris', '"europe/paris" is not an IANA time zone name (e.g. Europe/Paris, America/New_York, UTC)'],
    ['../zoneinfo/UTC', '"../zoneinfo/UTC" is not an IANA time zone name (e.g. Europe/Paris, America/New_York, UTC)'],
    ['+01:00', '"+01:00" is not an IANA time zone name (e.g. Europe/Paris, America/New_York, UTC)'],
  ])('refuses %j: %s', (zone, problem) => {
    expect(timeZoneProblem(zone)).toBe(problem)
  })
})
