import {describe, expect, test} from 'vitest'

import {UsageError} from '../../../src/errors.js'
import {planBlueGreen, planCanary, planRolling} from '../../../src/rollout/plan.js'
import {applyEvent, nextAction} from '../../../src/rollout/state-machine.js'
import {createRolloutState} from '../../../src/rollout/state.js'
import {describeActions, drive, erroring, healthy, noData, T0, testRollout, thresholds} from './rollout-fixtures.js'

const canaryPlan = planCanary({steps: [10, 50, 100], pauseMs: 30_000, analysis: true})
const canary = () => testRollout('canary', canaryPlan)

describe('canary', () => {
  test('a good canary goes through every step to Succeeded', () => {
    const {state, actions, now} = drive(canary(), () => healthy)
    expect(describeActions(actions)).toEqual([
      'setWeight 10', 'wait', 'runAnalysis',
      'setWeight 50', 'wait', 'runAnalysis',
      'setWeight 100', 'wait', 'runAnalysis',
      'promote',
      'done Succeeded',
    ])
    expect(state.phase).toBe('Succeeded')
    expect(state.currentWeight).toBe(100)
    expect(state.currentStepIndex).toBe(canaryPlan.length)
    expect(state.analysisRuns.map((run) => [run.stepIndex, run.verdict])).toEqual([
      [2, 'pass'],
      [5, 'pass'],
      [8, 'pass'],
    ])
    expect(state.analysisRuns[0].measurements[0]).toMatchObject({metric: 'error-rate', value: 0.002, verdict: 'pass', at: '2026-11-23T12:00:31.000Z'})
    expect(state.finishedAt).toBe(new Date(now).toISOString())
    expect(state.message).toBe('visitors 1.3.0 is live in demo (canary)')
    // Each pause really waited its 30 s on the clock: 3 pauses + 4 one-second steps.
    expect(now - T0).toBe(3 * 30_000 + 4 * 1000)
  })

  test('the weight follows the completed setWeight steps', () => {
    let state = canary()
    state = applyEvent(state, {type: 'stepCompleted'}, T0 + 1000)
    expect(state.currentWeight).toBe(10)
    expect(state.phase).toBe('Progressing')
    expect(state.pausedUntil).toBe('2026-11-23T12:00:31.000Z')
    expect(nextAction(state, T0 + 2000)).toMatchObject({kind: 'wait', untilMs: T0 + 31_000})
    expect(state.message).toBe('step 2/10 (pause 30s): pausing 30s at 10%')
  })

  test('a bad canary is rolled back at the first failed analysis, with the reason', () => {
    const {state, actions} = drive(canary(), () => erroring)
    expect(describeActions(actions)).toEqual(['setWeight 10', 'wait', 'runAnalysis', 'rollback traffic'])
    const reason = 'error rate 0.31 > 0.01 for visitors 1.3.0 (1 of 1 allowed failures)'
    expect(state.phase).toBe('RollingBack')
    expect(state.message).toBe(`rolling back to 1.2.0: ${reason}`)
    expect(actions.at(-1)).toEqual({
      kind: 'rollback',
      cause: 'analysis',
      reason,
      restore: 'traffic',
      fromVersion: '1.2.0',
      fromImage: 'registry.mygate.dev/mygate/visitors:1.2.0',
      color: undefined,
    })
    expect(state.analysisRuns.at(-1)).toMatchObject({verdict: 'fail', reason})

    const done = applyEvent(state, {type: 'rollbackCompleted'}, T0 + 40_000)
    expect(done.phase).toBe('RolledBack')
    expect(done.currentWeight).toBe(0)
    expect(done.message).toBe(`rolled back: visitors 1.2.0 serves all traffic in demo (${reason})`)
    expect(nextAction(done, T0 + 40_000)).toEqual({kind: 'done', phase: 'RolledBack'})
  })

  test('below the failure limit a failed analysis is measured again after the interval', () => {
    const start = testRollout('canary', canaryPlan, {analysis: thresholds({failureLimit: 2})})
    const answers = [erroring, healthy, healthy, healthy]
    const {state, actions} = drive(start, () => answers.shift() ?? healthy)
    expect(describeActions(actions).slice(0, 6)).toEqual(['setWeight 10', 'wait', 'runAnalysis', 'wait', 'runAnalysis', 'setWeight 50'])
    expect(state.phase).toBe('Succeeded')
    expect(state.analysisRuns.map((run) => run.verdict)).toEqual(['retry', 'pass', 'pass', 'pass'])
    expect(state.analysisRuns[0].reason).toBe('error rate 0.31 > 0.01 for visitors 1.3.0 (1 of 2 allowed failures, measuring again)')
  })

  test('failures add up across steps to the limit', () => {
    const start = testRollout('canary', canaryPlan, {analysis: thresholds({failureLimit: 2})})
    const answers = [erroring, healthy, erroring]
    const {state} = drive(start, () => answers.shift() ?? healthy)
    expect(state.phase).toBe('RollingBack')
    expect(state.rollback?.reason).toBe('error rate 0.31 > 0.01 for visitors 1.3.0 (2 of 2 allowed failures)')
    expect(state.currentWeight).toBe(50)
  })

  test('a crash-looping canary is rolled back, naming the pods and their reasons', () => {
    let state = applyEvent(canary(), {type: 'stepCompleted'}, T0 + 1000)
    state = applyEvent(state, {type: 'podsUnhealthy', pods: [{name: 'visitors-canary-abc12', reason: 'CrashLoopBackOff'}, {name: 'visitors-canary-def34', reason: 'OOMKilled'}]}, T0 + 5000)
    expect(state.phase).toBe('RollingBack')
    expect(state.rollback).toEqual({cause: 'unhealthy', reason: 'visitors-canary-abc12: CrashLoopBackOff, visitors-canary-def34: OOMKilled', restore: 'traffic'})
    expect(nextAction(state, T0 + 5000)).toMatchObject({kind: 'rollback', reason: 'visitors-canary-abc12: CrashLoopBackOff, visitors-canary-def34: OOMKilled'})
    expect(applyEvent(state, {type: 'rollbackCompleted'}, T0 + 6000).phase).toBe('RolledBack')
  })

  test('unhealthy pods after the rollout ended change nothing', () => {
    const {state} = drive(canary(), () => healthy)
    expect(applyEvent(state, {type: 'podsUnhealthy', pods: [{name: 'visitors-abc', reason: 'Error'}]}, T0 + 999_000)).toBe(state)
  })

  test('inconclusive analysis pauses with the reason; resume measures again', () => {
    const answers = [noData, healthy, healthy, healthy]
    const first = drive(canary(), () => answers.shift() ?? healthy)
    expect(describeActions(first.actions)).toEqual(['setWeight 10', 'wait', 'runAnalysis', 'waitForResume'])
    expect(first.state.phase).toBe('Paused')
    expect(first.state.message).toBe(
      'analysis inconclusive (error rate: no data for visitors 1.3.0; p99 latency: no data for visitors 1.3.0): paused at 10%; ' +
        'run `mygate rollout resume visitors --env demo` to measure again or `mygate rollout promote visitors --env demo` to continue without it',
    )
    expect(first.actions.at(-1)).toEqual({kind: 'waitForResume', reason: first.state.message})
    // Paused stays paused however long nobody looks.
    expect(nextAction(first.state, first.now + 3_600_000).kind).toBe('waitForResume')

    const resumed = applyEvent(first.state, {type: 'resumeRequested', by: 'alice'}, first.now + 60_000)
    expect(resumed.phase).toBe('Progressing')
    expect(nextAction(resumed, first.now + 60_000)).toEqual({kind: 'runAnalysis'})
    const rest = drive(resumed, () => answers.shift() ?? healthy, first.now + 60_000)
    expect(rest.state.phase).toBe('Succeeded')
    expect(rest.state.analysisRuns.map((run) => run.verdict)).toEqual(['inconclusive', 'pass', 'pass', 'pass'])
  })

  test('promote on an inconclusive pause continues without the analysis', () => {
    const {state} = drive(canary(), () => noData)
    const promoted = applyEvent(state, {type: 'promoteRequested', by: 'alice'}, T0 + 60_000)
    expect(promoted.phase).toBe('Progressing')
    expect(nextAction(promoted, T0 + 60_000)).toEqual({kind: 'setWeight', weight: 50})
    expect(promoted.message).toBe('analysis skipped by alice; step 4/10 (set weight 50%)')
  })

  test('an approval pause waits for promote, and resume says so', () => {
    const start = testRollout('canary', planCanary({steps: [10, 100], pauseMs: 0, analysis: true, manualApproval: true}))
    const {state, actions} = drive(start, () => healthy)
    expect(describeActions(actions)).toEqual(['setWeight 10', 'runAnalysis', 'waitForPromotion'])
    expect(state.phase).toBe('Paused')
    expect(state.message).toContain('waiting for approval at 10%: run `mygate rollout promote visitors --env demo`')
    expect(() => applyEvent(state, {type: 'resumeRequested'}, T0 + 5000)).toThrow('the rollout of visitors waits for approval, not for resume')

    const promoted = applyEvent(state, {type: 'promoteRequested', by: 'bob'}, T0 + 5000)
    const rest = drive(promoted, () => healthy, T0 + 5000)
    expect(describeActions(rest.actions)).toEqual(['setWeight 100', 'runAnalysis', 'promote', 'done Succeeded'])
  })

  test('promote --full skips to the promotion', () => {
    const state = applyEvent(canary(), {type: 'stepCompleted'}, T0 + 1000)
    const promoted = applyEvent(state, {type: 'promoteRequested', full: true, by: 'alice'}, T0 + 2000)
    expect(promoted.currentStepIndex).toBe(canaryPlan.length - 1)
    expect(nextAction(promoted, T0 + 2000)).toEqual({kind: 'promote'})
    expect(promoted.message).toBe('fully promoted by alice; step 10/10 (promote: stable takes the new version, canary scaled to 0)')
  })

  test('promote without --full at a weight change has nothing to skip', () => {
    expect(() => applyEvent(canary(), {type: 'promoteRequested'}, T0)).toThrow(UsageError)
    expect(() => applyEvent(canary(), {type: 'promoteRequested'}, T0)).toThrow('there is no pause or analysis to skip')
  })

  test('abort rolls back to stable and ends Aborted', () => {
    const running = applyEvent(canary(), {type: 'stepCompleted'}, T0 + 1000)
    const aborting = applyEvent(running, {type: 'abortRequested', by: 'alice@laptop'}, T0 + 2000)
    expect(aborting.phase).toBe('RollingBack')
    expect(nextAction(aborting, T0 + 2000)).toMatchObject({kind: 'rollback', cause: 'abort', reason: 'aborted by alice@laptop', restore: 'traffic'})
    const aborted = applyEvent(aborting, {type: 'rollbackCompleted'}, T0 + 3000)
    expect(aborted.phase).toBe('Aborted')
    expect(aborted.message).toBe('aborted: visitors 1.2.0 serves all traffic in demo (aborted by alice@laptop)')
  })

  test.each([
    ['promote', {type: 'promoteRequested'}],
    ['abort', {type: 'abortRequested', by: 'alice'}],
    ['resume', {type: 'resumeRequested'}],
  ] as const)('%s with no rollout in progress is a UsageError', (_verb, event) => {
    const {state} = drive(canary(), () => healthy)
    expect(() => applyEvent(state, event, T0 + 999_000)).toThrow(UsageError)
    expect(() => applyEvent(state, event, T0 + 999_000)).toThrow('no rollout of visitors is in progress in demo (the last one Succeeded: 1.2.0 -> 1.3.0)')
  })

  test('abort while already rolling back says so', () => {
    const {state} = drive(canary(), () => erroring)
    expect(() => applyEvent(state, {type: 'abortRequested', by: 'alice'}, T0 + 99_000)).toThrow('is already rolling back')
  })

  test('undo after success redeploys the previous version', () => {
    const {state} = drive(canary(), () => healthy)
    const undoing = applyEvent(state, {type: 'undoRequested', by: 'alice'}, T0 + 999_000)
    expect(nextAction(undoing, T0 + 999_000)).toMatchObject({
      kind: 'rollback',
      cause: 'undo',
      restore: 'previousVersion',
      fromImage: 'registry.mygate.dev/mygate/visitors:1.2.0',
      reason: 'undo requested by alice (1.3.0 -> 1.2.0)',
    })
    const undone = applyEvent(undoing, {type: 'rollbackCompleted'}, T0 + 1_000_000)
    expect(undone.phase).toBe('RolledBack')
    expect(() => applyEvent(undone, {type: 'undoRequested'}, T0 + 1_000_001)).toThrow('is already rolled back: 1.2.0 serves the traffic')
  })

  test('a pause ends with waitElapsed, never early (an I/O layer bug)', () => {
    const state = applyEvent(canary(), {type: 'stepCompleted'}, T0 + 1000)
    expect(() => applyEvent(state, {type: 'waitElapsed'}, T0 + 2000)).toThrow('waitElapsed 29s early')
    expect(() => applyEvent(state, {type: 'stepCompleted'}, T0 + 40_000)).toThrow('a pause completes with waitElapsed')
    const after = applyEvent(state, {type: 'waitElapsed'}, T0 + 31_000)
    expect(after.currentStepIndex).toBe(2)
    expect(nextAction(after, T0 + 31_000)).toEqual({kind: 'runAnalysis'})
  })

  test('an analysis retry waits for the interval, then measures the same step again', () => {
    let state = testRollout('canary', canaryPlan, {analysis: thresholds({failureLimit: 3})})
    state = applyEvent(state, {type: 'stepCompleted'}, T0 + 1000)
    state = applyEvent(state, {type: 'waitElapsed'}, T0 + 31_000)
    state = applyEvent(state, {type: 'analysisMeasured', measurements: erroring}, T0 + 32_000)
    expect(state.phase).toBe('Progressing')
    expect(state.message).toBe('analysis failed, measuring again in 30s: error rate 0.31 > 0.01 for visitors 1.3.0 (1 of 3 allowed failures, measuring again)')
    expect(nextAction(state, T0 + 40_000)).toMatchObject({kind: 'wait', untilMs: T0 + 62_000})
    expect(() => applyEvent(state, {type: 'analysisMeasured', measurements: healthy}, T0 + 40_000)).not.toThrow()
    state = applyEvent(state, {type: 'waitElapsed'}, T0 + 62_000)
    expect(nextAction(state, T0 + 62_000)).toEqual({kind: 'runAnalysis'})
    expect(state.currentStepIndex).toBe(2)
  })

  test('a resumed CLI gets the same next action from the stored state', () => {
    const state = applyEvent(canary(), {type: 'stepCompleted'}, T0 + 1000)
    expect(applyEvent(state, {type: 'resumeRequested'}, T0 + 5000)).toBe(state)
    expect(nextAction(state, T0 + 40_000)).toEqual({kind: 'wait', untilMs: T0 + 31_000, reason: state.message})
  })

  test('applyEvent never modifies the state it is given', () => {
    const state = canary()
    const copy = structuredClone(state)
    applyEvent(state, {type: 'stepCompleted'}, T0 + 1000)
    applyEvent(state, {type: 'abortRequested', by: 'x'}, T0 + 1000)
    expect(state).toEqual(copy)
  })

  test('an unrecoverable error ends the rollout Failed; undo then redeploys the previous version', () => {
    const failed = applyEvent(canary(), {type: 'failed', reason: 'the API server refused the update: forbidden'}, T0 + 1000)
    expect(failed.phase).toBe('Failed')
    expect(failed.message).toBe('failed at step 1/10 (set weight 10%): the API server refused the update: forbidden')
    expect(nextAction(applyEvent(failed, {type: 'undoRequested'}, T0 + 2000), T0 + 2000)).toMatchObject({kind: 'rollback', restore: 'previousVersion'})
  })
})

