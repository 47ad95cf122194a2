import {describe, expect, test} from 'vitest'

import {formatDuration, parseDuration} from '../../src/duration.js'
import {UsageError} from '../../src/errors.js'

describe('parseDuration', () => {
  test.each([
    ['30s', 30_000],
    ['1m30s', 90_000],
    ['250ms', 250],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['0', 0],
    ['1.5s', 1500],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })

  test.each(['', 'abc', '10', '5 m', '1x', 's30', '1m-3s'])('rejects %j naming the value', (text) => {
    expect(() => parseDuration(text, '--pause')).toThrow(UsageError)
    expect(() => parseDuration(text, '--pause')).toThrow(`--pause "${text}" is not a duration`)
  })
})

describe('formatDuration', () => {
  test.each([
    [250, '250ms'],
    [1500, '1.5s'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [5_400_000, '1h30m'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
  })
})
