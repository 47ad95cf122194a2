import type {Measurement} from './types.js'

/**
 * "No errors" needs enough requests. An error rate judged on a handful of requests says nothing:
 * three requests without a 5xx pass a 1% threshold as easily as a version that fails one request
 * in ten. So the error-rate check needs a minimum sample (the descriptor's
 * `rollout.analysis.minRequests`, requests in the analysis window) before it can pass.
 *
 * How the tools we follow guard the same gap:
 * - Flagger halts advancement when a metric query returns no values ("probably ... is not
 *   receiving traffic"); each halted check counts towards `analysis.threshold`, the number of
 *   failed checks before a rollback (Flagger docs, "Metrics Analysis" and "Deployment Strategies").
 * - Argo Rollouts: a measurement that meets neither `successCondition` nor `failureCondition` is
 *   Inconclusive; past `inconclusiveLimit` the AnalysisRun is Inconclusive and the Rollout pauses
 *   for a person. Its docs have templates guard low traffic in the condition themselves
 *   (a request-count query beside the success rate).
 * mygate does the second: below the minimum the error rate is inconclusive, the analysis measures
 * again (warm-up, src/analysis/warm-up.ts; flags: src/flags/flag-rollout-machine.ts), and a step
 * still inconclusive at the end of its budget pauses the rollout (`rollout resume` measures again,
 * `rollout promote` skips the analysis): never a pass.
 *
 * A small sample can still fail. With `minRequests` n and threshold t, a full sample tolerates
 * t x n failed requests; once more than that have failed, the rate over the first n requests is
 * above t whatever the rest do, so waiting cannot turn it into a pass and a bad version rolls
 * back at once:
 *   n 20, t 0.01 (allows 0.2):  3 requests, 0 failed -> inconclusive; 3 requests, 1 failed -> fail
 *   n 20, t 0.05 (allows 1):    5 requests, 1 failed -> inconclusive; 5 requests, 2 failed -> fail
 *   n 20, t 0.01:              20 requests, 0 failed -> pass (error rate 0)
 */

/**
 * Requests in the window an error rate needs before it may pass. 20: with fewer, one failed
 * request is already 5% or more, the most lenient threshold the bundled descriptors use, so the
 * sample cannot even resolve the threshold it is judged against. Raise it per service where
 * traffic allows (a threshold t is resolved from 1/t requests on).
 */
export const DEFAULT_MIN_REQUESTS = 20

export interface ErrorSample {
  /** Requests in the window (rate x window: what PromQL's increase() gives), fractional; undefined when there is no series. */
  requests: number | undefined
  /** Share of those answered 5xx, 0..1; undefined when no 5xx series exists yet (none has been served). */
  errorRate: number | undefined
}

export interface ErrorRateRule {
  maxErrorRate: number
  minRequests: number
}

/**
 * Judges the error rate of one sample against its threshold and minimum sample size, in the
 * shape of src/analysis/measure.ts judge(): pass and fail reasons as before ("error rate 0.002 <=
 * 0.01 for visitors 1.3.0"), with the sample size when it decided the verdict.
 */
export function judgeErrorSample(sample: ErrorSample, rule: ErrorRateRule, subject: string, format: (value: number) => string): Omit<Measurement, 'query'> {
  const {maxErrorRate: threshold} = rule
  const minRequests = Math.max(1, rule.minRequests)
  const requests = sample.requests !== undefined && Number.isFinite(sample.requests) && sample.requests > 0 ? sample.requests : 0
  const rate = sample.errorRate !== undefined && !Number.isNaN(sample.errorRate) ? sample.errorRate : undefined
  if (requests === 0) {
    return {metric: 'error-rate', value: null, threshold, verdict: 'inconclusive', reason: `error rate: no data for ${subject}`}
  }
  const value = rate ?? 0
  const noErrors = rate === undefined ? ' (no 5xx responses)' : ''
  if (requests >= minRequests) {
    return value > threshold
      ? {metric: 'error-rate', value, threshold, verdict: 'fail', reason: `error rate ${format(value)} > ${format(threshold)} for ${subject}`}
      : {metric: 'error-rate', value, threshold, verdict: 'pass', reason: `error rate ${format(value)} <= ${format(threshold)} for ${subject}${noErrors}`}
  }
  const failed = value * requests
  const seen = `${count(failed)} of ${count(requests)} requests failed`
  if (failed > threshold * minRequests) {
    return {
      metric: 'error-rate',
      value,
      threshold,
      verdict: 'fail',
      reason: `error rate ${format(value)} > ${format(threshold)} for ${subject} (${seen}: more than a full sample of ${minRequests} allows)`,
    }
  }
  return {
    metric: 'error-rate',
    value,
    threshold,
    verdict: 'inconclusive',
    reason: `error rate: ${count(requests)} requests for ${subject}, fewer than the ${minRequests} needed (${seen}); measuring again`,
  }
}

/** A request count as people read it: whole above 10, one decimal below (rates times windows are fractional). */
function count(value: number): string {
  return value >= 10 ? String(Math.round(value)) : String(Number(value.toFixed(1)))
}
