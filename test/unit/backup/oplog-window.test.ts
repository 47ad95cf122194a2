import {describe, expect, test} from 'vitest'

import {backupHealth, type HealthInput} from '../../../src/backup/catalog/health.js'
import {sliceIntervalMinutes} from '../../../src/backup/schedule/schedule-plan.js'
import {testBackup, testSlice} from './catalog-builders.js'

const s = (iso: string) => Date.parse(iso) / 1000
const baseAt = (finishIso: string) => testBackup({id: finishIso, last: `${s(finishIso)}:0`, startedAt: finishIso, finishedAt: finishIso})
const sliceEndingAt = (lastIso: string) => testSlice(`${s(lastIso) - 60}:0`, `${s(lastIso)}:0`)

// RPO 30m -> slices every 15m (schedule-plan.ts); no base schedule, so only the oplog window speaks.
const input = (overrides: Partial<HealthInput>): HealthInput => ({
  now: new Date('2026-12-03T12:00:00Z'),
  rpoMs: 30 * 60_000,
  sliceIntervalMs: sliceIntervalMinutes('30m') * 60_000,
  backups: [baseAt('2026-12-03T11:50:00Z')],
  slices: [],
  ...overrides,
})

describe('backup status: the oplog window against the slice interval', () => {
  test('the slice interval is the one the slice CronJob runs at', () => {
    expect(sliceIntervalMinutes('30m')).toBe(15)
  })

  test.each<[string, Partial<HealthInput>, HealthInput['sliceRunAt'] | undefined, 'healthy' | 'degraded' | 'failing', string[], number | undefined]>([
    ['a fresh slice (under one interval)', {backups: [baseAt('2026-12-03T10:00:00Z')], slices: [sliceEndingAt('2026-12-03T11:55:00Z')]}, undefined, 'healthy', [], 5],
    ['one interval behind: the slice being written', {backups: [baseAt('2026-12-03T10:00:00Z')], slices: [sliceEndingAt('2026-12-03T11:40:00Z')]}, undefined, 'healthy', [], 20],
    ['exactly two intervals: still on time', {backups: [baseAt('2026-12-03T10:00:00Z')], slices: [sliceEndingAt('2026-12-03T11:30:00Z')]}, undefined, 'healthy', [], 30],
    [
      'over two intervals: the CronJob stopped',
      {rpoMs: 2 * 3_600_000, sliceIntervalMs: 15 * 60_000, backups: [baseAt('2026-12-03T10:00:00Z')], slices: [sliceEndingAt('2026-12-03T11:13:00Z')]},
      undefined,
      'degraded',
      ['newest oplog slice 47m old, slices every 15m: oplog slice CronJob not running?'],
      47,
    ],
    ['no slice yet, ten minutes after a base: normal', {}, undefined, 'healthy', [], 10],
    [
      'no slice in the 40m since a base',
      {rpoMs: 2 * 3_600_000, backups: [baseAt('2026-12-03T11:20:00Z')]},
      undefined,
      'degraded',
      ['no oplog slice in the 40m since the newest base backup, slices every 15m: oplog slice CronJob not running?'],
      40,
    ],
    [
      'an idle database: the CronJob succeeded without a slice to record',
      {rpoMs: 4 * 3_600_000, backups: [baseAt('2026-12-03T09:00:00Z')], slices: [sliceEndingAt('2026-12-03T10:00:00Z')]},
      '2026-12-03T11:45:00Z',
      'healthy',
      [],
      15,
    ],
    [
      'the CronJob last succeeded an hour ago',
      {rpoMs: 4 * 3_600_000, backups: [baseAt('2026-12-03T09:00:00Z')], slices: [sliceEndingAt('2026-12-03T10:00:00Z')]},
      '2026-12-03T11:00:00Z',
      'degraded',
      ['last successful oplog slice run 1h ago, slices every 15m: oplog slice CronJob not running?'],
      60,
    ],
    ['no interval given: the window is not checked', {sliceIntervalMs: undefined, rpoMs: 2 * 3_600_000, backups: [baseAt('2026-12-03T11:00:00Z')]}, undefined, 'healthy', [], undefined],
  ])('%s', (_what, overrides, sliceRunAt, verdict, problems, lagMinutes) => {
    const health = backupHealth(input({...overrides, ...(sliceRunAt ? {sliceRunAt} : {})}))
    expect(health.problems).toEqual(problems)
    expect(health.verdict).toBe(verdict)
    expect(health.oplogLagMs).toBe(lagMinutes === undefined ? undefined : lagMinutes * 60_000)
    expect(health.oplogBehind).toBe(problems.some((p) => p.includes('CronJob not running')))
  })
})
