import type {ServiceProxyHandler, ServiceProxyRequest} from '../api-server/types.js'
import type {ObjectStore} from '../store/types.js'
import {handlePrometheusApi} from './prometheus-api.js'
import {type MetricsRecorder, metricsRecorderFor} from './recorder.js'

/** Where a real cluster's in-cluster Prometheus usually is; the API server proxies to it. */
export const PROMETHEUS_NAMESPACE = 'monitoring'
export const PROMETHEUS_SERVICE = 'prometheus'

export interface PrometheusProxyOptions {
  store: ObjectStore
  clock?: () => number
  /** Default: the store's shared recorder (started with the controllers). */
  recorder?: MetricsRecorder
}

/** Query string plus, for a form POST, the body's parameters (Prometheus accepts both). */
export function requestParams(request: Pick<ServiceProxyRequest, 'query' | 'method' | 'body'>): URLSearchParams {
  const params = new URLSearchParams(request.query)
  if (request.method === 'POST' && request.body.length > 0) {
    for (const [key, value] of new URLSearchParams(request.body.toString('utf8'))) params.append(key, value)
  }
  return params
}

/**
 * Answers the API server's service proxy for `prometheus.monitoring` (any port) with the
 * Prometheus HTTP API over the simulated metrics, e.g.
 * `/api/v1/namespaces/monitoring/services/prometheus:9090/proxy/api/v1/query?query=...`.
 * Other services get undefined (the API server answers 503, no endpoints).
 */
export function createPrometheusProxy(options: PrometheusProxyOptions): ServiceProxyHandler {
  const clock = options.clock ?? Date.now
  return async (request) => {
    if (request.namespace !== PROMETHEUS_NAMESPACE || request.service !== PROMETHEUS_SERVICE) return undefined
    if (request.method !== 'GET' && request.method !== 'POST') {
      return {status: 405, headers: {'Content-Type': 'text/plain; charset=utf-8'}, body: 'Method Not Allowed\n'}
    }
    const recorder = options.recorder ?? metricsRecorderFor(options.store, clock)
    const response = handlePrometheusApi(request.path, requestParams(request), recorder, clock())
    if (!response) return {status: 404, headers: {'Content-Type': 'text/plain; charset=utf-8'}, body: '404 page not found\n'}
    if (typeof response.body === 'string') return {status: response.status, headers: {'Content-Type': 'text/plain; charset=utf-8'}, body: response.body}
    return {status: response.status, headers: {'Content-Type': 'application/json'}, body: JSON.stringify(response.body)}
  }
}
