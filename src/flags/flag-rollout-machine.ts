import {MIN_WARM_UP_BUDGET_MS} from '../analysis/warm-up.js'
import {analysisVerdict} from '../analysis/verdict.js'
import type {Measurement, RecordedMeasurement} from '../analysis/types.js'

/**
 * A flag rollout as a resumable state machine, in the style of src/rollout/state-machine.ts: the
 * state lives in a ConfigMap (flag-rollout-store.ts), the driver loops
 *
 *   action = nextFlagAction(state, now); perform it; state = applyFlagEvent(state, event, now); persist
 *
 * so a CLI killed anywhere resumes from the stored state (`flags rollout resume`), and promote /
 * abort requests written by another machine are seen at the next turn.
 *
 * Per step: set the split, then measure every analysisIntervalMs; the step ends when its pause has
 * elapsed and the latest measurement passed. One failed measurement turns the flag off at once
 * (a flag is cheap to turn off, and every further second hurts the residents in the on-bucket).
 * A measurement without data (too few requests in the on-bucket yet) measures again; a pause that
 * ends with no passing measurement pauses the rollout until `resume`.
 *
 *   steps [1, 100], pause 5 s, interval 1 s, t=0:
 *   setSplit 1 -> (t=1) runAnalysis pass -> ... (t=5) nextStep -> setSplit 100 -> ... -> finish
 */

export type FlagRolloutPhase = 'progressing' | 'paused' | 'succeeded' | 'turnedOff' | 'aborted'

export interface FlagRolloutFailure {
  metric: string
  service: string
  value: number | null
  threshold: number
  reason: string
  /** The split the failed measurement judged (absent in records written before it was kept). */
  percent?: number
}

export interface FlagRolloutState {
  id: string
  flag: string
  environment: string
  services: string[]
  steps: number[]
  pauseMs: number
  analysisIntervalMs: number
  /** PromQL window of each measurement. */
  analysisWindow: string
  phase: FlagRolloutPhase
  stepIndex: number
  /** The split written to the clusters for the current step (undefined until written). */
  appliedPercent?: number
  /** When the current step's split was written (epoch ms). */
  stepStartedAt?: number
  lastAnalysisAt?: number
  /** The latest measurements of the current step, and whether they passed. */
  lastMeasurements?: RecordedMeasurement[]
  lastVerdict?: 'pass' | 'fail' | 'retry' | 'inconclusive'
  startedBy: {user: string; host: string}
  createdAt: string
  updatedAt: string
  finishedAt?: string
  reason?: string
  failure?: FlagRolloutFailure
  /** Steering written by `flags rollout promote|abort` from any machine. */
  abortRequestedBy?: string
  promoteRequested?: boolean
}

export type FlagRolloutAction =
  | {kind: 'setSplit'; percent: number}
  | {kind: 'runAnalysis'}
  | {kind: 'wait'; untilMs: number; reason: string}
  /** Write the flag off (default variant off, split removed), then send turnedOff. */
  | {kind: 'turnOff'; reason: string; cause: 'analysis' | 'abort'}
  /** The last step passed: write the flag fully on (at 100%) or leave the split, then send finished. */
  | {kind: 'finish'; percent: number}
  | {kind: 'waitForResume'; reason: string}
  | {kind: 'done'; phase: FlagRolloutPhase}

export type FlagRolloutEvent =
  | {type: 'splitApplied'; percent: number}
  | {type: 'analysisMeasured'; measurements: Measurement[]}
  | {type: 'waitElapsed'}
  | {type: 'turnedOff'}
  | {type: 'finished'}
  | {type: 'promoteRequested'}
  | {type: 'abortRequested'; by: string}
  | {type: 'resumeRequested'}

export function isActive(state: FlagRolloutState): boolean {
  return state.phase === 'progressing' || state.phase === 'paused'
}

