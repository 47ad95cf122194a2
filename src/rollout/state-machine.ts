import {analysisVerdict} from '../analysis/verdict.js'
import type {AnalysisRun, Measurement} from '../analysis/types.js'
import {parseDuration, formatDuration} from '../duration.js'
import {UsageError} from '../errors.js'
import {describeStep, type RolloutStep} from './plan.js'
import {isInProgress, type Color, type RollbackCause, type RollbackInfo, type RolloutPhase, type RolloutState} from './state.js'

/**
 * The rollout state machine. mygate runs rollouts from the CLI, with no controller in the
 * cluster, so the loop the I/O layer runs is:
 *
 *   state = decodeState(configMap.data)
 *   loop:
 *     action = nextAction(state, Date.now())
 *     if action.kind is 'done', 'waitForPromotion' or 'waitForResume': stop (report the phase)
 *     perform the action against the cluster (or sleep until action.untilMs for 'wait')
 *     state = applyEvent(state, <what happened>, Date.now()); persist it
 *
 * Every action is acknowledged by exactly one event:
 *   setWeight, promote, deployPreview, switchActive, scaleDownOld, updateDeployment,
 *   waitHealthy -> {type: 'stepCompleted'}
 *   wait        -> {type: 'waitElapsed'} once the clock has reached untilMs
 *   runAnalysis -> {type: 'analysisMeasured', measurements} (from measureCanary)
 *   rollback    -> {type: 'rollbackCompleted'}
 * and, at any time: podsUnhealthy (from the pod watch), promoteRequested, abortRequested,
 * resumeRequested, undoRequested (from `mygate rollout ...`), failed (an error the I/O layer
 * cannot recover from). Because the state is persisted after each event, a CLI killed mid-way
 * resumes by running the same loop: the next action is recomputed from the stored state.
 */

export type RolloutAction =
  | {kind: 'setWeight'; weight: number}
  /** Sleep until `untilMs` (epoch ms; may already have passed), then send waitElapsed. */
  | {kind: 'wait'; untilMs: number; reason: string}
  /** Paused at an approval step: nothing to do until `mygate rollout promote`. */
  | {kind: 'waitForPromotion'; reason: string}
  /** Paused after an inconclusive analysis: nothing to do until `mygate rollout resume`. */
  | {kind: 'waitForResume'; reason: string}
  /** Measure now (retries after a failed run are preceded by a 'wait' for the interval). */
  | {kind: 'runAnalysis'; phase?: 'pre' | 'post'}
  | {kind: 'promote'}
  | {kind: 'deployPreview'; color: Color}
  | {kind: 'switchActive'; from: Color; to: Color}
  | {kind: 'scaleDownOld'; color: Color}
  | {kind: 'updateDeployment'}
  | {kind: 'waitHealthy'}
  /**
   * Return traffic to the previous version. With restore 'traffic' the previous version still
   * runs: canary -> weight 0 and canary scaled to 0; blue-green -> active selector back to
   * `color`, new colour scaled to 0. With 'previousVersion' it must be deployed again from
   * `fromImage`. Then send rollbackCompleted.
   */
  | ({kind: 'rollback'; fromVersion?: string; fromImage?: string; color?: Color} & RollbackInfo)
  | {kind: 'done'; phase: RolloutPhase}

export interface UnhealthyPod {
  name: string
  /** Waiting/terminated reason or condition: "CrashLoopBackOff", "ImagePullBackOff", "OOMKilled". */
  reason: string
}

export type RolloutEvent =
  /** The action for the current step was carried out in the cluster. */
  | {type: 'stepCompleted'}
  /** A 'wait' action's time has come (a pause ended, an analysis retry or scale-down is due). */
  | {type: 'waitElapsed'}
  | {type: 'analysisMeasured'; measurements: Measurement[]}
  | {type: 'podsUnhealthy'; pods: UnhealthyPod[]}
  /** Without `full`: skip the current pause or analysis. With `full`: skip to the promotion. */
  | {type: 'promoteRequested'; full?: boolean; by?: string}
  | {type: 'abortRequested'; by: string}
  | {type: 'resumeRequested'; by?: string}
  | {type: 'rollbackCompleted'}
  | {type: 'undoRequested'; by?: string}
  | {type: 'failed'; reason: string}

