import {describe, expect, test} from 'vitest'
import type {KubeObject} from '../../../../src/kube/types.js'
import {CronSyntaxError, lastScheduleTime, nextScheduleTime, parseCron} from '../../../../src/local-cluster/controllers/cron-schedule.js'
import {reconcileCronJob} from '../../../../src/local-cluster/controllers/cronjob-sync.js'
import {instantsAt, timeZoneProblem} from '../../../../src/local-cluster/controllers/time-zone.js'

/**
 * The CronJob schedule against Kubernetes' own rules: robfig/cron v3 ParseStandard (the verdicts
 * and messages below are read off its parser.go), robfig's day rule, its wall-clock walk across
 * daylight-saving changes, and kube-apiserver's time zone validation.
 */
const at = (iso: string) => Date.parse(iso)
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString())

function refusal(expression: string): string {
  try {
    parseCron(expression)
  } catch (error) {
    expect(error).toBeInstanceOf(CronSyntaxError)
    return (error as Error).message
  }
  throw new Error(`${JSON.stringify(expression)} was accepted`)
}

describe('reading a schedule as kube-apiserver does', () => {
  test.each([
    ['', 'empty spec string'],
    ['0 2 * *', 'expected exactly 5 fields, found 4: [0 2 * *]'],
    ['0 0 2 * * *', 'expected exactly 5 fields, found 6: [0 0 2 * * *]'],
    ['60 * * * *', 'end of range (60) above maximum (59): 60'],
    ['0 0 * * 7', 'end of range (7) above maximum (6): 7'], // 0-6 (sun-sat); Vixie cron's 7 is refused
    ['0 0 * * 5-7', 'end of range (7) above maximum (6): 5-7'],
    ['0 0 0 * *', 'beginning of range (0) below minimum (1): 0'],
    ['0 18-8 * * *', 'beginning of range (18) beyond end of range (8): 18-8'],
    ['*/0 * * * *', 'step of range should be a positive number: */0'],
    ['1-2-3 * * * *', 'too many hyphens: 1-2-3'],
    ['*/5/2 * * * *', 'too many slashes: */5/2'],
    ['a * * * *', 'failed to parse int from a'],
    ['0 0 jan * *', 'failed to parse int from jan'], // names only in month and day of week
    ['0 0 * * monday', 'failed to parse int from monday'],
    ['0 0 * * Sat-Sun', 'beginning of range (6) beyond end of range (0): Sat-Sun'],
    ['0 0 L * *', 'failed to parse int from L'],
    ['0 0 1W * *', 'failed to parse int from 1W'],
    ['0 0 * * 1#2', 'failed to parse int from 1#2'],
    ['0 0 * * 5L', 'failed to parse int from 5L'],
    ['H * * * *', 'failed to parse int from H'],
    ['@minutely', 'unrecognized descriptor: @minutely'],
    ['@DAILY', 'unrecognized descriptor: @DAILY'],
    ['@reboot', 'unrecognized descriptor: @reboot'],
    ['toString', 'expected exactly 5 fields, found 1: [toString]'], // not looked up as a macro
    ['CRON_TZ=UTC 0 0 * * *', 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'],
    ['TZ=Europe/Paris 0 9 * * *', 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'],
    ['@every 1h', '@every schedules are not simulated by the local control plane: @every 1h'],
  ])('refuses %j: %s', (expression, message) => {
    expect(refusal(expression)).toBe(message)
  })

  test.each([
    ['@yearly', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00.000Z'],
    ['@annually', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00.000Z'],
    ['@monthly', '2026-11-23T00:00:00Z', '2026-12-01T00:00:00.000Z'],
    ['@weekly', '2026-11-23T00:00:00Z', '2026-11-29T00:00:00.000Z'], // a Sunday
    ['@daily', '2026-11-23T00:00:00Z', '2026-11-24T00:00:00.000Z'],
    ['@midnight', '2026-11-23T00:00:00Z', '2026-11-24T00:00:00.000Z'],
    ['@hourly', '2026-11-23T00:00:00Z', '2026-11-23T01:00:00.000Z'],
    ['? ? ? ? ?', '2026-11-23T00:00:00Z', '2026-11-23T00:01:00.000Z'],
    ['5/15 * * * *', '2026-11-23T00:50:00Z', '2026-11-23T01:05:00.000Z'], // 5/15 is 5-59/15
    ['*-5 * * * *', '2026-11-23T00:00:00Z', '2026-11-23T00:01:00.000Z'], // robfig ignores what follows "*"
    ['1,,2 * * * *', '2026-11-23T00:01:00Z', '2026-11-23T00:02:00.000Z'], // and empty list items
    ['0 0 * JAN-mar *', '2026-11-23T00:00:00Z', '2027-01-01T00:00:00.000Z'],
    ['0 0 * * sat,SUN', '2026-11-23T00:00:00Z', '2026-11-28T00:00:00.000Z'],
    ['  0 2 * * *  ', '2026-11-23T00:00:00Z', '2026-11-23T02:00:00.000Z'],
  ])('accepts %j: the run after %s is %s', (expression, after, next) => {
    expect(iso(nextScheduleTime(parseCron(expression), at(after)))).toBe(next)
  })

  test('a day the chosen months never have is accepted and never runs, as in Kubernetes', () => {
    const never = parseCron('0 0 30 2 *')
    expect(nextScheduleTime(never, at('2026-01-01T00:00:00Z'))).toBeUndefined()
    expect(lastScheduleTime(never, 0, at('2026-01-01T00:00:00Z'))).toBeUndefined()
  })
})

describe("robfig's day rule: both days when either field starts with * or ?, either day otherwise", () => {
  const runs = (expression: string, from: string, count: number) => {
    const schedule = parseCron(expression)
    const found: Array<string | undefined> = []
    let after = at(from)
    for (let i = 0; i < count; i++) {
      const next = nextScheduleTime(schedule, after)
      found.push(iso(next)?.slice(0, 10))
      after = next ?? Infinity
    }
    return found
  }

  test.each([
    ['0 0 13 * 5', ['2026-11-06', '2026-11-13', '2026-11-20']], // the 13th or a Friday
    ['0 0 1-31 * 1', ['2026-11-02', '2026-11-03', '2026-11-04']], // 1-31 is a restriction: every day
    ['0 0 */2 * 1', ['2026-11-09', '2026-11-23', '2026-12-07']], // */2 is starred: odd days that are Mondays
    ['0 0 ?/2 * 1', ['2026-11-09', '2026-11-23', '2026-12-07']],
    ['0 0 13 * */2', ['2026-12-13', '2027-02-13', '2027-03-13']], // the 13th on Sun, Tue, Thu or Sat
    ['0 0 * * 1', ['2026-11-02', '2026-11-09', '2026-11-16']],
    ['0 0 */10 * *', ['2026-11-11', '2026-11-21', '2026-12-01']], // 1, 11, 21, 31: November has no 31st
  ])('%s from 2026-11-01: %j', (expression, days) => {
    expect(runs(expression, '2026-11-01T00:00:00Z', 3)).toEqual(days)
  })

  test('the last run honours the same rule', () => {
    expect(iso(lastScheduleTime(parseCron('0 0 */2 * 1'), at('2026-11-01T00:00:00Z'), at('2026-11-30T00:00:00Z')))).toBe('2026-11-23T00:00:00.000Z')
  })
})

describe('time zones: every minute whose wall clock matches, as robfig walks the wall clock', () => {
  test.each([
    // New York springs forward on 2026-03-08 at 02:00: 02:30 does not exist that day.
    ['30 2 * * *', 'America/New_York', '2026-03-07T08:00:00Z', '2026-03-09T06:30:00.000Z'],
    ['0 * * * *', 'America/New_York', '2026-03-08T06:30:00Z', '2026-03-08T07:00:00.000Z'], // 01:30 EST, then 03:00 EDT
    // New York falls back on 2026-11-01 at 02:00: 01:30 happens twice, and runs twice.
    ['30 1 * * *', 'America/New_York', '2026-11-01T05:00:00Z', '2026-11-01T05:30:00.000Z'],
    ['30 1 * * *', 'America/New_York', '2026-11-01T05:30:00Z', '2026-11-01T06:30:00.000Z'],
    ['30 1 * * *', 'America/New_York', '2026-11-01T05:45:00Z', '2026-11-01T06:30:00.000Z'],
    ['30 1 * * *', 'America/New_York', '2026-11-01T06:30:00Z', '2026-11-02T06:30:00.000Z'],
    // Paris springs forward on 2026-03-29 at 02:00.
    ['30 2 * * *', 'Europe/Paris', '2026-03-28T02:00:00Z', '2026-03-30T00:30:00.000Z'],
    ['0 9 * * *', 'Europe/Paris', '2026-11-23T00:00:00Z', '2026-11-23T08:00:00.000Z'],
    ['0 9 * * *', 'Asia/Kolkata', '2026-11-23T00:00:00Z', '2026-11-23T03:30:00.000Z'],
    ['0 9 * * *', 'Etc/UTC', '2026-11-23T00:00:00Z', '2026-11-23T09:00:00.000Z'],
  ])('%s in %s after %s: %s', (expression, zone, after, next) => {
    expect(iso(nextScheduleTime(parseCron(expression), at(after), zone))).toBe(next)
  })

  test.each([
    ['30 1 * * *', '2026-11-01T00:00:00Z', '2026-11-01T06:45:00Z', '2026-11-01T06:30:00.000Z'], // the second 01:30
    ['30 1 * * *', '2026-11-01T00:00:00Z', '2026-11-01T06:15:00Z', '2026-11-01T05:30:00.000Z'], // the first
    ['30 2 * * *', '2026-03-08T00:00:00Z', '2026-03-09T05:00:00Z', undefined], // skipped
  ])('%s in New York, last run in (%s, %s]: %s', (expression, after, atOrBefore, last) => {
    expect(iso(lastScheduleTime(parseCron(expression), at(after), at(atOrBefore), 'America/New_York'))).toBe(last)
  })

  test('wall times map to none, one or two instants', () => {
    expect(instantsAt(at('2026-03-08T02:30:00Z'), 'America/New_York')).toEqual([])
    expect(instantsAt(at('2026-07-01T12:00:00Z'), 'America/New_York')).toEqual([at('2026-07-01T16:00:00Z')])
    expect(instantsAt(at('2026-11-01T01:30:00Z'), 'America/New_York')).toEqual([at('2026-11-01T05:30:00Z'), at('2026-11-01T06:30:00Z')])
  })
})

describe('timeZoneProblem: kube-apiserver validateTimeZone', () => {
  test.each(['Europe/Paris', 'UTC', 'Etc/UTC', 'Etc/GMT+1', 'US/Eastern', 'America/Argentina/Buenos_Aires', 'Asia/Kolkata', undefined])('accepts %s', (zone) => {
    expect(timeZoneProblem(zone)).toBeUndefined()
  })

  test.each([
    ['', 'timeZone must be nil or non-empty string'],
    ['Local', 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'],
    ['Europe/Pariss', 'unknown time zone Europe/Pariss'],
    ['europe/paris', 'unknown time zone europe/paris'], // Go's zone names are case-sensitive
    ['../etc/passwd', 'unknown time zone ../etc/passwd'],
    ['America/-Chicago', 'unknown time zone America/-Chicago'],
    ['Europe/Paris_and_more', 'unknown time zone Europe/Paris_and_more'], // a part longer than 14 characters
    ['GMT+1', 'unknown time zone GMT+1'],
  ])('refuses %j: %s', (zone, message) => {
    expect(timeZoneProblem(zone)).toBe(message)
  })
})

describe('reconcileCronJob with schedules Kubernetes refuses', () => {
  const cronJob = (spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: {name: 'backup', namespace: 'ns', uid: 'cj-uid', creationTimestamp: '2026-11-23T11:00:00Z'},
    spec: {schedule: '0 * * * *', jobTemplate: {spec: {template: {spec: {containers: [{name: 'b', image: 'b'}]}}}}, ...spec},
  })
  const now = at('2026-11-23T12:00:30Z')

  test.each([
    [{timeZone: 'Europe/Pariss'}, 'invalid timeZone "Europe/Pariss": unknown time zone Europe/Pariss'],
    [{timeZone: ''}, 'invalid timeZone "": timeZone must be nil or non-empty string'],
    [{schedule: 'CRON_TZ=Europe/Paris 0 * * * *'}, 'unparseable schedule "CRON_TZ=Europe/Paris 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead'],
    [{schedule: '0 * * * * *'}, 'unparseable schedule "0 * * * * *": expected exactly 5 fields, found 6: [0 * * * * *]'],
  ])('%j: no Job, and the reason', (spec, error) => {
    const result = reconcileCronJob(cronJob(spec), [], now)
    expect(result.error).toBe(error)
    expect(result.actions.filter((action) => action.type === 'create')).toEqual([])
  })

  test('a valid time zone runs at its wall clock', () => {
    const result = reconcileCronJob(cronJob({schedule: '0 13 * * *', timeZone: 'Europe/Paris'}), [], now)
    expect(result.error).toBeUndefined()
    expect(result.status.lastScheduleTime).toBe('2026-11-23T12:00:00Z')
  })
})
