import {describe, expect, test} from 'vitest'

import {formatOplogTimestamp, parseOplogTimestamp} from '../../../src/backup/catalog/oplog-timestamp.js'
import {
  formatWindow,
  oplogLimitFor,
  parseRestoreTarget,
  planPointInTimeRestore,
  restorableWindow,
} from '../../../src/backup/catalog/restore-window.js'
import {UsageError} from '../../../src/errors.js'
import {testBackup, testSlice} from './catalog-builders.js'

// The worked example of restore-window.ts.
const B1 = testBackup({last: '100:0'})
const B2 = testBackup({last: '310:0'})
const slices = [testSlice('100:0', '160:2'), testSlice('160:2', '220:0'), testSlice('300:0', '360:0')]

describe('oplog timestamps', () => {
  test.each([
    ['1764726000:3', {seconds: 1764726000, ordinal: 3}],
    [' 0:0 ', {seconds: 0, ordinal: 0}],
  ])('%j parses', (text, ts) => {
    expect(parseOplogTimestamp(text)).toEqual(ts)
    expect(formatOplogTimestamp(ts)).toBe(text.trim())
  })

  test.each(['', '1764726000', '1764726000:', ':3', '-1:0', '1.5:2', '99999999999:0', '1:4294967296', 'abc'])('%j is refused naming it', (text) => {
    expect(() => parseOplogTimestamp(text, '--to-time')).toThrow(UsageError)
    expect(() => parseOplogTimestamp(text, '--to-time')).toThrow(`--to-time "${text}" is not an oplog timestamp`)
  })
})

describe('the restorable window', () => {
  test('the worked example: a gap splits it, a later base picks the chain up', () => {
    const window = restorableWindow([B1, B2], slices)
    expect(window.map((s) => [formatOplogTimestamp(s.from), formatOplogTimestamp(s.to)])).toEqual([
      ['100:0', '220:0'],
      ['310:0', '360:0'],
    ])
    expect(formatWindow(window)).toBe(
      '1970-01-01T00:01:40.000Z (100:0) to 1970-01-01T00:03:40.000Z (220:0), 1970-01-01T00:05:10.000Z (310:0) to 1970-01-01T00:06:00.000Z (360:0)',
    )
  })

  test.each([
    ['no backups', [], slices, []],
    ['a base alone is a single point', [B1], [], [['100:0', '100:0']]],
    ['overlapping slices chain', [B1], [testSlice('100:0', '150:0'), testSlice('140:0', '200:0')], [['100:0', '200:0']]],
    ['a slice starting before the base still extends it', [B2], [testSlice('300:0', '360:0')], [['310:0', '360:0']]],
    ['slices ending before the base are ignored', [B2], [testSlice('100:0', '160:2')], [['310:0', '310:0']]],
    ['two bases inside one chain make one segment', [B1, testBackup({last: '150:0'})], slices.slice(0, 2), [['100:0', '220:0']]],
  ])('%s', (_what, backups, sl, expected) => {
    expect(restorableWindow(backups, sl).map((s) => [formatOplogTimestamp(s.from), formatOplogTimestamp(s.to)])).toEqual(expected)
  })
})

describe('choosing the base backup and slices for a target', () => {
  test.each([
    ['an oplog timestamp inside the first chain', {toTime: '200:5'}, 'b-100', ['s-100:0-160:2', 's-160:2-220:0'], '200:6', '200:5'],
    ['--oplogLimit excludes the named op', {oplogLimit: '200:5'}, 'b-100', ['s-100:0-160:2', 's-160:2-220:0'], '200:5', '200:4'],
    ['exactly a base consistent point needs no slice', {toTime: '100:0'}, 'b-100', [], '100:1', '100:0'],
    ['only the slices up to the target', {toTime: '150:0'}, 'b-100', ['s-100:0-160:2'], '150:1', '150:0'],
    ['the newer base wins when it is before the target', {toTime: '330:0'}, 'b-310', ['s-300:0-360:0'], '330:1', '330:0'],
    ['an RFC 3339 time includes its whole second', {toTime: '1970-01-01T00:03:20Z'}, 'b-100', ['s-100:0-160:2', 's-160:2-220:0'], '201:0', '200:4294967295'],
    ['an RFC 3339 time with an offset', {toTime: '1970-01-01T05:33:20+05:30'}, 'b-100', ['s-100:0-160:2', 's-160:2-220:0'], '201:0', '200:4294967295'],
  ])('%s', (_what, input, baseId, sliceIds, limit, lastAtMost) => {
    const plan = planPointInTimeRestore([B1, B2], slices, parseRestoreTarget(input))
    expect(plan.base.id).toBe(baseId)
    expect(plan.slices.map((s) => s.id)).toEqual(sliceIds)
    expect(plan.oplogLimit).toBe(limit)
    expect(plan.lastAppliedAtMost).toBe(lastAtMost)
  })

  test.each([
    ['in the gap', {toTime: '250:0'}],
    ['before the oldest backup', {toTime: '99:0'}],
    ['in the future', {toTime: '2999-01-01T00:00:00Z'}],
  ])('a target %s is refused with the window printed', (_what, input) => {
    const refuse = () => planPointInTimeRestore([B1, B2], slices, parseRestoreTarget(input))
    expect(refuse).toThrow(UsageError)
    expect(refuse).toThrow(/is outside the restorable window: .*\(100:0\) to .*\(220:0\), .*\(310:0\) to .*\(360:0\)$/)
  })

  test.each([
    [{toTime: 'yesterday'}, /--to-time "yesterday" is neither an RFC 3339 time nor an oplog timestamp/],
    [{toTime: '2026-12-03 09:15'}, /is neither an RFC 3339 time/],
    [{toTime: '12:x'}, /is neither/],
    [{oplogLimit: '12'}, /--oplogLimit "12" is not an oplog timestamp/],
    [{}, /give exactly one of --to-time and --oplogLimit/],
    [{toTime: '1:1', oplogLimit: '1:1'}, /give exactly one/],
  ])('bad target %j', (input, message) => {
    expect(() => parseRestoreTarget(input)).toThrow(message)
  })

  test('the oplog limit of each kind of target', () => {
    expect(oplogLimitFor({kind: 'oplog', ts: {seconds: 5, ordinal: 0xffffffff}, inclusive: true})).toEqual({seconds: 6, ordinal: 0})
  })
})