export function nextFlagAction(state: FlagRolloutState, now: number): FlagRolloutAction {
  if (!isActive(state)) return {kind: 'done', phase: state.phase}
  if (state.abortRequestedBy !== undefined) return {kind: 'turnOff', reason: `aborted by ${state.abortRequestedBy}`, cause: 'abort'}
  if (state.lastVerdict === 'fail') return {kind: 'turnOff', reason: state.reason ?? 'analysis failed', cause: 'analysis'}
  if (state.phase === 'paused') return {kind: 'waitForResume', reason: state.reason ?? 'paused'}
  const percent = state.steps[state.stepIndex]
  if (state.appliedPercent !== percent || state.stepStartedAt === undefined) return {kind: 'setSplit', percent}
  const passed = state.lastVerdict === 'pass'
  const stepEnds = state.stepStartedAt + state.pauseMs
  const last = state.stepIndex === state.steps.length - 1
  if ((now >= stepEnds && passed) || (state.promoteRequested && passed)) {
    return last ? {kind: 'finish', percent} : {kind: 'setSplit', percent: state.steps[state.stepIndex + 1]}
  }
  const nextAnalysis = (state.lastAnalysisAt ?? state.stepStartedAt) + state.analysisIntervalMs
  if (now >= nextAnalysis) return {kind: 'runAnalysis'}
  // A step whose measurements found no data yet (a small split sees few requests) keeps measuring
  // for the analysis warm-up budget past its pause before it pauses for a person (issue 9's rule:
  // no data is not a verdict).
  if (now >= stepEnds + MIN_WARM_UP_BUDGET_MS && !passed && state.lastAnalysisAt !== undefined && state.lastAnalysisAt >= stepEnds + MIN_WARM_UP_BUDGET_MS) {
    return {kind: 'waitForResume', reason: `no passing analysis at ${percent}% by the end of the pause`}
  }
  return {kind: 'wait', untilMs: Math.min(nextAnalysis, passed ? stepEnds : nextAnalysis), reason: `at ${percent}%`}
}

/** The failed measurement that turned the flag off: metric, service, value and threshold. */
function failureOf(measurements: readonly Measurement[], services: readonly string[], percent: number | undefined): FlagRolloutFailure | undefined {
  const failed = measurements.find((m) => m.verdict === 'fail')
  if (!failed) return undefined
  const service = services.find((s) => failed.reason.includes(` for ${s} `)) ?? services[0] ?? ''
  return {metric: failed.metric, service, value: failed.value, threshold: failed.threshold, reason: failed.reason, ...(percent === undefined ? {} : {percent})}
}

export function applyFlagEvent(state: FlagRolloutState, event: FlagRolloutEvent, now: number): FlagRolloutState {
  const at = new Date(now).toISOString()
  const next: FlagRolloutState = {...state, updatedAt: at}
  switch (event.type) {
    case 'splitApplied': {
      const index = state.steps.indexOf(event.percent)
      return {
        ...next,
        stepIndex: index === -1 ? state.stepIndex : index,
        appliedPercent: event.percent,
        stepStartedAt: now,
        lastAnalysisAt: undefined,
        lastMeasurements: undefined,
        lastVerdict: undefined,
        promoteRequested: undefined,
      }
    }
    case 'analysisMeasured': {
      const verdict = analysisVerdict([{measurements: event.measurements}], 1)
      return {
        ...next,
        lastAnalysisAt: now,
        lastMeasurements: event.measurements.map((m) => ({...m, at})),
        // No data is not a failure: measure again (nextFlagAction pauses if the step ends without a pass).
        lastVerdict: verdict.verdict === 'inconclusive' ? 'inconclusive' : verdict.verdict === 'pass' ? 'pass' : 'fail',
        ...(verdict.verdict === 'fail' ? {reason: verdict.reason, failure: failureOf(event.measurements, state.services, state.appliedPercent)} : {}),
      }
    }
    case 'waitElapsed':
      return next
    case 'turnedOff':
      return {...next, phase: state.abortRequestedBy !== undefined && state.lastVerdict !== 'fail' ? 'aborted' : 'turnedOff', finishedAt: at, appliedPercent: 0}
    case 'finished':
      return {...next, phase: 'succeeded', finishedAt: at, reason: `rolled out to ${state.steps.at(-1)}%`}
    case 'promoteRequested':
      return {...next, promoteRequested: true, ...(state.phase === 'paused' ? {phase: 'progressing', lastVerdict: 'pass'} : {})}
    case 'abortRequested':
      return {...next, abortRequestedBy: event.by}
    case 'resumeRequested':
      return state.phase === 'paused' ? {...next, phase: 'progressing', stepStartedAt: now, lastAnalysisAt: undefined, lastVerdict: undefined} : next
  }
}

/** Stops at a waitForResume: the driver records it as a pause. */
export function paused(state: FlagRolloutState, reason: string, now: number): FlagRolloutState {
  return {...state, phase: 'paused', reason, updatedAt: new Date(now).toISOString()}
}
