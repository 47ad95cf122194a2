import {describe, expect, test} from 'vitest'
import {errorRateQuery, latencyP99Query, requestRateQuery} from '../../../../src/analysis/queries.js'
import {bucketQuantile, counterRate, evaluate} from '../../../../src/local-cluster/metrics/promql/evaluate.js'
import {parsePromql, PromqlParseError} from '../../../../src/local-cluster/metrics/promql/parser.js'
import {formatSampleValue, handlePrometheusApi} from '../../../../src/local-cluster/metrics/prometheus-api.js'
import type {StoredSeries} from '../../../../src/local-cluster/metrics/recorder.js'

const selector = {namespace: 'mygate', service: 'visitors', version: '1.2.0', window: '1m'}

describe('parsePromql', () => {
  test.each([errorRateQuery(selector), latencyP99Query(selector), requestRateQuery(selector)])('parses the analysis query %s', (query) => {
    expect(() => parsePromql(query)).not.toThrow()
  })

  test('the error-rate query parses to sum(rate) / sum(rate) with its matchers', () => {
    const expr = parsePromql(errorRateQuery(selector))
    expect(expr).toMatchObject({type: 'binary', op: '/', lhs: {type: 'sum', arg: {type: 'call', func: 'rate', arg: {type: 'selector', rangeMs: 60_000}}}})
    const matchers = (expr as {lhs: {arg: {arg: {matchers: unknown[]}}}}).lhs.arg.arg.matchers
    expect(matchers).toEqual([
      {name: '__name__', op: '=', value: 'http_requests_total'},
      {name: 'namespace', op: '=', value: 'mygate'},
      {name: 'service', op: '=', value: 'visitors'},
      {name: 'version', op: '=', value: '1.2.0'},
      {name: 'code', op: '=~', value: '5..'},
    ])
  })

  test.each([
    ['sum by (le) (x)', {type: 'sum', by: ['le']}],
    ['sum(x) by (le, service)', {type: 'sum', by: ['le', 'service']}],
    ['x{a!="b",c!~"d.*"}', {type: 'selector', matchers: [{name: '__name__', op: '=', value: 'x'}, {name: 'a', op: '!=', value: 'b'}, {name: 'c', op: '!~', value: 'd.*'}]}],
    ['{__name__="x"}', {type: 'selector'}],
    ['x{a="q\\"uote"}', {type: 'selector', matchers: [{name: '__name__', op: '=', value: 'x'}, {name: 'a', op: '=', value: 'q"uote'}]}],
    ['rate(x[1m30s])', {type: 'call', func: 'rate', arg: {rangeMs: 90_000}}],
    ['1.5e2', {type: 'number', value: 150}],
    ['(2) / 4', {type: 'binary', lhs: {type: 'number', value: 2}, rhs: {type: 'number', value: 4}}],
  ])('parses %s', (query, shape) => {
    expect(parsePromql(query)).toMatchObject(shape)
  })

  test.each([
    ['', /no expression found/],
    ['x +', /not supported/],
    ['x * 2', /not supported/],
    ['avg(x)', /unknown function/],
    ['rate(x)', /expected type range vector/],
    ['x{a="b"', /label matching/],
    ['x{a=b}', /expected string/],
    ['x[5x]', /bad duration|unexpected/],
    ['x[5m:1m]', /subqueries|unexpected/],
    ['sum without (a) (x)', /without/],
    ['{a=""}', /at least one non-empty matcher/],
    ['x y', /unexpected/],
    ['x{a=~"("}', /invalid regular expression/],
  ])('rejects %j', (query, message) => {
    expect(() => parsePromql(query)).toThrow(PromqlParseError)
    expect(() => parsePromql(query)).toThrow(message)
  })
})

describe('counterRate and bucketQuantile', () => {
  test.each([
    [[], undefined],
    [[[0, 5]], undefined],
    [[[0, 0], [1000, 10], [2000, 20]], 10],
    [[[0, 100], [1000, 110], [2000, 5]], 7.5], // reset: 10 + 5 over 2 s
  ] as Array<[Array<[number, number]>, number | undefined]>)('rate of %j = %j', (points, expected) => {
    expect(counterRate(points)).toBe(expected)
  })

  test.each([
    [0.5, [{le: 0.1, count: 50}, {le: 0.2, count: 100}, {le: Infinity, count: 100}], 0.1],
    [0.75, [{le: 0.1, count: 50}, {le: 0.2, count: 100}, {le: Infinity, count: 100}], 0.15],
    [0.25, [{le: 0.1, count: 50}, {le: 0.2, count: 100}, {le: Infinity, count: 100}], 0.05],
    [0.99, [{le: 0.1, count: 50}, {le: 0.2, count: 90}, {le: Infinity, count: 100}], 0.2], // in +Inf: highest finite bound
    [0.5, [{le: 0.1, count: 0}, {le: Infinity, count: 0}], Number.NaN],
    [0.5, [{le: 0.1, count: 5}, {le: 0.2, count: 10}], Number.NaN], // no +Inf bucket
    [-1, [{le: 0.1, count: 5}, {le: Infinity, count: 5}], -Infinity],
    [2, [{le: 0.1, count: 5}, {le: Infinity, count: 5}], Infinity],
  ])('quantile %d of %j = %d', (q, buckets, expected) => {
    const actual = bucketQuantile(q, buckets)
    if (Number.isNaN(expected)) expect(actual).toBeNaN()
    else if (!Number.isFinite(expected)) expect(actual).toBe(expected)
    else expect(actual).toBeCloseTo(expected, 10)
  })
})

