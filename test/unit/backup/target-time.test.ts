import {describe, expect, test} from 'vitest'

import {compareLimits, parseTargetTime} from '../../../src/backup/operations/target-time.js'

describe('parseTargetTime', () => {
  test.each([
    ['2026-12-03T07:00:00Z', {t: 1796281200, i: 0}],
    ['2026-12-03T07:00:00.000Z', {t: 1796281200, i: 0}],
    // Writes inside the second 07:00:00 happened before 07:00:00.5: the limit moves to the next second.
    ['2026-12-03T07:00:00.5Z', {t: 1796281201, i: 0}],
    ['2026-12-03T09:00:00+02:00', {t: 1796281200, i: 0}],
    ['2026-12-03t07:00:00z', {t: 1796281200, i: 0}],
    ['1796281200:3', {t: 1796281200, i: 3}],
    ['0:0', {t: 0, i: 0}],
  ])('%s -> %j', (text, limit) => {
    expect(parseTargetTime(text)).toEqual(limit)
  })

  test.each(['yesterday', '1796281200', '1796281200:', ':3', '2026-12-03', '2026-12-03T07:00:00', '2026-02-30T07:00:00Z', '2026-12-03T24:00:00Z', '99999999999:1', '1:-1', ''])(
    '%j is refused naming the value and both accepted forms',
    (text) => {
      expect(() => parseTargetTime(text)).toThrow(new RegExp(`--to-time "${text}" is neither an RFC 3339 time nor an oplog timestamp`))
    },
  )

  test('two writes in one second are ordered by their ordinal', () => {
    expect(compareLimits(parseTargetTime('100:2'), parseTargetTime('100:3'))).toBeLessThan(0)
    expect(compareLimits(parseTargetTime('101:0'), parseTargetTime('100:9'))).toBeGreaterThan(0)
  })
})
