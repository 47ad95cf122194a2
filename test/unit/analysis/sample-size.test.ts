import {describe, expect, test} from 'vitest'

import {formatRate} from '../../../src/analysis/measure.js'
import {DEFAULT_MIN_REQUESTS, judgeErrorSample} from '../../../src/analysis/sample-size.js'

const judged = (requests: number | undefined, errorRate: number | undefined, maxErrorRate = 0.01, minRequests = DEFAULT_MIN_REQUESTS) =>
  judgeErrorSample({requests, errorRate}, {maxErrorRate, minRequests}, 'visitors 1.3.0', formatRate)

describe('judgeErrorSample: an error rate passes only on a minimum sample (20 requests by default)', () => {
  test.each([
    // requests, error ratio (undefined: no 5xx series yet), verdict
    ['no series at all', undefined, undefined, 'inconclusive'],
    ['0 requests', 0, undefined, 'inconclusive'],
    ['1 request, no errors', 1, undefined, 'inconclusive'],
    ['1 request, failed', 1, 1, 'fail'],
    ['19 requests (min-1), no errors', 19, undefined, 'inconclusive'],
    ['19 requests (min-1), a 5xx series at 0', 19, 0, 'inconclusive'],
    ['19 requests (min-1), 1 failed (> 0.01 x 20 allows)', 19, 1 / 19, 'fail'],
    ['20 requests (min), no errors', 20, undefined, 'pass'],
    ['20 requests (min), 5xx series at 0', 20, 0, 'pass'],
    ['20 requests (min), 1 failed: 0.05 > 0.01', 20, 0.05, 'fail'],
    ['2000 requests, 0.5% failed', 2000, 0.005, 'pass'],
    ['2000 requests, exactly at the threshold', 2000, 0.01, 'pass'],
    ['NaN requests (0/0)', Number.NaN, Number.NaN, 'inconclusive'],
  ] as const)('%s -> %s', (_name, requests, errorRate, verdict) => {
    expect(judged(requests, errorRate).verdict).toBe(verdict)
  })

  test.each([
    // A lenient threshold tolerates some failures in a full sample: 0.05 x 20 = 1 request.
    [5, 1, 'inconclusive'],
    [5, 2, 'fail'],
    [19, 1, 'inconclusive'],
    [20, 1, 'pass'],
    [20, 2, 'fail'],
  ])('threshold 0.05: %d requests with %d failed -> %s', (requests, failed, verdict) => {
    expect(judged(requests, failed / requests, 0.05).verdict).toBe(verdict)
  })

  test.each([
    [1, 1, 'pass'],
    [99, 100, 'inconclusive'],
    [100, 100, 'pass'],
  ])('minRequests from the descriptor: %d requests at minimum %d -> %s', (requests, minRequests, verdict) => {
    expect(judged(requests, undefined, 0.01, minRequests).verdict).toBe(verdict)
  })

  test('reasons say the sample size when it decided', () => {
    expect(judged(3, undefined)).toEqual({
      metric: 'error-rate',
      value: 0,
      threshold: 0.01,
      verdict: 'inconclusive',
      reason: 'error rate: 3 requests for visitors 1.3.0, fewer than the 20 needed (0 of 3 requests failed); measuring again',
    })
    expect(judged(4.5, 0.5).reason).toBe('error rate 0.5 > 0.01 for visitors 1.3.0 (2.3 of 4.5 requests failed: more than a full sample of 20 allows)')
    expect(judged(40, undefined).reason).toBe('error rate 0 <= 0.01 for visitors 1.3.0 (no 5xx responses)')
    expect(judged(40, 0.25)).toMatchObject({verdict: 'fail', value: 0.25, reason: 'error rate 0.25 > 0.01 for visitors 1.3.0'})
    expect(judged(0, undefined)).toMatchObject({value: null, reason: 'error rate: no data for visitors 1.3.0'})
  })
})