const iso = (ms: number): string => new Date(ms).toISOString()

function currentStep(state: RolloutState): RolloutStep | undefined {
  return state.plan[state.currentStepIndex]
}

function stepLabel(state: RolloutState, index = state.currentStepIndex): string {
  const step = state.plan[index]
  return `step ${index + 1}/${state.plan.length}${step ? ` (${describeStep(step)})` : ''}`
}

function command(state: RolloutState, verb: string): string {
  return `mygate rollout ${verb} ${state.service} --env ${state.environment}`
}

/** The one line used when a steering command finds nothing to steer. */
export function noRolloutInProgressMessage(state: Pick<RolloutState, 'service' | 'environment' | 'phase' | 'fromVersion' | 'toVersion'> | undefined, service: string, environment: string): string {
  const last = state === undefined ? '' : ` (the last one ${state.phase}: ${state.fromVersion ?? '(none)'} -> ${state.toVersion})`
  return `no rollout of ${service} is in progress in ${environment}${last}`
}

/**
 * What the I/O layer should do next. Pure, and independent of the clock: a timed wait stays the
 * next action until acknowledged with waitElapsed (the caller sleeps `untilMs - now` first, which
 * may be nothing after a restart), so every change of step is recorded by an event. `now` is
 * accepted for symmetry with applyEvent and future use.
 */
export function nextAction(state: RolloutState, _now: number): RolloutAction {
  switch (state.phase) {
    case 'Succeeded':
    case 'RolledBack':
    case 'Aborted':
    case 'Failed':
      return {kind: 'done', phase: state.phase}
    case 'RollingBack': {
      const rollback = state.rollback as RollbackInfo
      return {kind: 'rollback', ...rollback, fromVersion: state.fromVersion, fromImage: state.fromImage, color: state.colors?.from}
    }
    case 'Paused': {
      const step = currentStep(state)
      return step?.kind === 'pause' && 'untilPromoted' in step
        ? {kind: 'waitForPromotion', reason: state.message}
        : {kind: 'waitForResume', reason: state.message}
    }
    case 'Pending':
    case 'Progressing':
      break
  }
  const step = currentStep(state)
  if (step === undefined) throw new Error(`rollout ${state.id}: step index ${state.currentStepIndex} is outside its plan`)
  const pausedUntil = state.pausedUntil === undefined ? undefined : Date.parse(state.pausedUntil)
  switch (step.kind) {
    case 'setWeight':
      return {kind: 'setWeight', weight: step.weight}
    case 'pause':
      // An approval pause is entered in phase Paused; reaching it here means it was just loaded.
      if ('untilPromoted' in step) return {kind: 'waitForPromotion', reason: state.message}
      return {kind: 'wait', untilMs: pausedUntil ?? Date.parse(state.stepStartedAt) + step.durationMs, reason: state.message}
    case 'analysis':
      if (pausedUntil !== undefined) return {kind: 'wait', untilMs: pausedUntil, reason: state.message}
      return step.phase === undefined ? {kind: 'runAnalysis'} : {kind: 'runAnalysis', phase: step.phase}
    case 'promote':
      return {kind: 'promote'}
    case 'deployPreview':
      return {kind: 'deployPreview', color: colorsOf(state).to}
    case 'switchActive':
      return {kind: 'switchActive', ...colorsOf(state)}
    case 'scaleDownOld':
      // pausedUntil is set on entering the step and cleared by waitElapsed.
      return pausedUntil !== undefined ? {kind: 'wait', untilMs: pausedUntil, reason: state.message} : {kind: 'scaleDownOld', color: colorsOf(state).from}
    case 'updateDeployment':
      return {kind: 'updateDeployment'}
    case 'waitHealthy':
      return {kind: 'waitHealthy'}
  }
}

function colorsOf(state: RolloutState): {from: Color; to: Color} {
  if (state.colors === undefined) throw new Error(`rollout ${state.id}: a blue-green step without colours`)
  return state.colors
}

