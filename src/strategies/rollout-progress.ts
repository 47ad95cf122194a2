import {describeStep, type RolloutStep} from '../rollout/plan.js'
import {isInProgress, type RolloutState} from '../rollout/state.js'
import type {PhaseSpec, Verdict} from '../ui/progress.js'

/**
 * A rollout on the progress model (src/ui/progress.ts): one phase per service, one step per plan
 * step ("step 2/7: pause 1s"), then a "roll back" step shown only if it happens. Pure: which
 * step a state is working on, and how a step ended when the state moved on.
 */

export interface RolloutHeading {
  service: string
  strategy: string
  fromVersion?: string
  toVersion: string
  image: string
  plan: RolloutStep[]
}

/** The title line a deploy has always started with: "visitors: canary 3.4.0 -> 3.5.0 (IMAGE), 7 steps". */
export function rolloutTitle(r: RolloutHeading): string {
  return `${r.service}: ${r.strategy} ${r.fromVersion ?? '(none)'} -> ${r.toVersion} (${r.image}), ${r.plan.length} steps`
}

export function rolloutPhase(r: RolloutHeading, label?: string): PhaseSpec {
  return {
    title: rolloutTitle(r),
    ...(label === undefined ? {} : {label}),
    steps: [...r.plan.map((step, index) => `step ${index + 1}/${r.plan.length}: ${describeStep(step)}`), {title: 'roll back', optional: true}],
  }
}

/** The step a state works on: a plan step's index, the plan's length for the rollback, or undefined when finished. */
export function activeStep(state: RolloutState): number | undefined {
  if (state.phase === 'RollingBack') return state.plan.length
  return isInProgress(state) ? state.currentStepIndex : undefined
}

export interface StepEnd {
  index: number
  verdict: Verdict
  summary?: string
}

/**
 * How the step `before` worked on ended once the state became `after`; undefined when `after`
 * still works on it (an analysis retry, a wait for a person). `byUs` tells an event this executor
 * committed from a change made elsewhere (promote, abort): a step the rollout was moved past by
 * someone else was skipped, not completed.
 *
 * Worked examples:
 *   step 3 (analysis) -> step 4 by our analysisMeasured          => step 3 succeeded: "pass"
 *   step 3 (analysis) -> RollingBack, cause analysis             => step 3 failed: the reason
 *   step 1 (setWeight) -> RollingBack, cause unhealthy "not ready after 30s" => step 1 timed out
 *   step 2 (pause) -> step 3 by `rollout promote` elsewhere      => step 2 skipped: the new message
 *   step 2 (pause) -> RollingBack, cause abort                   => step 2 skipped: "aborted by bob"
 *   RollingBack -> RolledBack                                    => roll back succeeded
 */
export function endedStep(before: RolloutState, after: RolloutState, byUs: boolean): StepEnd | undefined {
  const index = activeStep(before)
  if (index === undefined || activeStep(after) === index) return undefined
  if (index === before.plan.length) {
    return after.phase === 'Failed' ? {index, verdict: 'failed', summary: after.message} : {index, verdict: 'succeeded'}
  }
  if (after.phase === 'RollingBack') {
    const rollback = after.rollback
    const reason = rollback?.reason
    switch (rollback?.cause) {
      case 'analysis':
        return {index, verdict: 'failed', summary: reason}
      case 'unhealthy':
        return {index, verdict: /not ready after/.test(reason ?? '') ? 'timed out' : 'failed', summary: reason}
      default:
        return {index, verdict: 'skipped', summary: reason}
    }
  }
  if (after.phase === 'Failed') return {index, verdict: 'failed', summary: after.message}
  if (!byUs) return {index, verdict: 'skipped', summary: after.message}
  const step = before.plan[index]
  const run = after.analysisRuns.at(-1)
  return step?.kind === 'analysis' && run !== undefined ? {index, verdict: 'succeeded', summary: run.verdict} : {index, verdict: 'succeeded'}
}