describe('blue-green', () => {
  const plan = planBlueGreen({analysis: true, scaleDownDelayMs: 30_000})
  const blueGreen = () => testRollout('blue-green', plan)

  test('preview, analysis, switch, analysis, delayed scale-down of the old colour', () => {
    const {state, actions} = drive(blueGreen(), () => healthy)
    expect(describeActions(actions)).toEqual([
      'deployPreview green',
      'runAnalysis pre',
      'switchActive blue->green',
      'runAnalysis post',
      'wait',
      'scaleDownOld blue',
      'done Succeeded',
    ])
    expect(state.currentWeight).toBe(100)
  })

  test('undo during the scale-down delay switches back to the old colour at once', () => {
    let state = blueGreen()
    let now = T0
    for (let i = 0; i < 4; i++) {
      now += 1000
      const action = nextAction(state, now)
      state = applyEvent(state, action.kind === 'runAnalysis' ? {type: 'analysisMeasured', measurements: healthy} : {type: 'stepCompleted'}, now)
    }
    expect(nextAction(state, now)).toMatchObject({kind: 'wait', untilMs: now + 30_000})
    expect(state.message).toBe('analysis passed at 100%; blue kept for 30s so `mygate rollout undo visitors --env demo` is instant')
    const undoing = applyEvent(state, {type: 'undoRequested', by: 'alice'}, now + 5000)
    expect(nextAction(undoing, now + 5000)).toMatchObject({kind: 'rollback', cause: 'undo', restore: 'traffic', color: 'blue'})
    expect(applyEvent(undoing, {type: 'rollbackCompleted'}, now + 5500)).toMatchObject({phase: 'RolledBack', currentWeight: 0})
  })

  test('a failed post-promotion analysis switches back', () => {
    const answers = [healthy, erroring]
    const {state, actions} = drive(blueGreen(), () => answers.shift() ?? healthy)
    expect(describeActions(actions).slice(-2)).toEqual(['runAnalysis post', 'rollback traffic'])
    expect(actions.at(-1)).toMatchObject({color: 'blue', reason: 'error rate 0.31 > 0.01 for visitors 1.3.0 (1 of 1 allowed failures)'})
    expect(state.currentWeight).toBe(100)
  })

  test('undo after the old colour was scaled down redeploys the previous version', () => {
    const {state} = drive(blueGreen(), () => healthy)
    expect(nextAction(applyEvent(state, {type: 'undoRequested'}, T0 + 999_000), T0 + 999_000)).toMatchObject({restore: 'previousVersion'})
  })

  test('promote --full goes to the switch', () => {
    const state = applyEvent(blueGreen(), {type: 'stepCompleted'}, T0 + 1000)
    const promoted = applyEvent(state, {type: 'promoteRequested', full: true}, T0 + 2000)
    expect(nextAction(promoted, T0 + 2000)).toEqual({kind: 'switchActive', from: 'blue', to: 'green'})
  })
})

