import {describe, expect, test} from 'vitest'

import {planCanary} from '../../../src/rollout/plan.js'
import {createRolloutState, type RolloutState} from '../../../src/rollout/state.js'
import {activeStep, endedStep, rolloutPhase} from '../../../src/strategies/rollout-progress.js'

const plan = planCanary({steps: [50, 100], pauseMs: 1000, analysis: true}) // weight, pause, analysis, weight, pause, analysis, promote
const base = createRolloutState(
  {
    id: 'visitors-1', environment: 'demo', service: 'visitors', strategy: 'canary', fromVersion: '1.0.0', fromImage: 'r/visitors:1.0.0',
    toVersion: '1.1.0', image: 'r/visitors:1.1.0', plan, analysis: {maxErrorRate: 0.01, maxP99LatencyMs: 400, interval: '1s', failureLimit: 1},
    startedBy: {user: 'alice', host: 'laptop'},
  },
  0,
)
const at = (index: number, overrides: Partial<RolloutState> = {}): RolloutState => ({...base, phase: 'Progressing', currentStepIndex: index, ...overrides})
const rollingBack = (cause: 'analysis' | 'unhealthy' | 'abort', reason: string): RolloutState =>
  at(2, {phase: 'RollingBack', rollback: {cause, reason, restore: 'traffic'}})
const PASS_RUN = {stepIndex: 2, at: '', measurements: [], verdict: 'pass' as const, reason: 'ok'}

describe('a rollout on the progress model', () => {
  test('one step per plan step, then a roll back shown only if it happens', () => {
    expect(rolloutPhase({service: 'visitors', strategy: 'canary', fromVersion: '1.0.0', toVersion: '1.1.0', image: 'r/visitors:1.1.0', plan}, '[visitors] ')).toEqual({
      title: 'visitors: canary 1.0.0 -> 1.1.0 (r/visitors:1.1.0), 7 steps',
      label: '[visitors] ',
      steps: [
        'step 1/7: set weight 50%', 'step 2/7: pause 1s', 'step 3/7: analysis', 'step 4/7: set weight 100%', 'step 5/7: pause 1s', 'step 6/7: analysis',
        'step 7/7: promote: stable takes the new version, canary scaled to 0', {title: 'roll back', optional: true},
      ],
    })
  })

  test.each([
    ['Pending at step 0', at(0, {phase: 'Pending'}), 0],
    ['Paused for approval at step 3', at(3, {phase: 'Paused'}), 3],
    ['rolling back', rollingBack('abort', 'x'), 7],
    ['succeeded', at(7, {phase: 'Succeeded'}), undefined],
    ['rolled back', at(2, {phase: 'RolledBack'}), undefined],
  ])('active step when %s', (_name, state, expected) => {
    expect(activeStep(state)).toBe(expected)
  })

  // [case, before, after, byUs, expected]
  const cases: Array<[string, RolloutState, RolloutState, boolean, ReturnType<typeof endedStep>]> = [
    ['our stepCompleted moves on', at(0), at(1), true, {index: 0, verdict: 'succeeded'}],
    ['our analysis passed', at(2), at(3, {analysisRuns: [PASS_RUN]}), true, {index: 2, verdict: 'succeeded', summary: 'pass'}],
    ['an analysis retry stays on the step', at(2), at(2, {pausedUntil: '2026-01-01T00:00:00Z'}), true, undefined],
    ['paused for a person stays on the step', at(2), at(2, {phase: 'Paused'}), true, undefined],
    ['a failed analysis', at(2), rollingBack('analysis', 'error rate 0.4 > 0.01'), true, {index: 2, verdict: 'failed', summary: 'error rate 0.4 > 0.01'}],
    ['pods not ready in time', at(0), rollingBack('unhealthy', 'visitors-canary not ready after 60s (...)'), true, {index: 0, verdict: 'timed out', summary: 'visitors-canary not ready after 60s (...)'}],
    ['crash-looping pods', at(1), rollingBack('unhealthy', 'p: CrashLoopBackOff'), true, {index: 1, verdict: 'failed', summary: 'p: CrashLoopBackOff'}],
    ['aborted from elsewhere', at(1), rollingBack('abort', 'aborted by bob'), false, {index: 1, verdict: 'skipped', summary: 'aborted by bob'}],
    ['promoted past it from elsewhere', at(1), at(2, {message: 'pause 1s skipped by bob'}), false, {index: 1, verdict: 'skipped', summary: 'pause 1s skipped by bob'}],
    ['the last step completes the rollout', at(6), at(7, {phase: 'Succeeded'}), true, {index: 6, verdict: 'succeeded'}],
    ['a step that failed outright', at(6), at(6, {phase: 'Failed', message: 'failed at step 7/7: boom'}), true, {index: 6, verdict: 'failed', summary: 'failed at step 7/7: boom'}],
    ['the rollback completes', rollingBack('abort', 'x'), at(2, {phase: 'Aborted'}), true, {index: 7, verdict: 'succeeded'}],
    ['the rollback fails', rollingBack('abort', 'x'), at(2, {phase: 'Failed', message: 'rollback to 1.0.0 did not become ready'}), true, {index: 7, verdict: 'failed', summary: 'rollback to 1.0.0 did not become ready'}],
    ['a finished rollout has no step to end', at(7, {phase: 'Succeeded'}), rollingBack('abort', 'x'), false, undefined],
  ]
  test.each(cases)('%s', (_name, before, after, byUs, expected) => {
    expect(endedStep(before, after, byUs)).toEqual(expected)
  })
})
