import {describe, expect, test} from 'vitest'

import {nextSliceStart, sliceRangeOf} from '../../../src/backup/pitr/slice-range.js'

const at = (text: string, wallMs = 0) => {
  const [seconds, ordinal] = text.split(':').map(Number)
  return {ts: {seconds, ordinal}, wallMs: wallMs || seconds * 1000}
}
const ts = (text: string) => at(text).ts

describe('an oplog slice\'s range from what its dump found (asked for ts >= from)', () => {
  test.each([
    ['contiguous: the first entry is `from` itself', '100:2', ['100:2', '100:3', '101:1'], {kind: 'slice', after: '100:2', last: '101:1', entries: 2}],
    ['two writes in one second after from', '100:2', ['100:2', '100:3', '100:4'], {kind: 'slice', after: '100:2', last: '100:4', entries: 2}],
    ['the oplog no longer holds `from`: a gap', '100:2', ['105:1', '106:1'], {kind: 'slice', after: '105:1', last: '106:1', entries: 1, gap: {requestedAfter: '100:2', firstAvailable: '105:1'}}],
    ['a gap with only one entry left: nothing after it', '100:2', ['105:1'], {kind: 'empty'}],
    ['only `from`: no new writes', '100:2', ['100:2'], {kind: 'empty'}],
    ['nothing at all: the member is behind `from`', '100:2', [], {kind: 'empty'}],
  ] as const)('%s', (_name, from, dumped, expected) => {
    const range = sliceRangeOf(ts(from), dumped.map((d) => at(d)))
    expect(range).toMatchObject(expected)
    if (range.kind === 'slice' && !('gap' in expected)) expect(range.gap).toBeUndefined()
  })

  test('wall times of the first and last operation after `after`', () => {
    const range = sliceRangeOf(ts('100:2'), [at('100:2', 100_000), at('100:3', 100_500), at('101:1', 101_250)])
    expect(range).toMatchObject({firstAt: '1970-01-01T00:01:40.500Z', lastAt: '1970-01-01T00:01:41.250Z'})
  })

  test.each([
    ['a trailing window reaching back before `from`: the overlap is dropped, no gap', ['99:1', '100:2', '100:3', '102:1'], {kind: 'slice', after: '100:2', last: '102:1', entries: 2}],
    ['a window entirely before `from`: nothing new', ['98:1', '99:1'], {kind: 'empty'}],
  ] as const)('%s', (_name, dumped, expected) => {
    const range = sliceRangeOf(ts('100:2'), dumped.map((d) => at(d)))
    expect(range).toMatchObject(expected)
    if (range.kind === 'slice') expect(range.gap).toBeUndefined()
  })
})

describe('where the next slice starts', () => {
  test.each([
    ['no backup at all', undefined, undefined, undefined],
    ['only a base backup: its consistent point', undefined, '100:1', '100:1'],
    ['a slice newer than the base: the slice', '150:1', '100:1', '150:1'],
    ['a base newer than the newest slice: still the slice (keeps the window continuous across the base)', '150:1', '200:1', '150:1'],
  ] as const)('%s', (_name, slice, base, expected) => {
    expect(nextSliceStart(slice ? ts(slice) : undefined, base ? ts(base) : undefined)).toEqual(expected ? ts(expected) : undefined)
  })
})
