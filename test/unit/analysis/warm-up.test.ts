import {describe, expect, test} from 'vitest'

import {MIN_WARM_UP_BUDGET_MS, nextWarmUp, WARM_UP_STEP_MS} from '../../../src/analysis/warm-up.js'
import type {MeasurementVerdict} from '../../../src/analysis/types.js'

const of = (...verdicts: MeasurementVerdict[]) => verdicts.map((verdict) => ({verdict}))
const MINUTE = 60_000

describe('nextWarmUp: measure again after seconds while a metric has no data', () => {
  test.each([
    // [case, verdicts, interval, window, elapsed, expected]
    ['both metrics have data: record', of('pass', 'pass'), MINUTE, MINUTE, 0, {measureAgain: false}],
    ['nothing yet, interval 1m: again in 2 s, not in 1 m', of('inconclusive', 'inconclusive'), MINUTE, MINUTE, 0, {measureAgain: true, delayMs: WARM_UP_STEP_MS}],
    ['one metric without data is enough to wait (p99 comes a scrape later)', of('pass', 'inconclusive'), MINUTE, MINUTE, 4_000, {measureAgain: true, delayMs: 2_000}],
    ['a failure is recorded at once, whatever lacks data', of('fail', 'inconclusive'), MINUTE, MINUTE, 0, {measureAgain: false}],
    ['interval shorter than the step: the interval', of('inconclusive', 'inconclusive'), 1_000, 5_000, 0, {measureAgain: true, delayMs: 1_000}],
    ['short window: the budget is still 30 s', of('inconclusive', 'pass'), 1_000, 5_000, 28_500, {measureAgain: true, delayMs: 1_000}],
    ['budget spent (30 s): record the inconclusive run', of('inconclusive', 'pass'), 1_000, 5_000, 29_500, {measureAgain: false}],
    ['a window over 30 s is the budget', of('inconclusive', 'inconclusive'), MINUTE, 2 * MINUTE, 100_000, {measureAgain: true, delayMs: 2_000}],
    ['the last step may not end after the budget', of('inconclusive', 'inconclusive'), MINUTE, MINUTE, 58_001, {measureAgain: false}],
    ['no measurements at all: silence is not health, wait for data', [], MINUTE, MINUTE, 0, {measureAgain: true, delayMs: 2_000}],
  ])('%s', (_case, measurements, intervalMs, windowMs, elapsedMs, expected) => {
    expect(nextWarmUp(measurements, {intervalMs, windowMs, elapsedMs})).toEqual(expected)
  })

  test('the budget floor is two default Prometheus scrapes (15 s each)', () => {
    expect(MIN_WARM_UP_BUDGET_MS).toBe(2 * 15_000)
  })
})
