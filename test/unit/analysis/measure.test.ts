import {describe, expect, test} from 'vitest'

import {formatMs, formatRate, measureCanary} from '../../../src/analysis/measure.js'
import {createPrometheusClient, type PrometheusResponse} from '../../../src/analysis/prometheus-client.js'
import {errorRateQuery, latencyP99Query, requestRateQuery} from '../../../src/analysis/queries.js'
import {ExternalError} from '../../../src/errors.js'
import {testService} from '../../helpers/builders.js'

const thresholds = testService().rollout.analysis // maxErrorRate 0.01, maxP99LatencyMs 500, interval 30s
const selector = {namespace: 'mygate', service: 'visitors', version: '1.3.0', window: '30s'}

const vector = (...values: string[]): PrometheusResponse => ({
  status: 200,
  body: JSON.stringify({status: 'success', data: {resultType: 'vector', result: values.map((value) => ({metric: {}, value: [1763899200, value]}))}}),
})

/** Answers each PromQL with the canned vector for it; anything else is a test bug. */
function clientAnswering(answers: Record<string, PrometheusResponse>) {
  const asked: string[] = []
  const client = createPrometheusClient({
    request: async (_path, params) => {
      const query = params.get('query') ?? ''
      asked.push(query)
      const answer = answers[query]
      if (answer === undefined) throw new Error(`unexpected query ${query}`)
      return answer
    },
  })
  return {client, asked}
}

/** 12.5 requests per second over the 30 s window: 375 requests, well over the minimum sample. */
const busy = {[requestRateQuery(selector)]: vector('12.5')}

const measure = (answers: Record<string, PrometheusResponse>) =>
  measureCanary({client: clientAnswering({...busy, ...answers}).client, namespace: 'mygate', service: 'visitors', version: '1.3.0', thresholds})

