import {describe, expect, test} from 'vitest'

import {checkCron, checkTimeZone, planSchedules, sliceCron, sliceIntervalMinutes} from '../../../src/backup/schedule/schedule-plan.js'

describe('the oplog slice interval: half the RPO, whole minutes, 1 to 60', () => {
  test.each([
    ['30s', 1, '* * * * *'],
    ['1m', 1, '* * * * *'],
    ['3m', 1, '* * * * *'],
    ['5m', 2, '*/2 * * * *'],
    ['15m', 7, '*/7 * * * *'],
    ['1h', 30, '*/30 * * * *'],
    ['2h', 60, '0 * * * *'],
    ['24h', 60, '0 * * * *'],
  ])('RPO %s -> every %i minute(s): %s', (rpo, minutes, cron) => {
    expect(sliceIntervalMinutes(rpo)).toBe(minutes)
    expect(sliceCron(minutes)).toBe(cron)
  })
})

describe('schedules per database', () => {
  const visitors = {service: 'visitors', database: 'visitors-db', dbName: 'visitors', rpo: '5m', schedule: '30 */6 * * *', timeZone: 'Asia/Kolkata'}
  const reports = {service: 'reports', database: 'reports-db', dbName: 'reports', rpo: '1h'}

  test('the descriptor\'s schedule and time zone; no schedule means slices only', () => {
    expect(planSchedules([visitors, reports])).toEqual([
      {service: 'visitors', database: 'visitors-db', rpo: '5m', base: {schedule: '30 */6 * * *', timeZone: 'Asia/Kolkata', overridden: false}, slices: {schedule: '*/2 * * * *', intervalMinutes: 2}, verify: {schedule: '45 2 * * 1', timeZone: 'Asia/Kolkata', overridden: false}},
      // The weekly verification: slots by database name (reports-db before visitors-db), in the backups' time zone.
      {service: 'reports', database: 'reports-db', rpo: '1h', slices: {schedule: '*/30 * * * *', intervalMinutes: 30}, verify: {schedule: '45 2 * * 0', overridden: false}},
    ])
  })

  test.each([
    [{schedule: '0 */4 * * *'}, {schedule: '0 */4 * * *', timeZone: 'Asia/Kolkata', overridden: true}],
    [{timeZone: 'UTC'}, {schedule: '30 */6 * * *', timeZone: 'UTC', overridden: true}],
  ])('an override %j wins over the descriptor', (override, base) => {
    expect(planSchedules([visitors], new Map([['visitors-db', override]]))[0].base).toEqual(base)
  })

  test('a --verify-set override moves the verification only', () => {
    const [planned] = planSchedules([visitors], new Map([['visitors-db', {verifySchedule: '0 4 * * 6'}]]))
    expect(planned.verify).toEqual({schedule: '0 4 * * 6', timeZone: 'Asia/Kolkata', overridden: true})
    expect(planned.base).toEqual({schedule: '30 */6 * * *', timeZone: 'Asia/Kolkata', overridden: false})
  })

  test.each([
    ['every 5 minutes', /"every 5 minutes" is not a five-field cron schedule/],
    ['0 * * *', /is not a five-field cron schedule/],
    ['@daily', /is not a five-field cron schedule/],
  ])('--set %j is refused by name', (text, message) => {
    expect(() => checkCron(text)).toThrow(message)
  })

  test('a cron schedule is normalised; a time zone must be IANA', () => {
    expect(checkCron(' 0  */4 * * * ')).toBe('0 */4 * * *')
    expect(checkTimeZone('Asia/Kolkata')).toBe('Asia/Kolkata')
    expect(() => checkTimeZone('Mars/Olympus')).toThrow(/--time-zone "Mars\/Olympus" is not an IANA time zone/)
  })
})
