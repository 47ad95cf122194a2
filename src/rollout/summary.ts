import {describeStep} from './plan.js'
import type {RolloutState} from './state.js'

/**
 * The lines `mygate rollout status` prints, e.g.
 *
 *   visitors in demo: canary 1.2.0 -> 1.3.0 (registry.mygate.dev/mygate/visitors:1.3.0)
 *   phase:    RollingBack: rolling back to 1.2.0: error rate 0.31 > 0.01 for visitors 1.3.0 (1 of 1 allowed failures)
 *   step:     3/7 analysis
 *   weight:   10% on 1.3.0
 *   analysis: fail at 2026-11-23T12:00:40.000Z (1 run)
 *     - error rate 0.31 > 0.01 for visitors 1.3.0
 *     - p99 latency 120ms <= 500ms for visitors 1.3.0
 *   started:  by alice@laptop at 2026-11-23T12:00:00.000Z; git 3f2c1aa on main
 */
export function summarizeRollout(state: RolloutState): string[] {
  const total = state.plan.length
  const step = state.plan[state.currentStepIndex]
  const lines = [
    `${state.service} in ${state.environment}: ${state.strategy} ${state.fromVersion ?? '(none)'} -> ${state.toVersion} (${state.image})`,
    `phase:    ${state.phase}: ${state.message}`,
    step === undefined ? `step:     ${total}/${total} (all done)` : `step:     ${state.currentStepIndex + 1}/${total} ${describeStep(step)}`,
    `weight:   ${state.currentWeight}% on ${state.toVersion}`,
  ]
  const last = state.analysisRuns.at(-1)
  if (last === undefined) {
    lines.push('analysis: none yet')
  } else {
    const count = state.analysisRuns.length
    lines.push(`analysis: ${last.verdict} at ${last.at} (${count} run${count === 1 ? '' : 's'})`)
    for (const measurement of last.measurements) lines.push(`  - ${measurement.reason}`)
  }
  let started = `started:  by ${state.startedBy.user}@${state.startedBy.host} at ${state.createdAt}`
  if (state.git !== undefined) started += `; git ${state.git.commit.slice(0, 7)} on ${state.git.branch}${state.git.dirty ? ' (dirty)' : ''}`
  lines.push(started)
  if (state.finishedAt !== undefined) lines.push(`finished: ${state.finishedAt}`)
  return lines
}
