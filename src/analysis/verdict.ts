import type {AnalysisVerdict, Measurement} from './types.js'

export interface VerdictResult {
  verdict: AnalysisVerdict
  reason: string
  /** Runs that had at least one failed measurement. */
  failedRuns: number
  /** The failure limit actually applied (at least 1). */
  failureLimit: number
}

/**
 * Judges the analysis runs of a rollout so far (oldest first), each a set of measurements taken
 * together. A run failed when any of its measurements failed. `failureLimit` is how many failed
 * runs roll the rollout back (the descriptor's `analysis.failureLimit`; values below 1 count as
 * 1, since a limit of 0 would make a rollout that can never fail).
 *
 * The latest run decides, with the failure count over all runs:
 *   latest failed and failedRuns >= limit -> fail   "error rate 0.31 > 0.01 ... (1 of 1 allowed failures)"
 *   latest failed and failedRuns <  limit -> retry  "... (1 of 2 allowed failures, measuring again)"
 *   latest had no data for a metric       -> inconclusive "p99 latency: no data ..."
 *   otherwise                             -> pass
 * A run with no measurements at all, or no runs, is inconclusive: silence is not health.
 */
export function analysisVerdict(runs: readonly {measurements: readonly Measurement[]}[], failureLimit: number): VerdictResult {
  const limit = Math.max(1, Math.floor(failureLimit))
  const failedRuns = runs.filter((run) => run.measurements.some((m) => m.verdict === 'fail')).length
  const latest = runs.at(-1)
  const result = (verdict: AnalysisVerdict, reason: string): VerdictResult => ({verdict, reason, failedRuns, failureLimit: limit})
  if (latest === undefined || latest.measurements.length === 0) return result('inconclusive', 'no measurements')

  const failed = latest.measurements.filter((m) => m.verdict === 'fail')
  if (failed.length > 0) {
    const reasons = failed.map((m) => m.reason).join('; ')
    return failedRuns >= limit
      ? result('fail', `${reasons} (${failedRuns} of ${limit} allowed failures)`)
      : result('retry', `${reasons} (${failedRuns} of ${limit} allowed failures, measuring again)`)
  }
  const inconclusive = latest.measurements.filter((m) => m.verdict === 'inconclusive')
  if (inconclusive.length > 0) return result('inconclusive', inconclusive.map((m) => m.reason).join('; '))
  return result('pass', latest.measurements.map((m) => m.reason).join('; '))
}
