import {describe, expect, test} from 'vitest'

import {nextCronRun} from '../../../src/catalog/cron-next-run.js'
import {UsageError} from '../../../src/errors.js'
import {nextScheduleTime, parseCron} from '../../../src/local-cluster/controllers/cron-schedule.js'

const at = (iso: string) => Date.parse(iso)

describe('nextCronRun', () => {
  test.each([
    ['15 2 * * *', '2026-11-23T12:00:00Z', undefined, '2026-11-24T02:15:00.000Z'],
    ['15 2 * * *', '2026-11-23T12:00:00Z', 'Europe/Paris', '2026-11-24T01:15:00.000Z'], // UTC+1 in winter
    ['15 2 * * *', '2026-07-01T12:00:00Z', 'Europe/Paris', '2026-07-02T00:15:00.000Z'], // UTC+2 in summer
    ['0 9 * * 1-5', '2026-11-27T15:00:00Z', 'America/New_York', '2026-11-30T14:00:00.000Z'], // Friday 10:00 EST: Monday
    ['30 */6 * * *', '2026-11-23T06:30:00Z', 'Asia/Kolkata', '2026-11-23T07:00:00.000Z'], // 12:30 IST
    ['0 0 29 2 *', '2026-03-01T00:00:00Z', 'UTC', '2028-02-29T00:00:00.000Z'],
  ])('%s after %s in %s: %s', (schedule, after, timeZone, next) => {
    expect(nextCronRun(schedule, {after: at(after), timeZone}).toISOString()).toBe(next)
  })

  test('after may be a Date', () => {
    expect(nextCronRun('*/15 * * * *', {after: new Date('2026-11-23T12:07:00Z')}).toISOString()).toBe('2026-11-23T12:15:00.000Z')
  })

  test.each([
    ['0 2 * *', undefined, 'cron schedule "0 2 * *" needs 5 fields (minute hour day-of-month month day-of-week), has 4'],
    ['@daily', undefined, 'cron schedule "@daily" needs 5 fields (minute hour day-of-month month day-of-week), has 1'],
    ['0 2 * * *', 'Europe/Pariss', 'time zone "Europe/Pariss" is not an IANA time zone name (e.g. Europe/Paris, America/New_York, UTC)'],
  ])('refuses %j in %s with a UsageError', (schedule, timeZone, message) => {
    let caught: unknown
    try {
      nextCronRun(schedule, {after: 0, timeZone})
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(UsageError)
    expect((caught as Error).message).toBe(message)
  })
})

/**
 * Fidelity: for schedules the catalog accepts, the product side (cron-parser) and the local
 * control plane's CronJob controller (robfig/cron rules) name the same next run, away from
 * daylight-saving changes. The two must not share code, so this is where they are compared.
 */
describe('nextCronRun agrees with the CronJob controller', () => {
  const schedules = ['15 2 * * *', '*/10 * * * *', '0 */6 * * 1-5', '0,30 8-18 1,15 1-12 0', '0-30/5 0 * * *', '5 4 1 * *', '0 0 13 * 5', '0 0 * * 0', '0 12 29 2 *', '45 23 31 * *']
  const zones = [undefined, 'Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe']
  const starts = ['2026-01-15T10:17:00Z', '2026-06-30T23:59:00Z', '2026-12-31T22:00:00Z']
  const cases = schedules.flatMap((schedule) => zones.flatMap((zone) => starts.map((start) => [schedule, zone, start] as const)))

  test(`${cases.length} schedule, zone and start combinations`, () => {
    const disagreements = cases.filter(([schedule, zone, start]) => {
      const catalog = nextCronRun(schedule, {after: at(start), timeZone: zone}).getTime()
      return catalog !== nextScheduleTime(parseCron(schedule), at(start), zone)
    })
    expect(disagreements).toEqual([])
  })
})
