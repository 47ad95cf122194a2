import {describe, expect, test} from 'vitest'

import {backupHealth, type HealthInput} from '../../../src/backup/catalog/health.js'
import {testBackup, testSlice} from './catalog-builders.js'

const s = (iso: string) => Date.parse(iso) / 1000
const backupAt = (startIso: string, finishIso: string, extra: Parameters<typeof testBackup>[0] = {}) =>
  testBackup({id: finishIso, last: `${s(finishIso)}:0`, startedAt: startIso, finishedAt: finishIso, ...extra})
const sliceTo = (afterIso: string, lastIso: string) => testSlice(`${s(afterIso)}:0`, `${s(lastIso)}:0`)

// The worked example of health.ts.
const base: HealthInput = {
  now: new Date('2026-12-03T10:32:00Z'),
  rpoMs: 3_600_000,
  schedule: '0 * * * *',
  timeZone: 'UTC',
  sliceIntervalMs: 300_000,
  backups: [backupAt('2026-12-03T08:00:00Z', '2026-12-03T08:05:00Z')],
  slices: [sliceTo('2026-12-03T10:24:00Z', '2026-12-03T10:29:00Z')],
}

describe('backup status health', () => {
  test('the worked example: recovery point fresh, two runs missed, oplog on time', () => {
    expect(backupHealth(base)).toEqual({
      verdict: 'degraded',
      lastGoodBackup: {id: '2026-12-03T08:05:00Z', finishedAt: '2026-12-03T08:05:00Z', ageMs: 147 * 60_000},
      recoveryPointAgeMs: 3 * 60_000,
      rpoBreached: false,
      missedRuns: 2,
      oplogLagMs: 3 * 60_000,
      oplogBehind: false,
      problems: ['2 scheduled runs missed'],
    })
  })

  test.each<[string, Partial<HealthInput>, string, string[]]>([
    ['all on time', {backups: [backupAt('2026-12-03T10:00:00Z', '2026-12-03T10:04:00Z')]}, 'healthy', []],
    ['a run still within its grace is not missed', {now: new Date('2026-12-03T11:10:00Z'), backups: [backupAt('2026-12-03T10:00:00Z', '2026-12-03T10:04:00Z')], slices: [sliceTo('2026-12-03T11:00:00Z', '2026-12-03T11:08:00Z')]}, 'healthy', []],
    ['no slices and an old backup breach the RPO', {slices: [], sliceIntervalMs: undefined}, 'failing', ['recovery point is 2h27m old, over the RPO of 1h', '2 scheduled runs missed']],
    ['oplog slices stalled', {backups: [backupAt('2026-12-03T10:00:00Z', '2026-12-03T10:04:00Z')], slices: [sliceTo('2026-12-03T10:00:00Z', '2026-12-03T10:05:00Z')]}, 'degraded', ['newest oplog slice 27m old, slices every 5m: oplog slice CronJob not running?']],
    ['no backups at all', {backups: [], slices: []}, 'failing', ['no good backup', 'no oplog slices']],
    ['a backup that failed verification is not good', {backups: [backupAt('2026-12-03T10:00:00Z', '2026-12-03T10:04:00Z', {verifications: [{at: 'x', verdict: 'failed', restoreSeconds: 3}]})]}, 'failing', ['no good backup']],
    ['schedules read in their time zone', {timeZone: 'Asia/Kolkata', schedule: '30 15 * * *', backups: [backupAt('2026-12-02T10:00:00Z', '2026-12-02T10:04:00Z')], rpoMs: 86_400_000}, 'degraded', ['1 scheduled run missed']],
  ])('%s', (_what, overrides, verdict, problems) => {
    const health = backupHealth({...base, ...overrides})
    expect(health.verdict).toBe(verdict)
    expect(health.problems).toEqual(problems)
  })
})
