import {describe, expect, test} from 'vitest'

import {currentSplit, fullyOn, parseSteps, splitAt, turnedOff} from '../../../src/flags/flag-changes.js'
import type {FlagDefinition} from '../../../src/flags/types.js'

const flag: FlagDefinition = {state: 'DISABLED', variants: {on: true, off: false}, defaultVariant: 'off', metadata: {services: 'billing'}}

describe('flag changes', () => {
  test.each([
    [1, [['on', 1], ['off', 99]]],
    [50, [['on', 50], ['off', 50]]],
    [100, [['on', 100], ['off', 0]]],
  ])('splitAt %i%% writes a fractional split and enables the flag', (percent, buckets) => {
    const split = splitAt('f', flag, percent)
    expect(split.targeting).toEqual({fractional: buckets})
    expect(split.state).toBe('ENABLED')
    expect(currentSplit(split)).toBe(percent)
    expect(flag.targeting).toBeUndefined()
  })

  test('turnedOff removes the split and serves the off-variant', () => {
    const off = turnedOff('f', splitAt('f', flag, 50))
    expect(off).toEqual({state: 'ENABLED', variants: {on: true, off: false}, defaultVariant: 'off', metadata: {services: 'billing'}})
    expect(currentSplit(off)).toBeUndefined()
  })

  test('fullyOn serves the on-variant to everyone', () => {
    expect(fullyOn('f', splitAt('f', flag, 50))).toMatchObject({defaultVariant: 'on', state: 'ENABLED'})
    expect(fullyOn('f', flag).targeting).toBeUndefined()
  })

  test('custom on/off variants from metadata', () => {
    const custom: FlagDefinition = {state: 'ENABLED', variants: {v2: 'new', v1: 'old'}, defaultVariant: 'v1', metadata: {onVariant: 'v2', offVariant: 'v1'}}
    expect(splitAt('f', custom, 10).targeting).toEqual({fractional: [['v2', 10], ['v1', 90]]})
  })

  test('a flag without the on-variant cannot be split', () => {
    expect(() => splitAt('f', {state: 'ENABLED', variants: {a: 1, off: 0}}, 10)).toThrow(/flag f has no on variant "on"/)
  })

  test.each([
    ['1,10,50,100', [1, 10, 50, 100]],
    ['5', [5]],
    [' 1, 100 ', [1, 100]],
  ])('parseSteps(%j)', (text, steps) => expect(parseSteps(text)).toEqual(steps))

  test.each([
    ['10,5', /not increasing \(10 then 5\)/],
    ['0,50', /has 0, outside 1\.\.100/],
    ['1,101', /has 101, outside/],
    ['1,,5', /empty step/],
    ['1,2.5', /"2\.5", not a whole percentage/],
    ['10,10', /not increasing/],
  ])('parseSteps(%j) is bad input', (text, message) => expect(() => parseSteps(text)).toThrow(message))
})