/** A fixed in-memory series for the evaluator: counter samples every second. */
function series(labels: Record<string, string>, points: Array<[number, number]>): StoredSeries {
  return {
    labels,
    samples: (from, to) => points.filter(([t]) => t > from && t <= to),
    valueAt: (at) => {
      const before = points.filter(([t]) => t <= at)
      const last = before.at(-1)
      return last ? {t: last[0], v: last[1]} : undefined
    },
  }
}
const counter = (labels: Record<string, string>, perSecond: number) => series(labels, Array.from({length: 61}, (_, i) => [i * 1000, i * perSecond] as [number, number]))

describe('evaluate and the HTTP API', () => {
  const base = {namespace: 'mygate', service: 'visitors', version: '1.2.0'}
  const data = [
    counter({__name__: 'http_requests_total', ...base, code: '200'}, 45),
    counter({__name__: 'http_requests_total', ...base, code: '500'}, 5),
    counter({__name__: 'http_requests_total', ...base, version: '0.0.0', code: '200'}, 0),
    counter({__name__: 'http_requests_total', ...base, version: '0.0.0', code: '500'}, 0),
  ]

  test('error rate: 5 of 50 requests per second fail', () => {
    const value = evaluate(parsePromql(errorRateQuery(selector)), 60_000, data)
    expect(value).toEqual({type: 'vector', samples: [{labels: {}, value: 0.1}]})
  })

  test('no traffic in the window is 0/0 = NaN, rendered "NaN"; an unknown service is an empty vector', () => {
    const idle = evaluate(parsePromql(errorRateQuery({...selector, version: '0.0.0'})), 60_000, data)
    expect(idle.type === 'vector' && Number.isNaN(idle.samples[0].value)).toBe(true)
    const response = handlePrometheusApi('api/v1/query', new URLSearchParams({query: errorRateQuery({...selector, service: 'nobody'}), time: '60'}), data as never, 0)
    expect(response).toEqual({status: 200, body: {status: 'success', data: {resultType: 'vector', result: []}}})
    const nan = handlePrometheusApi('api/v1/query', new URLSearchParams({query: errorRateQuery({...selector, version: '0.0.0'}), time: '60'}), data as never, 0)
    expect(nan?.body).toEqual({status: 'success', data: {resultType: 'vector', result: [{metric: {}, value: [60, 'NaN']}]}})
  })

  test('scalar, matrix and error shapes', () => {
    expect(handlePrometheusApi('/api/v1/query', new URLSearchParams({query: '1 / 4', time: '1700000000.5'}), data as never, 0)?.body).toEqual({
      status: 'success',
      data: {resultType: 'scalar', result: [1700000000.5, '0.25']},
    })
    const bad = handlePrometheusApi('api/v1/query', new URLSearchParams({query: 'avg(x)'}), data as never, 0)
    expect(bad?.status).toBe(400)
    expect(bad?.body).toMatchObject({status: 'error', errorType: 'bad_data', error: expect.stringMatching(/^invalid parameter "query": 1:1: parse error: /)})
    const range = handlePrometheusApi('api/v1/query_range', new URLSearchParams({query: requestRateQuery(selector), start: '30', end: '60', step: '15s'}), data as never, 0)
    expect(range?.body).toEqual({status: 'success', data: {resultType: 'matrix', result: [{metric: {}, values: [[30, '50'], [45, '50'], [60, '50']]}]}})
  })

  test.each([
    [{query: 'x', start: '10', end: '5', step: '1'}, /end timestamp must not be before start time/],
    [{query: 'x', start: '0', end: '5', step: '0'}, /zero or negative query resolution/],
    [{query: 'x', start: '0', end: '100000', step: '1'}, /exceeded maximum resolution of 11,000 points/],
    [{query: 'x', start: 'yesterday', end: '5', step: '1'}, /invalid parameter "start"/],
    [{query: 'x[1m]', start: '0', end: '5', step: '1'}, /range vector/],
  ])('query_range rejects %j', (params, message) => {
    const response = handlePrometheusApi('api/v1/query_range', new URLSearchParams(params), data as never, 0)
    expect(response?.status).toBe(400)
    expect((response?.body as {error: string}).error).toMatch(message)
  })

  test.each([
    [0.25, '0.25'],
    [1e-7, '0.0000001'],
    [-1.25e-8, '-0.0000000125'],
    [1.5e21, '1500000000000000000000'],
    [Number.NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [50, '50'],
  ])('formats %d as %s', (value, text) => {
    expect(formatSampleValue(value)).toBe(text)
  })
})