/** Enters step `index` (or finishes the rollout past the last step). */
function enterStep(state: RolloutState, index: number, now: number, note?: string): RolloutState {
  if (index >= state.plan.length) {
    return {
      ...state,
      currentStepIndex: state.plan.length,
      phase: 'Succeeded',
      currentWeight: 100,
      pausedUntil: undefined,
      finishedAt: iso(now),
      message: `${state.service} ${state.toVersion} is live in ${state.environment} (${state.strategy})`,
    }
  }
  const step = state.plan[index]
  const next: RolloutState = {...state, currentStepIndex: index, stepStartedAt: iso(now), pausedUntil: undefined, phase: 'Progressing'}
  const prefix = note ? `${note}; ` : ''
  if (step.kind === 'pause' && 'untilPromoted' in step) {
    return {...next, phase: 'Paused', message: `${prefix}waiting for approval at ${state.currentWeight}%: run \`${command(state, 'promote')}\` to continue or \`${command(state, 'abort')}\``}
  }
  if (step.kind === 'pause') {
    return {...next, pausedUntil: iso(now + step.durationMs), message: `${prefix}${stepLabel(next, index)}: pausing ${formatDuration(step.durationMs)} at ${state.currentWeight}%`}
  }
  if (step.kind === 'scaleDownOld') {
    const old = colorsOf(state).from
    return {...next, pausedUntil: iso(now + step.afterMs), message: `${prefix}${old} kept for ${formatDuration(step.afterMs)} so \`${command(state, 'undo')}\` is instant`}
  }
  return {...next, message: `${prefix}${stepLabel(next, index)}`}
}

/** Where a rollback must restore from, given how far the new version has got. */
function restoreFor(state: RolloutState): RollbackInfo['restore'] {
  if (state.phase === 'Succeeded' || state.phase === 'Failed') return 'previousVersion'
  if (state.strategy === 'rolling') return 'previousVersion'
  // A canary promotion rewrites the stable Deployment: once it has started, stable may already
  // run the new version, so only a redeploy of the previous image is certain.
  if (state.strategy === 'canary') {
    const promoteAt = state.plan.findIndex((step) => step.kind === 'promote')
    return promoteAt !== -1 && state.currentStepIndex >= promoteAt ? 'previousVersion' : 'traffic'
  }
  // Blue-green: the old colour runs until scaleDownOld has completed (which ends the rollout).
  return 'traffic'
}

function startRollback(state: RolloutState, cause: RollbackCause, reason: string, now: number): RolloutState {
  const target = state.fromVersion ?? '(none)'
  return {
    ...state,
    phase: 'RollingBack',
    pausedUntil: undefined,
    finishedAt: undefined,
    rollback: {cause, reason, restore: restoreFor(state)},
    message: `rolling back to ${target}: ${reason}`,
    updatedAt: iso(now),
  }
}

function requireInProgress(state: RolloutState): void {
  if (state.phase === 'RollingBack') {
    throw new UsageError(`the rollout of ${state.service} in ${state.environment} is already rolling back: ${state.rollback?.reason ?? ''}`, {
      hint: `follow it with \`${command(state, 'status')} --watch\``,
    })
  }
  if (!isInProgress(state)) {
    throw new UsageError(noRolloutInProgressMessage(state, state.service, state.environment), {
      hint: `start one with \`mygate deploy ${state.service} --env ${state.environment} --version V\``,
    })
  }
}

/**
 * Applies what happened to the state and returns the new state (the input is not modified).
 * Steering events that make no sense in the current phase throw UsageError with the reason
 * (promote or abort with no rollout in progress, undo without a previous version); an event that
 * contradicts the action the I/O layer was given (a bug) throws a plain Error.
 */
export function applyEvent(state: RolloutState, event: RolloutEvent, now: number): RolloutState {
  const next = applyEventInner(state, event, now)
  return next === state ? state : {...next, updatedAt: iso(now)}
}

