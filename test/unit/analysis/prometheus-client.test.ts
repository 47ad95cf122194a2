import {describe, expect, test} from 'vitest'

import {createPrometheusClient, parseSampleValue, type PrometheusResponse} from '../../../src/analysis/prometheus-client.js'
import {ExternalError} from '../../../src/errors.js'

/** A fake transport: records what was asked, answers with canned Prometheus bodies. */
function fakeTransport(answer: PrometheusResponse | ((path: string, params: URLSearchParams) => PrometheusResponse)) {
  const calls: {path: string; params: Record<string, string>}[] = []
  const request = async (path: string, params: URLSearchParams): Promise<PrometheusResponse> => {
    calls.push({path, params: Object.fromEntries(params)})
    return typeof answer === 'function' ? answer(path, params) : answer
  }
  return {request, calls}
}

const ok = (data: unknown, extra: Record<string, unknown> = {}): PrometheusResponse => ({status: 200, body: JSON.stringify({status: 'success', data, ...extra})})

describe('query', () => {
  test('sends the query and time, parses a vector with string values', async () => {
    const {request, calls} = fakeTransport(
      ok({
        resultType: 'vector',
        result: [
          {metric: {service: 'visitors', version: '1.3.0'}, value: [1763899200.123, '0.031']},
          {metric: {service: 'visitors', version: '1.2.0'}, value: [1763899200.123, 'NaN']},
        ],
      }),
    )
    const result = await createPrometheusClient({request}).query('sum(rate(x[1m]))', 1763899200)
    expect(calls).toEqual([{path: '/api/v1/query', params: {query: 'sum(rate(x[1m]))', time: '1763899200'}}])
    expect(result.resultType).toBe('vector')
    expect(result.series).toHaveLength(2)
    expect(result.series[0]).toEqual({labels: {service: 'visitors', version: '1.3.0'}, timestamp: 1763899200.123, value: 0.031})
    expect(result.series[1].value).toBeNaN()
    expect(result.warnings).toEqual([])
  })

  test('omits time when not given, parses an empty vector and warnings', async () => {
    const {request, calls} = fakeTransport(ok({resultType: 'vector', result: []}, {warnings: ['PromQL info: metric might not be a counter']}))
    const result = await createPrometheusClient({request}).query('up')
    expect(calls[0].params).toEqual({query: 'up'})
    expect(result.series).toEqual([])
    expect(result.warnings).toEqual(['PromQL info: metric might not be a counter'])
  })

  test('a scalar becomes one series without labels', async () => {
    const {request} = fakeTransport(ok({resultType: 'scalar', result: [1763899200, '+Inf']}))
    const result = await createPrometheusClient({request}).query('scalar(x)')
    expect(result).toEqual({resultType: 'scalar', series: [{labels: {}, timestamp: 1763899200, value: Number.POSITIVE_INFINITY}], warnings: []})
  })

  test('status error -> ExternalError with errorType and error', async () => {
    const {request} = fakeTransport({
      status: 400,
      body: JSON.stringify({status: 'error', errorType: 'bad_data', error: 'invalid parameter "query": 1:5: parse error: unexpected "}"'}),
    })
    const query = createPrometheusClient({request}).query('sum(}')
    await expect(query).rejects.toThrow(ExternalError)
    await expect(query).rejects.toThrow('Prometheus query failed (bad_data): invalid parameter "query": 1:5: parse error: unexpected "}"')
  })

  test('422 execution error is reported the same way', async () => {
    const {request} = fakeTransport({status: 422, body: JSON.stringify({status: 'error', errorType: 'execution', error: 'query timed out'})})
    await expect(createPrometheusClient({request}).query('x')).rejects.toThrow('Prometheus query failed (execution): query timed out')
  })

  test('non-2xx without a Prometheus body -> ExternalError with the status', async () => {
    const {request} = fakeTransport({status: 503, body: 'no endpoints available for service "prometheus:9090"'})
    const query = createPrometheusClient({request}).query('x')
    await expect(query).rejects.toThrow(ExternalError)
    await expect(query).rejects.toThrow('Prometheus answered HTTP 503: no endpoints available for service "prometheus:9090"')
  })

  test('a transport failure becomes ExternalError', async () => {
    const request = async (): Promise<PrometheusResponse> => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:6443')
    }
    await expect(createPrometheusClient({request}).query('x')).rejects.toThrow('could not reach Prometheus: connect ECONNREFUSED 127.0.0.1:6443')
  })

  test.each([
    ['not JSON', {status: 200, body: '<html>'}, 'body is not JSON'],
    ['a matrix', ok({resultType: 'matrix', result: []}), 'expected a vector or scalar, got "matrix"'],
    ['a bad sample', ok({resultType: 'vector', result: [{metric: {}, value: [1, 'abc']}]}), 'sample value "abc" is not a number'],
    ['a numeric sample', ok({resultType: 'vector', result: [{metric: {}, value: [1, 0.5]}]}), 'sample value 0.5 is not a string'],
  ])('malformed: %s', async (_name, response, why) => {
    const {request} = fakeTransport(response)
    await expect(createPrometheusClient({request}).query('x')).rejects.toThrow(`Prometheus returned a malformed response: ${why}`)
  })
})

describe('queryRange', () => {
  test('sends start, end and step; parses a matrix', async () => {
    const {request, calls} = fakeTransport(
      ok({
        resultType: 'matrix',
        result: [
          {
            metric: {version: '1.3.0'},
            values: [
              [1763899200, '0.5'],
              [1763899230, '-Inf'],
            ],
          },
        ],
      }),
    )
    const result = await createPrometheusClient({request}).queryRange('x', {start: 1763899200, end: 1763899230, stepSeconds: 30})
    expect(calls).toEqual([{path: '/api/v1/query_range', params: {query: 'x', start: '1763899200', end: '1763899230', step: '30'}}])
    expect(result.series).toEqual([
      {
        labels: {version: '1.3.0'},
        values: [
          {timestamp: 1763899200, value: 0.5},
          {timestamp: 1763899230, value: Number.NEGATIVE_INFINITY},
        ],
      },
    ])
  })

  test('a vector answer to a range query is malformed', async () => {
    const {request} = fakeTransport(ok({resultType: 'vector', result: []}))
    await expect(createPrometheusClient({request}).queryRange('x', {start: 0, end: 60, stepSeconds: 15})).rejects.toThrow('expected a matrix')
  })

  test('rejects a range ending before it starts', async () => {
    const {request} = fakeTransport(ok({resultType: 'matrix', result: []}))
    await expect(createPrometheusClient({request}).queryRange('x', {start: 60, end: 0, stepSeconds: 15})).rejects.toThrow(RangeError)
  })
})

describe('parseSampleValue', () => {
  test.each([
    ['0.25', 0.25],
    ['1e-3', 0.001],
    ['+Inf', Number.POSITIVE_INFINITY],
    ['-Inf', Number.NEGATIVE_INFINITY],
    ['0', 0],
  ])('%s -> %d', (text, value) => {
    expect(parseSampleValue(text)).toBe(value)
  })

  test('NaN', () => {
    expect(parseSampleValue('NaN')).toBeNaN()
  })
})
