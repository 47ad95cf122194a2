import type {Measurement} from '../../../src/analysis/types.js'
import type {AnalysisThresholds, RolloutStrategy} from '../../../src/catalog/types.js'
import type {RolloutStep} from '../../../src/rollout/plan.js'
import {applyEvent, nextAction, type RolloutAction} from '../../../src/rollout/state-machine.js'
import {createRolloutState, type CreateRolloutInput, type RolloutState} from '../../../src/rollout/state.js'

/** 2026-11-23T12:00:00Z */
export const T0 = Date.UTC(2026, 10, 23, 12, 0, 0)

export const thresholds = (overrides: Partial<AnalysisThresholds> = {}): AnalysisThresholds => ({
  maxErrorRate: 0.01,
  maxP99LatencyMs: 500,
  interval: '30s',
  failureLimit: 1,
  ...overrides,
})

export function testRollout(strategy: RolloutStrategy, plan: RolloutStep[], overrides: Partial<CreateRolloutInput> = {}): RolloutState {
  return createRolloutState(
    {
      id: 'visitors-1',
      environment: 'demo',
      service: 'visitors',
      strategy,
      fromVersion: '1.2.0',
      fromImage: 'registry.mygate.dev/mygate/visitors:1.2.0',
      toVersion: '1.3.0',
      image: 'registry.mygate.dev/mygate/visitors:1.3.0',
      plan,
      analysis: thresholds(),
      activeColor: strategy === 'blue-green' ? 'blue' : undefined,
      startedBy: {user: 'alice', host: 'laptop'},
      git: {commit: '3f2c1aa9d0e4b5c6', branch: 'main', dirty: false},
      ...overrides,
    },
    T0,
  )
}

export const healthy: Measurement[] = [
  {metric: 'error-rate', value: 0.002, threshold: 0.01, verdict: 'pass', reason: 'error rate 0.002 <= 0.01 for visitors 1.3.0'},
  {metric: 'p99-latency', value: 120, threshold: 500, verdict: 'pass', reason: 'p99 latency 120ms <= 500ms for visitors 1.3.0'},
]

export const erroring: Measurement[] = [
  {metric: 'error-rate', value: 0.31, threshold: 0.01, verdict: 'fail', reason: 'error rate 0.31 > 0.01 for visitors 1.3.0'},
  {metric: 'p99-latency', value: 120, threshold: 500, verdict: 'pass', reason: 'p99 latency 120ms <= 500ms for visitors 1.3.0'},
]

export const noData: Measurement[] = [
  {metric: 'error-rate', value: null, threshold: 0.01, verdict: 'inconclusive', reason: 'error rate: no data for visitors 1.3.0'},
  {metric: 'p99-latency', value: null, threshold: 500, verdict: 'inconclusive', reason: 'p99 latency: no data for visitors 1.3.0'},
]

export interface DriveResult {
  state: RolloutState
  actions: RolloutAction[]
  now: number
}

/**
 * Plays the I/O layer against a fake cluster: performs each action by sending the event that
 * acknowledges it, sleeping on a fake clock for waits, until the rollout stops for a person or ends.
 * `measure` answers each analysis; `maxActions` guards against a machine that never stops.
 */
export function drive(start: RolloutState, measure: (state: RolloutState) => Measurement[], now = T0, maxActions = 100): DriveResult {
  let state = start
  const actions: RolloutAction[] = []
  for (let i = 0; i < maxActions; i++) {
    const action = nextAction(state, now)
    actions.push(action)
    switch (action.kind) {
      case 'done':
      case 'waitForPromotion':
      case 'waitForResume':
      case 'rollback':
        return {state, actions, now}
      case 'wait':
        now = Math.max(now, action.untilMs)
        state = applyEvent(state, {type: 'waitElapsed'}, now)
        break
      case 'runAnalysis':
        state = applyEvent(state, {type: 'analysisMeasured', measurements: measure(state)}, now)
        break
      default:
        now += 1000
        state = applyEvent(state, {type: 'stepCompleted'}, now)
    }
  }
  throw new Error(`rollout did not stop within ${maxActions} actions`)
}

/** Action kinds with their distinguishing field, for compact sequence assertions. */
export function describeActions(actions: RolloutAction[]): string[] {
  return actions.map((action) => {
    switch (action.kind) {
      case 'setWeight':
        return `setWeight ${action.weight}`
      case 'wait':
        return 'wait'
      case 'runAnalysis':
        return action.phase ? `runAnalysis ${action.phase}` : 'runAnalysis'
      case 'deployPreview':
        return `deployPreview ${action.color}`
      case 'switchActive':
        return `switchActive ${action.from}->${action.to}`
      case 'scaleDownOld':
        return `scaleDownOld ${action.color}`
      case 'rollback':
        return `rollback ${action.restore}`
      case 'done':
        return `done ${action.phase}`
      default:
        return action.kind
    }
  })
}
