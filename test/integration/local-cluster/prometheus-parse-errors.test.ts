import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {errorRateQuery, latencyP99Query, requestRateQuery} from '../../../src/analysis/queries.js'
import {startApiServer, type ApiServer} from '../../../src/local-cluster/api-server/index.js'
import {createPrometheusProxy, releaseMetricsRecorder} from '../../../src/local-cluster/metrics/index.js'
import {createObjectStore, type LocalObjectStore} from '../../../src/local-cluster/store/index.js'

/**
 * The local Prometheus over real HTTP, through the API server's service proxy as the analysis
 * reaches it: the queries mygate sends parse, and bad PromQL gets Prometheus' answer (400,
 * errorType bad_data, a message naming line and column), for GET and form POST alike.
 */
let store: LocalObjectStore
let server: ApiServer
const PATH = '/api/v1/namespaces/monitoring/services/prometheus:9090/proxy/api/v1/query'

beforeAll(async () => {
  store = createObjectStore()
  server = await startApiServer({store, serviceProxy: createPrometheusProxy({store})})
})

afterAll(async () => {
  await server?.close()
  releaseMetricsRecorder(store)
  await store?.close()
})

async function query(text: string, method: 'GET' | 'POST' = 'GET'): Promise<{status: number; body: {status: string; errorType?: string; error?: string}}> {
  const params = new URLSearchParams({query: text, time: '1700000000'})
  const response =
    method === 'GET'
      ? await fetch(`${server.url}${PATH}?${params}`)
      : await fetch(`${server.url}${PATH}`, {method: 'POST', headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: params.toString()})
  return {status: response.status, body: (await response.json()) as {status: string; errorType?: string; error?: string}}
}

describe('PromQL over the service proxy', () => {
  const selector = {namespace: 'mygate', service: 'visitors', version: '1.2.0', window: '1m'}

  test.each([errorRateQuery(selector), latencyP99Query(selector), requestRateQuery(selector)])('the analysis query %s answers 200 success', async (text) => {
    const response = await query(text)
    expect(response.status).toBe(200)
    expect(response.body).toEqual({status: 'success', data: {resultType: 'vector', result: []}})
  })

  test.each([
    ['GET', 'sum(rate(http_requests_total[1m])) * 100', '1:36: parse error: operator "*" is not supported by the local Prometheus (only "/")'],
    ['POST', 'sum(rate(http_requests_total{code=~"5.."[1m]))', '1:41: parse error: unexpected "[" in label matching, expected "," or "}"'],
    ['GET', 'sum(\n  rate(x[1m]) y)', '2:15: parse error: unexpected identifier "y" in call, expected "," or ")"'],
    ['POST', 'nosuch(x)', '1:1: parse error: unknown function with name "nosuch"'],
  ] as const)('%s %j: 400 bad_data "%s"', async (method, text, message) => {
    const response = await query(text, method)
    expect(response.status).toBe(400)
    expect(response.body).toEqual({status: 'error', errorType: 'bad_data', error: `invalid parameter "query": ${message}`})
  })
})