describe('rolling', () => {
  test('update, wait healthy, done', () => {
    const {state, actions} = drive(testRollout('rolling', planRolling()), () => healthy)
    expect(describeActions(actions)).toEqual(['updateDeployment', 'waitHealthy', 'done Succeeded'])
    expect(state.currentWeight).toBe(100)
  })

  test('unhealthy pods roll back to the previous version', () => {
    const state = applyEvent(testRollout('rolling', planRolling()), {type: 'stepCompleted'}, T0 + 1000)
    const rolling = applyEvent(state, {type: 'podsUnhealthy', pods: [{name: 'visitors-7d9f-x2x', reason: 'ImagePullBackOff'}]}, T0 + 2000)
    expect(nextAction(rolling, T0 + 2000)).toMatchObject({kind: 'rollback', restore: 'previousVersion', reason: 'visitors-7d9f-x2x: ImagePullBackOff'})
  })

  test('undo of a first deploy: no previous revision', () => {
    const {state} = drive(testRollout('rolling', planRolling(), {fromVersion: undefined, fromImage: undefined}), () => healthy)
    expect(() => applyEvent(state, {type: 'undoRequested'}, T0 + 99_000)).toThrow(UsageError)
    expect(() => applyEvent(state, {type: 'undoRequested'}, T0 + 99_000)).toThrow('visitors has no previous revision in demo to undo to (1.3.0 was its first deploy)')
  })

  test('promote --full has nothing to skip', () => {
    expect(() => applyEvent(testRollout('rolling', planRolling()), {type: 'promoteRequested', full: true}, T0)).toThrow('a rolling rollout has no steps to skip')
  })
})

test.each(['canary', 'blue-green'] as const)('a first deploy cannot be %s', (strategy) => {
  const plan = strategy === 'canary' ? canaryPlan : planBlueGreen({analysis: false, scaleDownDelayMs: 0})
  expect(() =>
    createRolloutState(
      {id: 'x', environment: 'demo', service: 'visitors', strategy, toVersion: '1.0.0', image: 'v:1.0.0', plan, analysis: thresholds(), startedBy: {user: 'a', host: 'b'}},
      T0,
    ),
  ).toThrow(`visitors is not running in demo yet: a first deploy cannot be ${strategy}`)
})
