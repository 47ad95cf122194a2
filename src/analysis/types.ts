/** What an analysis measures and how each measurement was judged. */

export type AnalysisMetric = 'error-rate' | 'p99-latency'

/**
 * - pass: within the threshold;
 * - fail: beyond it;
 * - inconclusive: no data (no series, or NaN because nothing was requested in the window). No
 *   data is never a pass: the rollout pauses instead, and a person decides.
 */
export type MeasurementVerdict = 'pass' | 'fail' | 'inconclusive'

export interface Measurement {
  metric: AnalysisMetric
  /** Error rate as a share 0..1, latency in milliseconds; null when there was no data. */
  value: number | null
  /** The limit the value was compared to, in the same unit. */
  threshold: number
  verdict: MeasurementVerdict
  /** Human reason, e.g. "error rate 0.31 > 0.01 for visitors 1.3.0" or "p99 latency: no data". */
  reason: string
  /** The PromQL that produced the value, for `rollout status --verbose` and bug reports. */
  query?: string
}

/** A measurement as recorded in the rollout state: when it was taken. */
export interface RecordedMeasurement extends Measurement {
  /** ISO timestamp. */
  at: string
}

/** One analysis attempt: every measurement taken together, and the verdict on it. */
export interface AnalysisRun {
  /** Index of the plan step the run belongs to. */
  stepIndex: number
  /** ISO timestamp. */
  at: string
  measurements: RecordedMeasurement[]
  verdict: AnalysisVerdict
  reason: string
}

/**
 * The verdict over the runs so far:
 * - pass: the latest run passed every threshold; the rollout moves on;
 * - fail: failed runs reached the failure limit; the rollout rolls back;
 * - retry: the latest run failed but the limit is not reached; measure again after the interval;
 * - inconclusive: the latest run had no data for some metric (and nothing failed); the rollout
 *   pauses until resumed.
 */
export type AnalysisVerdict = 'pass' | 'fail' | 'retry' | 'inconclusive'
