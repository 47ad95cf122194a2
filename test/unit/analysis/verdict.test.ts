import {describe, expect, test} from 'vitest'

import type {Measurement, MeasurementVerdict} from '../../../src/analysis/types.js'
import {analysisVerdict} from '../../../src/analysis/verdict.js'

const m = (verdict: MeasurementVerdict, reason = `${verdict} reason`): Measurement => ({
  metric: 'error-rate',
  value: verdict === 'inconclusive' ? null : 0.5,
  threshold: 0.01,
  verdict,
  reason,
})
const run = (...verdicts: MeasurementVerdict[]) => ({measurements: verdicts.map((v) => m(v))})

describe('analysisVerdict', () => {
  test.each([
    // runs (oldest first), failure limit, verdict, failed runs
    [[run('pass', 'pass')], 1, 'pass', 0],
    [[run('fail', 'pass')], 1, 'fail', 1],
    [[run('fail', 'pass')], 2, 'retry', 1],
    [[run('fail'), run('fail')], 2, 'fail', 2],
    [[run('fail'), run('pass')], 1, 'pass', 1], // the latest run decides
    [[run('fail'), run('pass'), run('fail')], 2, 'fail', 2], // failures count over the rollout
    [[run('pass', 'inconclusive')], 1, 'inconclusive', 0],
    [[run('fail', 'inconclusive')], 1, 'fail', 1], // a failure outweighs missing data
    [[run('fail')], 0, 'fail', 1], // a limit below 1 counts as 1
    [[], 1, 'inconclusive', 0],
    [[run()], 1, 'inconclusive', 0],
  ] as const)('%j with limit %d -> %s', (runs, limit, verdict, failedRuns) => {
    const result = analysisVerdict(runs, limit)
    expect(result.verdict).toBe(verdict)
    expect(result.failedRuns).toBe(failedRuns)
  })

  test('a failure names the failing measurement and the count against the limit', () => {
    const runs = [{measurements: [m('fail', 'error rate 0.31 > 0.01 for visitors 1.3.0'), m('pass', 'p99 latency 120ms <= 500ms for visitors 1.3.0')]}]
    expect(analysisVerdict(runs, 1)).toEqual({
      verdict: 'fail',
      reason: 'error rate 0.31 > 0.01 for visitors 1.3.0 (1 of 1 allowed failures)',
      failedRuns: 1,
      failureLimit: 1,
    })
    expect(analysisVerdict(runs, 3).reason).toBe('error rate 0.31 > 0.01 for visitors 1.3.0 (1 of 3 allowed failures, measuring again)')
  })

  test('inconclusive names what had no data; pass lists every reason', () => {
    expect(analysisVerdict([{measurements: [m('pass', 'a ok'), m('inconclusive', 'p99 latency: no data for visitors 1.3.0')]}], 1).reason).toBe(
      'p99 latency: no data for visitors 1.3.0',
    )
    expect(analysisVerdict([{measurements: [m('pass', 'a ok'), m('pass', 'b ok')]}], 1).reason).toBe('a ok; b ok')
  })
})
