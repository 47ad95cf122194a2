import {describe, expect, test} from 'vitest'
import {errorRateQuery, latencyP99Query, promqlString, requestRateQuery} from '../../../src/analysis/queries.js'

const selector = {namespace: 'mygate', service: 'visitors', version: '1.2.0', window: '1m'}

describe('analysis PromQL builders', () => {
  test('error rate is 5xx rate over all requests', () => {
    expect(errorRateQuery(selector)).toBe(
      'sum(rate(http_requests_total{namespace="mygate",service="visitors",version="1.2.0",code=~"5.."}[1m])) / sum(rate(http_requests_total{namespace="mygate",service="visitors",version="1.2.0"}[1m]))',
    )
  })

  test('p99 latency is a histogram quantile in seconds', () => {
    expect(latencyP99Query(selector)).toBe(
      'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="mygate",service="visitors",version="1.2.0"}[1m])))',
    )
  })

  test('request rate, and a selector without a version', () => {
    expect(requestRateQuery({namespace: 'mygate', service: 'visitors', window: '30s'})).toBe('sum(rate(http_requests_total{namespace="mygate",service="visitors"}[30s]))')
  })

  test.each([
    ['plain', '"plain"'],
    ['a"b', '"a\\"b"'],
    ['back\\slash', '"back\\\\slash"'],
    ['new\nline', '"new\\nline"'],
  ])('escapes label value %j', (value, expected) => {
    expect(promqlString(value)).toBe(expected)
  })

  test.each(['1 m', '60', 'abc', ''])('rejects window %j', (bad) => {
    expect(() => errorRateQuery({...selector, window: bad})).toThrow(/not a PromQL duration/)
  })
})
