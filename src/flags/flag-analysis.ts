import type {AnalysisThresholds} from '../catalog/types.js'
import {measureSample} from '../analysis/measure.js'
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

/**
 * The canary analysis split by variant: error rate and p99 latency of one service's requests that
 * got the flag's on-variant, judged against the service's descriptor thresholds (the same the
 * canary of a deploy uses, minimum sample included: a small split's few requests are
 * inconclusive, never a pass). Reasons name the subject as "billing upi-autopay=on":
 *   {metric: 'error-rate', value: 0.3, threshold: 0.001, verdict: 'fail',
 *    reason: 'error rate 0.3 > 0.001 for billing upi-autopay=on'}
 */
export async function measureFlagVariant(options: MeasureFlagOptions): Promise<Measurement[]> {
  const {client, namespace, service, flag, variant, thresholds, window} = options
  const selector = {namespace, service, flag, variant, window}
  return measureSample(
    {client, window, subject: `${service} ${flag}=${variant}`, thresholds},
    {errorRate: flagErrorRateQuery(selector), latencyP99: flagLatencyP99Query(selector), requestRate: flagRequestRateQuery(selector)},
  )
}
