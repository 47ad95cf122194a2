import {describe, expect, test} from 'vitest'

import type {Measurement} from '../../../src/analysis/types.js'
import {applyFlagEvent, type FlagRolloutState, nextFlagAction} from '../../../src/flags/flag-rollout-machine.js'

function start(overrides: Partial<FlagRolloutState> = {}): FlagRolloutState {
  return {
    id: 'r1',
    flag: 'upi-autopay',
    environment: 'demo',
    services: ['billing'],
    steps: [1, 50, 100],
    pauseMs: 5000,
    analysisIntervalMs: 1000,
    analysisWindow: '5s',
    phase: 'progressing',
    stepIndex: 0,
    startedBy: {user: 'alice', host: 'laptop'},
    createdAt: '2026-12-01T00:00:00.000Z',
    updatedAt: '2026-12-01T00:00:00.000Z',
    ...overrides,
  }
}

const pass: Measurement[] = [{metric: 'error-rate', value: 0.001, threshold: 0.01, verdict: 'pass', reason: 'error rate 0.001 <= 0.01 for billing upi-autopay=on'}]
const fail: Measurement[] = [{metric: 'error-rate', value: 0.3, threshold: 0.01, verdict: 'fail', reason: 'error rate 0.3 > 0.01 for billing upi-autopay=on'}]
const noData: Measurement[] = [{metric: 'error-rate', value: null, threshold: 0.01, verdict: 'inconclusive', reason: 'error rate: no data'}]

/** Runs the machine with a fake clock: every action is carried out at once, measurements from `measure`. */
function run(state: FlagRolloutState, measure: (percent: number) => Measurement[], limit = 200): {state: FlagRolloutState; actions: string[]} {
  let now = 0
  const actions: string[] = []
  for (let i = 0; i < limit; i++) {
    const action = nextFlagAction(state, now)
    if (action.kind === 'done' || action.kind === 'waitForResume') {
      actions.push(action.kind)
      return {state, actions}
    }
    if (action.kind === 'wait') {
      expect(action.untilMs).toBeGreaterThan(now)
      now = action.untilMs
      continue
    }
    actions.push(action.kind === 'setSplit' ? `setSplit ${action.percent}` : action.kind)
    if (action.kind === 'setSplit') state = applyFlagEvent(state, {type: 'splitApplied', percent: action.percent}, now)
    if (action.kind === 'runAnalysis') state = applyFlagEvent(state, {type: 'analysisMeasured', measurements: measure(state.appliedPercent ?? 0)}, now)
    if (action.kind === 'turnOff') state = applyFlagEvent(state, {type: 'turnedOff'}, now)
    if (action.kind === 'finish') state = applyFlagEvent(state, {type: 'finished'}, now)
  }
  throw new Error('the machine did not stop')
}

describe('flag rollout state machine', () => {
  test('passing analysis walks every step and finishes', () => {
    const {state, actions} = run(start(), () => pass)
    expect(state.phase).toBe('succeeded')
    expect(actions.filter((a) => a.startsWith('setSplit'))).toEqual(['setSplit 1', 'setSplit 50', 'setSplit 100'])
    expect(actions.at(-2)).toBe('finish')
  })

  test('a failed measurement turns the flag off at once and names metric, value, threshold and the split it judged', () => {
    const {state, actions} = run(start(), (percent) => (percent >= 50 ? fail : pass))
    expect(state.phase).toBe('turnedOff')
    expect(actions.slice(-3)).toEqual(['runAnalysis', 'turnOff', 'done'])
    expect(state.failure).toEqual({metric: 'error-rate', service: 'billing', value: 0.3, threshold: 0.01, reason: fail[0].reason, percent: 50})
    expect(state.appliedPercent).toBe(0)
  })

  test('no data measures again through the pause and the warm-up budget after it, then pauses', () => {
    const {state, actions} = run(start(), () => noData)
    expect(actions.at(-1)).toBe('waitForResume')
    // Every second for the 5 s pause plus the 30 s warm-up budget (MIN_WARM_UP_BUDGET_MS).
    expect(actions.filter((a) => a === 'runAnalysis').length).toBe(35)
    expect(state.stepIndex).toBe(0)
  })

  test('abort requested from another machine turns the flag off as aborted', () => {
    let state = applyFlagEvent(start({appliedPercent: 1, stepStartedAt: 0}), {type: 'abortRequested', by: 'bob@ci'}, 10)
    expect(nextFlagAction(state, 20)).toEqual({kind: 'turnOff', reason: 'aborted by bob@ci', cause: 'abort'})
    state = applyFlagEvent(state, {type: 'turnedOff'}, 30)
    expect(state.phase).toBe('aborted')
  })

  test('promote skips the rest of the pause once the step has passed', () => {
    let state = applyFlagEvent(start({appliedPercent: 1, stepStartedAt: 0}), {type: 'analysisMeasured', measurements: pass}, 1000)
    expect(nextFlagAction(state, 1500).kind).toBe('wait')
    state = applyFlagEvent(state, {type: 'promoteRequested'}, 1500)
    expect(nextFlagAction(state, 1500)).toEqual({kind: 'setSplit', percent: 50})
  })

  test('a finished rollout does nothing more', () => {
    expect(nextFlagAction(start({phase: 'succeeded'}), 0)).toEqual({kind: 'done', phase: 'succeeded'})
  })
})
