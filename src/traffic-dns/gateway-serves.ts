import {formatRate} from '../analysis/measure.js'
import {prometheusFor} from '../analysis/cluster-prometheus.js'
import type {PrometheusClient} from '../analysis/prometheus-client.js'
import {errorRateQuery, promqlDurationSeconds, requestRateQuery} from '../analysis/queries.js'
import {DEFAULT_MIN_REQUESTS, judgeErrorSample} from '../analysis/sample-size.js'
import type {Measurement} from '../analysis/types.js'
import {NAMESPACES} from '../config/types.js'
import type {KubeApi} from '../kube/api.js'
import type {KubeObject} from '../kube/types.js'
import {GATEWAY_SERVICE} from '../render/contexts.js'
import type {EnvironmentTraffic} from './environment-traffic.js'

/**
 * "The gateway serves in region R", the failover engine's last check before it scales the old
 * region down: the gateway Deployment has ready pods at the expected scale, its error rate over a
 * short window is within its threshold, and DNS answers with R. Pure verdict + thin I/O.
 */

export interface GatewayEvidence {
  region: string
  /** The gateway Deployment in R, or undefined when it does not exist (pilot light not scaled up). */
  deployment?: {replicas: number; readyReplicas: number; generation?: number; observedGeneration?: number}
  expectedReplicas: number
  /** The error-rate measurement over the window (pass / fail / inconclusive). */
  errorRate: Pick<Measurement, 'verdict' | 'reason'>
  /** The region(s) DNS answers with now; undefined when DNS could not be read. */
  dnsActive?: string[]
  dnsError?: string
}

export interface GatewayCheck {
  name: 'pods' | 'error-rate' | 'dns'
  ok: boolean
  detail: string
}

export interface GatewayServesVerdict {
  region: string
  serves: boolean
  checks: GatewayCheck[]
  /** One line: what failed, or that it serves. */
  reason: string
}

/**
 * Pure. Every check must pass; missing evidence fails (an error rate with no data, DNS that could
 * not be read): a verdict that lets the old region go must never rest on data that is absent.
 *
 * @example judgeGatewayServes({region: 'b', deployment: {replicas: 3, readyReplicas: 3}, expectedReplicas: 3,
 *   errorRate: {verdict: 'pass', reason: 'error rate 0.001 <= 0.01 for gateway'}, dnsActive: ['b']})
 *   // serves: true
 */
export function judgeGatewayServes(evidence: GatewayEvidence): GatewayServesVerdict {
  const {region, deployment, expectedReplicas} = evidence
  const pods: GatewayCheck = !deployment
    ? {name: 'pods', ok: false, detail: `no gateway Deployment in ${region}`}
    : deployment.observedGeneration !== undefined && deployment.generation !== undefined && deployment.observedGeneration < deployment.generation
      ? {name: 'pods', ok: false, detail: `gateway in ${region}: the latest spec is not observed yet`}
      : deployment.replicas < expectedReplicas || deployment.readyReplicas < expectedReplicas
        ? {name: 'pods', ok: false, detail: `gateway in ${region}: ${deployment.readyReplicas}/${expectedReplicas} ready (spec ${deployment.replicas})`}
        : {name: 'pods', ok: true, detail: `gateway in ${region}: ${deployment.readyReplicas}/${expectedReplicas} ready`}
  const errors: GatewayCheck = {name: 'error-rate', ok: evidence.errorRate.verdict === 'pass', detail: evidence.errorRate.reason}
  const dns: GatewayCheck =
    evidence.dnsActive === undefined
      ? {name: 'dns', ok: false, detail: `DNS could not be read${evidence.dnsError ? `: ${evidence.dnsError}` : ''}`}
      : evidence.dnsActive.includes(region)
        ? {name: 'dns', ok: true, detail: `DNS answers with ${evidence.dnsActive.join(', ')}`}
        : {name: 'dns', ok: false, detail: `DNS answers with ${evidence.dnsActive.join(', ') || 'no region'}, not ${region}`}
  const checks = [pods, errors, dns]
  const failed = checks.filter((c) => !c.ok)
  return {region, serves: failed.length === 0, checks, reason: failed.length === 0 ? `the gateway serves in ${region}` : failed.map((c) => c.detail).join('; ')}
}

export interface GatewayServesOptions {
  /** A client of region R's cluster. */
  client: KubeApi
  region: string
  /** The environment's traffic layer (its DNS answer). */
  traffic: Pick<EnvironmentTraffic, 'describe'>
  /** Full scale for the tier (the gateway descriptor's replicas). */
  expectedReplicas: number
  /** The gateway's rollout.analysis.maxErrorRate. */
  maxErrorRate: number
  /** PromQL window for the error rate (default 30s: short, since traffic has only just moved). */
  window?: string
  /** Default: the cluster's Prometheus through the API server's service proxy. */
  prometheus?: PrometheusClient
}

/** Thin I/O: gathers the evidence in region R and judges it. */
export async function gatewayServesIn(options: GatewayServesOptions): Promise<GatewayServesVerdict> {
  const {client, region} = options
  const [deployment, errorRate, dns] = await Promise.all([
    client.get('apps/v1', 'Deployment', GATEWAY_SERVICE, NAMESPACES.apps),
    measureGatewayErrors(options.prometheus ?? prometheusFor(client), options.maxErrorRate, options.window ?? '30s'),
    options.traffic.describe().then(
      (d) => ({active: d.active}),
      (error: unknown) => ({error: (error as Error).message}),
    ),
  ])
  return judgeGatewayServes({
    region,
    ...(deployment ? {deployment: deploymentFigures(deployment)} : {}),
    expectedReplicas: options.expectedReplicas,
    errorRate,
    ...('active' in dns ? {dnsActive: dns.active} : {dnsError: dns.error}),
  })
}

function deploymentFigures(deployment: KubeObject): NonNullable<GatewayEvidence['deployment']> {
  const spec = (deployment.spec ?? {}) as {replicas?: number}
  const status = (deployment.status ?? {}) as {readyReplicas?: number; observedGeneration?: number}
  return {
    replicas: spec.replicas ?? 1,
    readyReplicas: status.readyReplicas ?? 0,
    ...(deployment.metadata.generation !== undefined ? {generation: Number(deployment.metadata.generation)} : {}),
    ...(status.observedGeneration !== undefined ? {observedGeneration: status.observedGeneration} : {}),
  }
}

/**
 * Every version of the gateway together (during a failover the version is the recorded one anyway),
 * with the analysis' minimum sample (src/analysis/sample-size.ts): a few requests without a 5xx
 * are not evidence that the region serves.
 */
async function measureGatewayErrors(prometheus: PrometheusClient, maxErrorRate: number, window: string): Promise<Pick<Measurement, 'verdict' | 'reason'>> {
  const selector = {namespace: NAMESPACES.apps, service: GATEWAY_SERVICE, window}
  const [ratio, rate] = await Promise.all([prometheus.query(errorRateQuery(selector)), prometheus.query(requestRateQuery(selector))])
  const worst = (values: number[]) => (values.length === 0 ? undefined : Math.max(...values))
  const requestsPerSecond = worst(rate.series.map((s) => s.value).filter((v) => Number.isFinite(v)))
  return judgeErrorSample(
    {requests: requestsPerSecond === undefined ? undefined : requestsPerSecond * promqlDurationSeconds(window), errorRate: worst(ratio.series.map((s) => s.value).filter((v) => !Number.isNaN(v)))},
    {maxErrorRate, minRequests: DEFAULT_MIN_REQUESTS},
    GATEWAY_SERVICE,
    formatRate,
  )
}