function applyEventInner(state: RolloutState, event: RolloutEvent, now: number): RolloutState {
  switch (event.type) {
    case 'stepCompleted':
      return completeStep(state, now)
    case 'waitElapsed':
      return endWait(state, now)
    case 'analysisMeasured':
      return recordAnalysis(state, event.measurements, now)
    case 'podsUnhealthy': {
      // Late watch events after the rollout ended, or while it already rolls back, change nothing.
      if (!isInProgress(state) || event.pods.length === 0) return state
      const reason = event.pods.map((pod) => `${pod.name}: ${pod.reason}`).join(', ')
      return startRollback(state, 'unhealthy', reason, now)
    }
    case 'promoteRequested':
      return promote(state, event.full === true, event.by, now)
    case 'abortRequested':
      requireInProgress(state)
      return startRollback(state, 'abort', `aborted by ${event.by}`, now)
    case 'resumeRequested':
      return resume(state, now)
    case 'rollbackCompleted': {
      if (state.phase !== 'RollingBack' || state.rollback === undefined) {
        throw new Error(`rollout ${state.id}: rollbackCompleted in phase ${state.phase}`)
      }
      const aborted = state.rollback.cause === 'abort'
      const running = state.fromVersion ?? '(none)'
      return {
        ...state,
        phase: aborted ? 'Aborted' : 'RolledBack',
        currentWeight: 0,
        pausedUntil: undefined,
        finishedAt: iso(now),
        message: `${aborted ? 'aborted' : 'rolled back'}: ${state.service} ${running} serves all traffic in ${state.environment} (${state.rollback.reason})`,
      }
    }
    case 'undoRequested':
      return undo(state, event.by, now)
    case 'failed':
      if (!isInProgress(state) && state.phase !== 'RollingBack') return state
      return {...state, phase: 'Failed', pausedUntil: undefined, finishedAt: iso(now), message: `failed at ${stepLabel(state)}: ${event.reason}`}
  }
}

function completeStep(state: RolloutState, now: number): RolloutState {
  if (state.phase !== 'Pending' && state.phase !== 'Progressing') {
    throw new Error(`rollout ${state.id}: stepCompleted in phase ${state.phase}`)
  }
  const step = currentStep(state)
  if (step === undefined) throw new Error(`rollout ${state.id}: stepCompleted past the end of the plan`)
  if (step.kind === 'analysis') throw new Error(`rollout ${state.id}: an analysis step completes with analysisMeasured`)
  if (step.kind === 'pause' && 'untilPromoted' in step) throw new Error(`rollout ${state.id}: an approval pause completes with promoteRequested`)
  if (step.kind === 'pause') throw new Error(`rollout ${state.id}: a pause completes with waitElapsed`)
  const action = nextAction(state, now)
  if (action.kind === 'wait') {
    throw new Error(`rollout ${state.id}: ${describeStep(step)} completed while its wait has ${formatDuration(action.untilMs - now)} left`)
  }
  let weight = state.currentWeight
  if (step.kind === 'setWeight') weight = step.weight
  if (step.kind === 'promote' || step.kind === 'switchActive' || step.kind === 'waitHealthy') weight = 100
  return enterStep({...state, currentWeight: weight}, state.currentStepIndex + 1, now)
}

function endWait(state: RolloutState, now: number): RolloutState {
  const action = state.phase === 'Pending' || state.phase === 'Progressing' ? nextAction(state, now) : undefined
  if (action?.kind !== 'wait') throw new Error(`rollout ${state.id}: waitElapsed at ${stepLabel(state)} in phase ${state.phase} with no wait`)
  if (action.untilMs > now) throw new Error(`rollout ${state.id}: waitElapsed ${formatDuration(action.untilMs - now)} early`)
  const step = currentStep(state) as RolloutStep
  // A timed pause is over: next step. An analysis retry or a scale-down is now due: same step,
  // and nextAction returns it.
  if (step.kind === 'pause') return enterStep(state, state.currentStepIndex + 1, now)
  return {...state, pausedUntil: undefined}
}

function recordAnalysis(state: RolloutState, measurements: Measurement[], now: number): RolloutState {
  const step = currentStep(state)
  if ((state.phase !== 'Progressing' && state.phase !== 'Pending') || step?.kind !== 'analysis') {
    throw new Error(`rollout ${state.id}: analysisMeasured at ${stepLabel(state)} in phase ${state.phase}`)
  }
  const at = iso(now)
  const recorded = measurements.map((measurement) => ({...measurement, at}))
  const judged = analysisVerdict([...state.analysisRuns, {measurements: recorded}], state.analysis.failureLimit)
  const run: AnalysisRun = {stepIndex: state.currentStepIndex, at, measurements: recorded, verdict: judged.verdict, reason: judged.reason}
  const withRun: RolloutState = {...state, analysisRuns: [...state.analysisRuns, run]}
  switch (judged.verdict) {
    case 'pass':
      return enterStep(withRun, state.currentStepIndex + 1, now, `analysis passed at ${state.currentWeight}%`)
    case 'fail':
      return startRollback(withRun, 'analysis', judged.reason, now)
    case 'retry': {
      const intervalMs = parseDuration(state.analysis.interval, 'analysis interval')
      return {...withRun, phase: 'Progressing', pausedUntil: iso(now + intervalMs), message: `analysis failed, measuring again in ${formatDuration(intervalMs)}: ${judged.reason}`}
    }
    case 'inconclusive':
      return {
        ...withRun,
        phase: 'Paused',
        pausedUntil: undefined,
        message: `analysis inconclusive (${judged.reason}): paused at ${state.currentWeight}%; run \`${command(state, 'resume')}\` to measure again or \`${command(state, 'promote')}\` to continue without it`,
      }
  }
}