describe('measureCanary', () => {
  test('a healthy canary passes both thresholds, latency converted to ms', async () => {
    const result = await measure({[errorRateQuery(selector)]: vector('0.002'), [latencyP99Query(selector)]: vector('0.12')})
    expect(result).toEqual([
      {metric: 'error-rate', value: 0.002, threshold: 0.01, verdict: 'pass', reason: 'error rate 0.002 <= 0.01 for visitors 1.3.0', query: errorRateQuery(selector)},
      {metric: 'p99-latency', value: 120, threshold: 500, verdict: 'pass', reason: 'p99 latency 120ms <= 500ms for visitors 1.3.0', query: latencyP99Query(selector)},
    ])
  })

  test('a bad canary fails with metric, value and threshold in the reason', async () => {
    const [errors, latency] = await measure({[errorRateQuery(selector)]: vector('0.31'), [latencyP99Query(selector)]: vector('0.75')})
    expect(errors).toMatchObject({verdict: 'fail', value: 0.31, reason: 'error rate 0.31 > 0.01 for visitors 1.3.0'})
    expect(latency).toMatchObject({verdict: 'fail', value: 750, reason: 'p99 latency 750ms > 500ms for visitors 1.3.0'})
  })

  test('NaN (0/0: no requests in the window) and an empty vector are inconclusive "no data"', async () => {
    const [errors, latency] = await measure({[errorRateQuery(selector)]: vector('NaN'), [latencyP99Query(selector)]: vector(), [requestRateQuery(selector)]: vector()})
    expect(errors).toMatchObject({verdict: 'inconclusive', value: null, reason: 'error rate: no data for visitors 1.3.0'})
    expect(latency).toMatchObject({verdict: 'inconclusive', value: null, reason: 'p99 latency: no data for visitors 1.3.0'})
  })

  test('no 5xx series but traffic flowing is an error rate of 0', async () => {
    const [errors] = await measure({[errorRateQuery(selector)]: vector(), [latencyP99Query(selector)]: vector('0.05')})
    expect(errors).toMatchObject({verdict: 'pass', value: 0, reason: 'error rate 0 <= 0.01 for visitors 1.3.0 (no 5xx responses)'})
  })

  test('no 5xx series and no traffic stays inconclusive', async () => {
    const [errors] = await measure({
      [errorRateQuery(selector)]: vector(),
      [latencyP99Query(selector)]: vector(),
      [requestRateQuery(selector)]: vector('0'),
    })
    expect(errors.verdict).toBe('inconclusive')
  })

  test('+Inf latency (quantile in the +Inf bucket) fails', async () => {
    const [, latency] = await measure({[errorRateQuery(selector)]: vector('0'), [latencyP99Query(selector)]: vector('+Inf')})
    expect(latency).toMatchObject({verdict: 'fail', value: Number.POSITIVE_INFINITY, reason: 'p99 latency +Inf > 500ms for visitors 1.3.0'})
  })

  test('several series: the worst is judged', async () => {
    const [errors] = await measure({[errorRateQuery(selector)]: vector('0.001', '0.2', 'NaN'), [latencyP99Query(selector)]: vector('0.1')})
    expect(errors).toMatchObject({verdict: 'fail', value: 0.2})
  })

  test('the value exactly at the threshold passes', async () => {
    const [errors, latency] = await measure({[errorRateQuery(selector)]: vector('0.01'), [latencyP99Query(selector)]: vector('0.5')})
    expect([errors.verdict, latency.verdict]).toEqual(['pass', 'pass'])
  })

  test('window and evaluation time are passed through', async () => {
    const windowed = {...selector, window: '2m'}
    const seen: URLSearchParams[] = []
    const client = createPrometheusClient({
      request: async (_path, params) => {
        seen.push(params)
        return vector('0')
      },
    })
    await measureCanary({client, namespace: 'mygate', service: 'visitors', version: '1.3.0', thresholds, window: '2m', timeSeconds: 1763899200})
    expect(seen.map((p) => p.get('query'))).toEqual([errorRateQuery(windowed), latencyP99Query(windowed), requestRateQuery(windowed)])
    expect(seen.every((p) => p.get('time') === '1763899200')).toBe(true)
  })

  test('a low-traffic canary without errors is inconclusive, never a pass: 0.1 rps over 30 s is 3 requests of the 20 needed', async () => {
    const [errors, latency] = await measure({
      [errorRateQuery(selector)]: vector(),
      [latencyP99Query(selector)]: vector('0.05'),
      [requestRateQuery(selector)]: vector('0.1'),
    })
    expect(errors).toMatchObject({
      verdict: 'inconclusive',
      value: 0,
      reason: 'error rate: 3 requests for visitors 1.3.0, fewer than the 20 needed (0 of 3 requests failed); measuring again',
    })
    expect(latency.verdict).toBe('pass')
  })

  test("the descriptor's minRequests decides: 375 requests pass at 300 and are inconclusive at 400", async () => {
    const answers = {[errorRateQuery(selector)]: vector(), [latencyP99Query(selector)]: vector('0.05'), ...busy}
    const at = async (minRequests: number) =>
      (await measureCanary({client: clientAnswering(answers).client, namespace: 'mygate', service: 'visitors', version: '1.3.0', thresholds: {...thresholds, minRequests}}))[0].verdict
    expect([await at(300), await at(400)]).toEqual(['pass', 'inconclusive'])
  })

  test('a Prometheus error is thrown, not turned into a verdict', async () => {
    const failing: PrometheusResponse = {status: 503, body: JSON.stringify({status: 'error', errorType: 'timeout', error: 'query timed out'})}
    await expect(measure({[errorRateQuery(selector)]: failing, [latencyP99Query(selector)]: vector('0.1')})).rejects.toThrow(ExternalError)
  })
})

describe('number formatting in reasons', () => {
  test.each([
    [0.31, '0.31'],
    [0.0023456, '0.00235'],
    [0, '0'],
    [1, '1'],
  ])('formatRate(%d) = %s', (value, text) => {
    expect(formatRate(value)).toBe(text)
  })

  test.each([
    [612.4, '612ms'],
    [4.25, '4.3ms'],
    [10, '10ms'],
    [Number.POSITIVE_INFINITY, '+Inf'],
  ])('formatMs(%d) = %s', (value, text) => {
    expect(formatMs(value)).toBe(text)
  })
})
