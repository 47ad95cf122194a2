import type {AnalysisThresholds} from '../catalog/types.js'
import type {PrometheusClient} from './prometheus-client.js'
import {errorRateQuery, latencyP99Query, promqlDurationSeconds, requestRateQuery} from './queries.js'
import {DEFAULT_MIN_REQUESTS, judgeErrorSample} from './sample-size.js'
import type {AnalysisMetric, Measurement} from './types.js'

export interface MeasureCanaryOptions {
  client: PrometheusClient
  namespace: string
  service: string
  /** The version label of the pods being judged (the canary, or the new blue-green colour). */
  version: string
  thresholds: AnalysisThresholds
  /** PromQL range for rate() and the histogram, e.g. "1m". Defaults to the analysis interval. */
  window?: string
  /** Evaluation time in Unix seconds; Prometheus' "now" when absent. */
  timeSeconds?: number
}

/** Three significant digits, no trailing zeros: 0.3100 -> "0.31", 0.0023456 -> "0.00235". */
export function formatRate(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(3))) : formatInfinite(value)
}

/** Milliseconds, whole above 10 ms, one decimal below: 612.4 -> "612ms", 4.25 -> "4.3ms". */
export function formatMs(value: number): string {
  if (!Number.isFinite(value)) return formatInfinite(value)
  return `${value >= 10 ? Math.round(value) : Number(value.toFixed(1))}ms`
}

function formatInfinite(value: number): string {
  return Number.isNaN(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf'
}

const LABEL: Record<AnalysisMetric, string> = {'error-rate': 'error rate', 'p99-latency': 'p99 latency'}

/**
 * Judges one value against its upper limit. A missing value or NaN is "no data": for the error
 * rate NaN means 0/0, no requests in the window, which says nothing about the new version.
 * +Inf latency (the quantile fell in the +Inf bucket) is a real, failing value.
 */
export function judge(
  metric: AnalysisMetric,
  value: number | undefined,
  threshold: number,
  subject: string,
  format: (value: number) => string,
): Omit<Measurement, 'query'> {
  const label = LABEL[metric]
  if (value === undefined || Number.isNaN(value)) {
    return {metric, value: null, threshold, verdict: 'inconclusive', reason: `${label}: no data for ${subject}`}
  }
  return value > threshold
    ? {metric, value, threshold, verdict: 'fail', reason: `${label} ${format(value)} > ${format(threshold)} for ${subject}`}
    : {metric, value, threshold, verdict: 'pass', reason: `${label} ${format(value)} <= ${format(threshold)} for ${subject}`}
}

/** The worst (highest) non-NaN sample, or NaN when every sample is NaN, undefined when none. */
function worst(values: number[]): number | undefined {
  if (values.length === 0) return undefined
  const numbers = values.filter((v) => !Number.isNaN(v))
  return numbers.length === 0 ? Number.NaN : Math.max(...numbers)
}

/**
 * Measures the new version's error rate and p99 latency over the window and judges each against
 * the descriptor's thresholds. The queries aggregate to one series; should a query return several
 * (an extra label in the data), the worst one is judged, so a bad pod cannot hide behind a good one.
 * The error rate needs `thresholds.minRequests` requests in the window before it can pass
 * (src/analysis/sample-size.ts): fewer is inconclusive, measured again, never a pass.
 *
 * Returns, in this order:
 *   {metric: 'error-rate', value: 0.31, threshold: 0.01, verdict: 'fail',
 *    reason: 'error rate 0.31 > 0.01 for visitors 1.3.0'}
 *   {metric: 'p99-latency', value: 120, threshold: 500, verdict: 'pass',
 *    reason: 'p99 latency 120ms <= 500ms for visitors 1.3.0'}
 * Query failures (Prometheus unreachable, bad query) throw ExternalError: they are not verdicts.
 */
export async function measureCanary(options: MeasureCanaryOptions): Promise<Measurement[]> {
  const {client, namespace, service, version, thresholds, timeSeconds} = options
  const window = options.window ?? thresholds.interval
  const selector = {namespace, service, version, window}
  return measureSample(
    {client, timeSeconds, window, subject: `${service} ${version}`, thresholds},
    {errorRate: errorRateQuery(selector), latencyP99: latencyP99Query(selector), requestRate: requestRateQuery(selector)},
  )
}

/** The three queries of one analysis: error ratio, p99 latency (seconds), request rate. */
export interface SampleQueries {
  errorRate: string
  latencyP99: string
  requestRate: string
}

/**
 * Runs the three queries at once and judges them: the canary's and the flag variant's analysis
 * (src/flags/flag-analysis.ts) differ only in their selectors. The request count is the rate
 * times the window (what PromQL's increase() returns); the 5xx counter series only exist once a
 * 5xx has been served, so an empty error ratio with requests in the window is "no errors".
 */
export async function measureSample(
  context: {client: PrometheusClient; timeSeconds?: number; window: string; subject: string; thresholds: AnalysisThresholds},
  queries: SampleQueries,
): Promise<Measurement[]> {
  const {client, timeSeconds, window, subject, thresholds} = context
  const windowSeconds = promqlDurationSeconds(window)
  const [errors, latency, rate] = await Promise.all([
    client.query(queries.errorRate, timeSeconds),
    client.query(queries.latencyP99, timeSeconds),
    client.query(queries.requestRate, timeSeconds),
  ])
  const requestsPerSecond = worst(rate.series.map((s) => s.value))
  const errorRate = judgeErrorSample(
    {requests: requestsPerSecond === undefined ? undefined : requestsPerSecond * windowSeconds, errorRate: worst(errors.series.map((s) => s.value))},
    {maxErrorRate: thresholds.maxErrorRate, minRequests: thresholds.minRequests ?? DEFAULT_MIN_REQUESTS},
    subject,
    formatRate,
  )
  const latencySeconds = worst(latency.series.map((s) => s.value))
  return [
    {...errorRate, query: queries.errorRate},
    {
      ...judge('p99-latency', latencySeconds === undefined ? undefined : latencySeconds * 1000, thresholds.maxP99LatencyMs, subject, formatMs),
      query: queries.latencyP99,
    },
  ]
}
