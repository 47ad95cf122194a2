import type {AnalysisThresholds} from '../catalog/types.js'
import {formatMs, formatRate, judge} from '../analysis/measure.js'
import type {PrometheusClient} from '../analysis/prometheus-client.js'
import {flagErrorRateQuery, flagLatencyP99Query, flagRequestRateQuery} from '../analysis/queries.js'
import type {Measurement} from '../analysis/types.js'

export interface MeasureFlagOptions {
  client: PrometheusClient
  namespace: string
  service: string
  flag: string
  /** The variant judged: the rollout's on-variant. */
  variant: string
  thresholds: AnalysisThresholds
  window: string
}

const worst = (values: number[]): number | undefined => {
  if (values.length === 0) return undefined
  const numbers = values.filter((v) => !Number.isNaN(v))
  return numbers.length === 0 ? Number.NaN : Math.max(...numbers)
}

/**
 * The canary analysis split by variant: error rate and p99 latency of one service's requests that
 * got the flag's on-variant, judged against the service's descriptor thresholds (the same the
 * canary of a deploy uses). Reasons name the subject as "billing upi-autopay=on":
 *   {metric: 'error-rate', value: 0.3, threshold: 0.001, verdict: 'fail',
 *    reason: 'error rate 0.3 > 0.001 for billing upi-autopay=on'}
 */
export async function measureFlagVariant(options: MeasureFlagOptions): Promise<Measurement[]> {
  const {client, namespace, service, flag, variant, thresholds, window} = options
  const subject = `${service} ${flag}=${variant}`
  const selector = {namespace, service, flag, variant, window}
  const errorQuery = flagErrorRateQuery(selector)
  const latencyQuery = flagLatencyP99Query(selector)
  const [errors, latency] = await Promise.all([client.query(errorQuery), client.query(latencyQuery)])
  let errorMeasurement: Measurement | undefined
  const errorRate = worst(errors.series.map((s) => s.value))
  if (errorRate === undefined) {
    // No 5xx series yet: traffic in the window tells "no errors" from "no requests".
    const requests = worst((await client.query(flagRequestRateQuery(selector))).series.map((s) => s.value))
    if (requests !== undefined && Number.isFinite(requests) && requests > 0) {
      const judged = judge('error-rate', 0, thresholds.maxErrorRate, subject, formatRate)
      errorMeasurement = {...judged, reason: `${judged.reason} (no 5xx responses)`, query: errorQuery}
    }
  }
  const seconds = worst(latency.series.map((s) => s.value))
  return [
    errorMeasurement ?? {...judge('error-rate', errorRate, thresholds.maxErrorRate, subject, formatRate), query: errorQuery},
    {...judge('p99-latency', seconds === undefined ? undefined : seconds * 1000, thresholds.maxP99LatencyMs, subject, formatMs), query: latencyQuery},
  ]
}
