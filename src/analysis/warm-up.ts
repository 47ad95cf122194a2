import type {Measurement} from './types.js'

/**
 * Warm-up of an analysis: a version whose pods started moments ago has no series yet (Prometheus
 * has not scraped it twice, so rate() and histogram_quantile() over it are empty), and "no data
 * yet" is not "no traffic". So a measurement without data for some metric is taken again after a
 * short warm-up step, not after the whole analysis interval, until every metric has data or the
 * warm-up budget is spent; only then is the run recorded (an inconclusive one pauses the rollout).
 *
 * - step: WARM_UP_STEP_MS (2 s), or the interval when that is shorter. Seconds, because the
 *   first series of a new pod appears within one or two scrapes.
 * - budget: the analysis window, but at least MIN_WARM_UP_BUDGET_MS (30 s): two scrapes at
 *   Prometheus' default scrape_interval of 15 s (Prometheus configuration reference) before rate()
 *   has the two samples it needs.
 * - a failing measurement is recorded at once, whatever else lacks data: waiting for the other
 *   metric cannot turn a failure into a pass, and a bad version should roll back without delay.
 *
 * Worked example (interval 1m, nothing yet at t=0, error rate at t=2 s, p99 at t=4 s): measure at
 * 0, 2 and 4 s, record at 4 s; the old rule measured at 0 and 60 s.
 */

export const WARM_UP_STEP_MS = 2_000
export const MIN_WARM_UP_BUDGET_MS = 30_000

export type WarmUpDecision = {measureAgain: true; delayMs: number} | {measureAgain: false}

export function nextWarmUp(
  measurements: readonly Pick<Measurement, 'verdict'>[],
  timing: {intervalMs: number; windowMs: number; elapsedMs: number},
): WarmUpDecision {
  if (measurements.some((m) => m.verdict === 'fail')) return {measureAgain: false}
  if (measurements.length > 0 && measurements.every((m) => m.verdict !== 'inconclusive')) return {measureAgain: false}
  const delayMs = Math.min(WARM_UP_STEP_MS, timing.intervalMs)
  const budgetMs = Math.max(MIN_WARM_UP_BUDGET_MS, timing.windowMs)
  return timing.elapsedMs + delayMs <= budgetMs ? {measureAgain: true, delayMs} : {measureAgain: false}
}
