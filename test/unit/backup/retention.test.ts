import {describe, expect, test} from 'vitest'

import {applyRetention, type RetentionPolicy} from '../../../src/backup/catalog/retention.js'
import {UsageError} from '../../../src/errors.js'
import {testBackup, testSlice} from './catalog-builders.js'

const at = (iso: string, extra: Parameters<typeof testBackup>[0] = {}) => {
  const seconds = Date.parse(iso) / 1000
  return testBackup({id: iso, last: `${seconds}:0`, ...extra})
}
const passed = [{at: '2026-12-03T00:00:00Z', verdict: 'passed' as const, restoreSeconds: 12}]
const failed = [{at: '2026-12-03T00:00:00Z', verdict: 'failed' as const, restoreSeconds: 12, detail: 'checksum'}]

// The worked example of retention.ts.
const example = ['2026-12-01T20:00:00Z', '2026-12-02T10:00:00Z', '2026-12-02T17:00:00Z', '2026-12-03T02:00:00Z'].map((iso) => at(iso))
const NOW = new Date('2026-12-03T06:00:00Z')

function kept(policy: RetentionPolicy, backups = example): string[] {
  return applyRetention(backups, [], policy, NOW).keep.map((k) => k.backup.id).sort()
}

describe('retention', () => {
  test.each<[string, RetentionPolicy, string[]]>([
    ['the worked example in Asia/Kolkata', {keepDaily: 2, keepWeekly: 1, timeZone: 'Asia/Kolkata'}, ['2026-12-02T17:00:00Z', '2026-12-03T02:00:00Z']],
    ['the same in UTC keeps the only backup of Dec 1', {keepDaily: 3, timeZone: 'UTC'}, ['2026-12-01T20:00:00Z', '2026-12-02T17:00:00Z', '2026-12-03T02:00:00Z']],
    ['keep nothing but the newest', {}, ['2026-12-03T02:00:00Z']],
    ['keep within 14h', {keepWithinMs: 14 * 3_600_000}, ['2026-12-02T17:00:00Z', '2026-12-03T02:00:00Z']],
    ['keep within 90d keeps all', {keepWithinMs: 90 * 86_400_000}, example.map((b) => b.id).sort()],
    ['monthly 1 keeps the newest of December', {keepMonthly: 1}, ['2026-12-03T02:00:00Z']],
  ])('%s', (_what, policy, expected) => {
    expect(kept(policy)).toEqual(expected)
  })

  test('weeks are ISO weeks: Sunday and the next Monday are different weeks', () => {
    const backups = [at('2026-11-29T12:00:00Z'), at('2026-11-30T12:00:00Z')] // Sun, Mon
    expect(applyRetention(backups, [], {keepWeekly: 2}, NOW).keep.map((k) => k.reasons)).toEqual([
      ['newest', 'weekly 2026-W49'],
      ['weekly 2026-W48'],
    ])
  })

  test('ISO week-year: 2027-01-01 (a Friday) is in 2026-W53', () => {
    const backups = [at('2027-01-01T12:00:00Z')]
    expect(applyRetention(backups, [], {keepWeekly: 1}, NOW).keep[0].reasons).toContain('weekly 2026-W53')
  })

  test('the last verified backup is never deleted, however old', () => {
    const backups = [at('2026-06-01T00:00:00Z', {verifications: passed}), ...example]
    const decision = applyRetention(backups, [], {keepDaily: 1}, NOW)
    expect(decision.keep.find((k) => k.backup.id === '2026-06-01T00:00:00Z')?.reasons).toEqual(['last verified'])
    expect(decision.delete.map((b) => b.id)).not.toContain('2026-06-01T00:00:00Z')
  })

  test('a backup whose latest verification failed is not "last verified"', () => {
    const backups = [at('2026-06-01T00:00:00Z', {verifications: [...passed, ...failed]}), ...example]
    expect(applyRetention(backups, [], {keepDaily: 1}, NOW).delete.map((b) => b.id)).toContain('2026-06-01T00:00:00Z')
  })

  test('oplog slices are kept only while a kept backup can replay them', () => {
    const s = (iso1: string, iso2: string) => testSlice(`${Date.parse(iso1) / 1000}:0`, `${Date.parse(iso2) / 1000}:0`)
    const slices = [s('2026-12-01T19:00:00Z', '2026-12-01T21:00:00Z'), s('2026-12-02T16:00:00Z', '2026-12-02T18:00:00Z'), s('2026-12-03T01:00:00Z', '2026-12-03T03:00:00Z')]
    const decision = applyRetention(example, slices, {keepDaily: 2, timeZone: 'Asia/Kolkata'}, NOW)
    expect(decision.deleteSlices).toEqual([slices[0]])
    expect(decision.keepSlices).toEqual([slices[1], slices[2]])
  })

  test('a bad time zone is refused naming it', () => {
    expect(() => applyRetention(example, [], {keepDaily: 1, timeZone: 'Mars/Olympus'}, NOW)).toThrow(UsageError)
    expect(() => applyRetention(example, [], {keepDaily: 1, timeZone: 'Mars/Olympus'}, NOW)).toThrow('time zone "Mars/Olympus" is not an IANA time zone')
  })
})
