import {describe, expect, test} from 'vitest'
import type {KubeObject} from '../../../../src/kube/types.js'
import {cronMatches, lastScheduleTime, nextScheduleTime, parseCron} from '../../../../src/local-cluster/controllers/cron-schedule.js'
import {reconcileCronJob, scheduledJobName} from '../../../../src/local-cluster/controllers/cronjob-sync.js'

const at = (iso: string) => Date.parse(iso)

describe('cron matcher', () => {
  test.each([
    ['* * * * *', '2026-11-23T12:34:00Z', true],
    ['*/15 * * * *', '2026-11-23T12:45:00Z', true],
    ['*/15 * * * *', '2026-11-23T12:44:00Z', false],
    ['0 2 * * *', '2026-11-23T02:00:00Z', true],
    ['0 2 * * *', '2026-11-23T03:00:00Z', false],
    ['30 9-17/2 * * *', '2026-11-23T11:30:00Z', true],
    ['30 9-17/2 * * *', '2026-11-23T12:30:00Z', false],
    ['0 0 1,15 * *', '2026-11-15T00:00:00Z', true],
    ['0 0 * * MON-FRI', '2026-11-23T00:00:00Z', true], // a Monday
    ['0 0 * * SAT,SUN', '2026-11-23T00:00:00Z', false],
    ['0 0 * * 0', '2026-11-22T00:00:00Z', true], // 0 is Sunday (Kubernetes refuses 7)
    ['0 0 * JAN *', '2026-01-05T00:00:00Z', true],
    ['0 0 13 * FRI', '2026-11-13T00:00:00Z', true], // both day fields restricted: either matches
    ['0 0 13 * FRI', '2026-11-20T00:00:00Z', true],
    ['0 0 13 * FRI', '2026-10-13T00:00:00Z', true], // a Tuesday the 13th
    ['0 0 13 * FRI', '2026-11-21T00:00:00Z', false],
    ['@hourly', '2026-11-23T05:00:00Z', true],
    ['@daily', '2026-11-23T00:00:00Z', true],
    ['@weekly', '2026-11-22T00:00:00Z', true],
    ['5 4 ? * *', '2026-11-23T04:05:00Z', true],
  ])('%s at %s: %s', (expression, iso, expected) => {
    expect(cronMatches(parseCron(expression), at(iso))).toBe(expected)
  })

  test.each(['* * * *', '60 * * * *', '* 24 * * *', '* * 0 * *', '* * * 13 *', '*/0 * * * *', 'a * * * *', '5-1 * * * *', '0 0 * * 7'])('rejects %j', (expression) => {
    expect(() => parseCron(expression)).toThrow()
  })

  test('time zones shift the wall clock', () => {
    expect(cronMatches(parseCron('0 9 * * *'), at('2026-11-23T08:00:00Z'), 'Europe/Paris')).toBe(true)
    expect(cronMatches(parseCron('0 9 * * *'), at('2026-11-23T08:00:00Z'))).toBe(false)
  })

  test('last and next schedule times', () => {
    const schedule = parseCron('*/10 * * * *')
    expect(lastScheduleTime(schedule, at('2026-11-23T12:00:00Z'), at('2026-11-23T12:25:30Z'))).toBe(at('2026-11-23T12:20:00Z'))
    expect(lastScheduleTime(schedule, at('2026-11-23T12:20:00Z'), at('2026-11-23T12:25:30Z'))).toBeUndefined()
    expect(nextScheduleTime(schedule, at('2026-11-23T12:25:30Z'))).toBe(at('2026-11-23T12:30:00Z'))
    expect(nextScheduleTime(parseCron('0 0 29 2 *'), at('2026-03-01T00:00:00Z'))).toBe(at('2028-02-29T00:00:00Z'))
  })
})

function cronJob(spec: Record<string, unknown>, status: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: {name: 'backup', namespace: 'ns', uid: 'cj-uid', creationTimestamp: '2026-11-23T11:00:00Z'},
    spec: {schedule: '0 * * * *', jobTemplate: {spec: {template: {spec: {containers: [{name: 'b', image: 'b'}]}}}}, ...spec},
    status,
  }
}
function job(name: string, state: 'active' | 'done' | 'failed', finished = '2026-11-23T11:30:00Z'): KubeObject {
  const conditions = state === 'done' ? [{type: 'Complete', status: 'True'}] : state === 'failed' ? [{type: 'Failed', status: 'True'}] : []
  return {apiVersion: 'batch/v1', kind: 'Job', metadata: {name, namespace: 'ns', uid: `${name}-uid`}, status: {conditions, completionTime: finished}}
}
const created = (actions: ReturnType<typeof reconcileCronJob>['actions']) =>
  actions.filter((a) => a.type === 'create' && a.object.kind === 'Job').map((a) => (a as {object: KubeObject}).object.metadata.name)
const deleted = (actions: ReturnType<typeof reconcileCronJob>['actions']) => actions.filter((a) => a.type === 'delete').map((a) => (a as {name: string}).name)

describe('reconcileCronJob', () => {
  const now = at('2026-11-23T12:00:30Z')
  const due = at('2026-11-23T12:00:00Z')

  test('creates the due Job named after the scheduled minute and records lastScheduleTime', () => {
    const result = reconcileCronJob(cronJob({}), [], now)
    expect(created(result.actions)).toEqual([scheduledJobName(cronJob({}), due)])
    expect(result.status.lastScheduleTime).toBe('2026-11-23T12:00:00Z')
    expect(result.status.active).toHaveLength(1)
    expect(result.requeueAfterMs).toBe(at('2026-11-23T13:00:00Z') - now + 1)
  })

  test.each([
    ['Allow', ['old'], [], 1],
    ['Forbid', [], [], 0],
    ['Replace', [], ['old'], 1],
  ] as const)('%s with a Job still running: deletes %j, creates %i', (policy, _keep, deletes, creates) => {
    const result = reconcileCronJob(cronJob({concurrencyPolicy: policy}), [job('old', 'active')], now)
    expect(created(result.actions)).toHaveLength(creates)
    expect(deleted(result.actions)).toEqual(deletes)
  })

  test('suspended, past the starting deadline, or already run: nothing created', () => {
    expect(created(reconcileCronJob(cronJob({suspend: true}), [], now).actions)).toEqual([])
    expect(created(reconcileCronJob(cronJob({startingDeadlineSeconds: 10}), [], now).actions)).toEqual([])
    expect(created(reconcileCronJob(cronJob({}), [job(scheduledJobName(cronJob({}), due), 'active')], now).actions)).toEqual([])
  })

  test('history limits keep the newest successful and failed Jobs', () => {
    const jobs = [
      job('s1', 'done', '2026-11-23T08:00:00Z'),
      job('s2', 'done', '2026-11-23T09:00:00Z'),
      job('s3', 'done', '2026-11-23T10:00:00Z'),
      job('f1', 'failed', '2026-11-23T08:00:00Z'),
      job('f2', 'failed', '2026-11-23T09:00:00Z'),
    ]
    const result = reconcileCronJob(cronJob({successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 1}, {lastScheduleTime: '2026-11-23T12:00:00Z'}), jobs, now)
    expect(deleted(result.actions).sort()).toEqual(['f1', 's1'])
    expect(result.status.lastSuccessfulTime).toBe(new Date('2026-11-23T10:00:00Z').toISOString())
  })
})
