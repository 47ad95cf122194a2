import {UsageError} from '../errors.js'

/**
 * The PromQL the rollout analysis runs, the same text against a real Prometheus and against the
 * local control plane's Prometheus-compatible endpoint (src/local-cluster/metrics/).
 *
 * Metric contract: every MyGate service exposes, per pod,
 * - `http_requests_total{namespace, service, version, code}`: a counter of HTTP requests served,
 *   `code` the HTTP status ("200", "503"...);
 * - `http_request_duration_seconds_bucket{namespace, service, version, le}`: a Prometheus histogram
 *   of request durations in seconds (with the usual `_sum` and `_count`).
 * `service` is the pod's `app.kubernetes.io/name` label, `version` its `app.kubernetes.io/version`.
 *
 * Every query aggregates to one series (no labels), so "no traffic" is an empty vector and 0/0
 * (series present, nothing requested in the window) is NaN: the analysis treats both as
 * inconclusive.
 */

export interface QuerySelector {
  namespace: string
  service: string
  /** Omit to measure every version of the service together. */
  version?: string
  /** PromQL range for rate(), e.g. "1m", "30s", "1m30s". */
  window: string
}

/** PromQL durations: one or more number+unit pairs, units ms s m h d w y. */
const PROMQL_DURATION = /^(?:\d+(?:ms|s|m|h|d|w|y))+$/

/** A double-quoted PromQL string literal for a label value (backslash, quote and newlines escaped). */
export function promqlString(value: string): string {
  const escaped = value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')
  return `"${escaped}"`
}

/** A PromQL duration in seconds: "1m30s" -> 90 (the window's length, to turn a rate into a count). */
export function promqlDurationSeconds(duration: string): number {
  if (!PROMQL_DURATION.test(duration)) {
    throw new UsageError(`analysis window "${duration}" is not a PromQL duration`, {hint: 'use e.g. 30s, 1m, 5m, 1m30s'})
  }
  let seconds = 0
  for (const [, amount, unit] of duration.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) seconds += Number(amount) * UNIT_SECONDS[unit]
  return seconds
}

const UNIT_SECONDS: Record<string, number> = {ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000}

function window(selector: QuerySelector): string {
  if (!PROMQL_DURATION.test(selector.window)) {
    throw new UsageError(`analysis window "${selector.window}" is not a PromQL duration`, {hint: 'use e.g. 30s, 1m, 5m, 1m30s'})
  }
  return selector.window
}

/** `namespace="mygate",service="visitors",version="1.2.0"` plus any extra matchers, in this order. */
function matchers(selector: QuerySelector, extra = ''): string {
  const parts = [`namespace=${promqlString(selector.namespace)}`, `service=${promqlString(selector.service)}`]
  if (selector.version !== undefined) parts.push(`version=${promqlString(selector.version)}`)
  if (extra) parts.push(extra)
  return parts.join(',')
}

/**
 * Share of requests answered with a 5xx over the window, 0..1:
 * `sum(rate(http_requests_total{namespace="mygate",service="visitors",version="1.2.0",code=~"5.."}[1m])) / sum(rate(http_requests_total{namespace="mygate",service="visitors",version="1.2.0"}[1m]))`
 */
export function errorRateQuery(selector: QuerySelector): string {
  const range = window(selector)
  return (
    `sum(rate(http_requests_total{${matchers(selector, 'code=~"5.."')}}[${range}]))` +
    ` / sum(rate(http_requests_total{${matchers(selector)}}[${range}]))`
  )
}

/**
 * 99th percentile request latency over the window, in SECONDS:
 * `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="mygate",service="visitors",version="1.2.0"}[1m])))`
 */
export function latencyP99Query(selector: QuerySelector): string {
  return latencyQuantileQuery(0.99, selector)
}

/** Any quantile (0..1) of request latency, in seconds; latencyP99Query is quantile 0.99. */
export function latencyQuantileQuery(quantile: number, selector: QuerySelector): string {
  if (!(quantile >= 0 && quantile <= 1)) throw new UsageError(`quantile ${quantile} is outside 0..1`)
  return `histogram_quantile(${quantile}, sum by (le) (rate(http_request_duration_seconds_bucket{${matchers(selector)}}[${window(selector)}])))`
}

/**
 * Requests per second over the window:
 * `sum(rate(http_requests_total{namespace="mygate",service="visitors",version="1.2.0"}[1m]))`
 */
export function requestRateQuery(selector: QuerySelector): string {
  return `sum(rate(http_requests_total{${matchers(selector)}}[${window(selector)}]))`
}

/**
 * Flag analysis: the same measures over the requests that evaluated one flag and got one variant.
 * Metric contract (README "Feature flag metrics"): a request whose code path evaluated a flag is
 * counted with the labels of OpenTelemetry's feature-flag semantic conventions, `feature_flag.key`
 * and `feature_flag.result.variant`, written `feature_flag_key` and `feature_flag_result_variant`
 * as Prometheus label names (dots become underscores).
 */
export interface FlagQuerySelector extends QuerySelector {
  flag: string
  variant: string
}

export const FLAG_KEY_LABEL = 'feature_flag_key'
export const FLAG_VARIANT_LABEL = 'feature_flag_result_variant'

function flagMatchers(selector: FlagQuerySelector): string {
  return `${FLAG_KEY_LABEL}=${promqlString(selector.flag)},${FLAG_VARIANT_LABEL}=${promqlString(selector.variant)}`
}

/**
 * `sum(rate(http_requests_total{namespace="mygate",service="billing",feature_flag_key="upi-autopay",feature_flag_result_variant="on",code=~"5.."}[1m])) / sum(rate(http_requests_total{...same without code...}[1m]))`
 */
export function flagErrorRateQuery(selector: FlagQuerySelector): string {
  const range = window(selector)
  const flag = flagMatchers(selector)
  return (
    `sum(rate(http_requests_total{${matchers(selector, `${flag},code=~"5.."`)}}[${range}]))` +
    ` / sum(rate(http_requests_total{${matchers(selector, flag)}}[${range}]))`
  )
}

/** p99 latency (seconds) of the requests that got the variant. */
export function flagLatencyP99Query(selector: FlagQuerySelector): string {
  return `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{${matchers(selector, flagMatchers(selector))}}[${window(selector)}])))`
}

/** Requests per second that got the variant. */
export function flagRequestRateQuery(selector: FlagQuerySelector): string {
  return `sum(rate(http_requests_total{${matchers(selector, flagMatchers(selector))}}[${window(selector)}]))`
}
