import {measureCanary} from './measure.js'
import {createPrometheusClient, type PrometheusClient, type PrometheusTransport} from './prometheus-client.js'
import type {Measurement} from './types.js'
import type {RolloutState} from '../rollout/state.js'
import type {KubeApi} from '../kube/api.js'
import {APP_NAMESPACE, PROMETHEUS_PROXY_PATH} from '../rollout/names.js'

/**
 * The Prometheus HTTP API through the Kubernetes API server's service proxy, with the cluster's
 * own credentials: the same request reaches a real Prometheus in monitoring/prometheus:9090 and
 * the local control plane's metrics. No port-forward, nothing else to reach.
 */
export function serviceProxyTransport(client: KubeApi, proxyPath = PROMETHEUS_PROXY_PATH): PrometheusTransport {
  return async (path, params) => {
    const response = await client.raw('GET', `${proxyPath}${path}`, {query: Object.fromEntries(params), what: `query Prometheus ${path}`})
    return {status: response.status, body: response.body}
  }
}

export function prometheusFor(client: KubeApi): PrometheusClient {
  return createPrometheusClient({request: serviceProxyTransport(client)})
}

/** Measures the rollout's new version against the thresholds recorded in its state. */
export async function measureRollout(prometheus: PrometheusClient, state: RolloutState, window?: string): Promise<Measurement[]> {
  return measureCanary({
    client: prometheus,
    namespace: APP_NAMESPACE,
    service: state.service,
    version: state.toVersion,
    thresholds: state.analysis,
    window: window ?? state.analysis.interval,
  })
}