function promote(state: RolloutState, full: boolean, by: string | undefined, now: number): RolloutState {
  requireInProgress(state)
  const who = by ? ` by ${by}` : ''
  const step = currentStep(state)
  if (!full) {
    if (step?.kind === 'pause' || step?.kind === 'analysis') {
      return enterStep(state, state.currentStepIndex + 1, now, `${describeStep(step)} skipped${who}`)
    }
    throw new UsageError(`the rollout of ${state.service} is at ${stepLabel(state)}: there is no pause or analysis to skip`, {
      hint: `use \`${command(state, 'promote')} --full\` to skip every remaining step`,
    })
  }
  if (state.strategy === 'rolling') {
    throw new UsageError(`a rolling rollout has no steps to skip: ${state.service} is at ${stepLabel(state)}`, {
      hint: `follow it with \`${command(state, 'status')} --watch\``,
    })
  }
  // Canary: straight to the promotion. Blue-green: to the switch, or when already switched, to
  // the scale-down (its delay is kept: it is what makes undo instant).
  const switchAt = state.plan.findIndex((s) => s.kind === 'switchActive')
  const target =
    state.strategy === 'canary'
      ? state.plan.findIndex((s) => s.kind === 'promote')
      : state.currentStepIndex < switchAt
        ? switchAt
        : state.plan.length - 1
  if (target <= state.currentStepIndex) return {...state, phase: 'Progressing', message: `${state.message} (promoted${who})`}
  return enterStep(state, target, now, `fully promoted${who}`)
}

function resume(state: RolloutState, now: number): RolloutState {
  if (state.phase === 'Paused') {
    const step = currentStep(state)
    if (step?.kind === 'pause' && 'untilPromoted' in step) {
      throw new UsageError(`the rollout of ${state.service} waits for approval, not for resume`, {hint: `run \`${command(state, 'promote')}\``})
    }
    // Back to the analysis step: the next action measures again.
    return {...state, phase: 'Progressing', pausedUntil: undefined, stepStartedAt: iso(now), message: `resumed: ${stepLabel(state)}`}
  }
  if (state.phase === 'Pending' || state.phase === 'Progressing' || state.phase === 'RollingBack') {
    // A CLI that died mid-way: nothing to change, the caller carries on from nextAction.
    return state
  }
  throw new UsageError(`nothing to resume: ${noRolloutInProgressMessage(state, state.service, state.environment)}`, {
    hint: `start a new one with \`mygate deploy ${state.service} --env ${state.environment} --version V\``,
  })
}

function undo(state: RolloutState, by: string | undefined, now: number): RolloutState {
  if (state.fromVersion === undefined) {
    throw new UsageError(`${state.service} has no previous revision in ${state.environment} to undo to (${state.toVersion} was its first deploy)`, {
      hint: `deploy another version with \`mygate deploy ${state.service} --env ${state.environment} --version V\``,
    })
  }
  if (state.phase === 'RollingBack' || state.phase === 'RolledBack' || state.phase === 'Aborted') {
    throw new UsageError(`the last rollout of ${state.service} in ${state.environment} is already ${state.phase === 'RollingBack' ? 'rolling back' : state.phase === 'Aborted' ? 'aborted' : 'rolled back'}: ${state.fromVersion} serves the traffic`, {
      hint: `see \`${command(state, 'history')}\``,
    })
  }
  return startRollback(state, 'undo', `undo requested${by ? ` by ${by}` : ''} (${state.toVersion} -> ${state.fromVersion})`, now)
}
