import {describe, expect, test} from 'vitest'

import {describeStep, planBlueGreen, planCanary, planRolling} from '../../../src/rollout/plan.js'

describe('planCanary', () => {
  test('weight, bake time, analysis per step, then promote', () => {
    expect(planCanary({steps: [10, 50, 100], pauseMs: 30_000, analysis: true})).toEqual([
      {kind: 'setWeight', weight: 10},
      {kind: 'pause', durationMs: 30_000},
      {kind: 'analysis'},
      {kind: 'setWeight', weight: 50},
      {kind: 'pause', durationMs: 30_000},
      {kind: 'analysis'},
      {kind: 'setWeight', weight: 100},
      {kind: 'pause', durationMs: 30_000},
      {kind: 'analysis'},
      {kind: 'promote'},
    ])
  })

  test('no pause steps at 0 ms, no analysis when disabled', () => {
    expect(planCanary({steps: [25, 100], pauseMs: 0, analysis: false})).toEqual([
      {kind: 'setWeight', weight: 25},
      {kind: 'setWeight', weight: 100},
      {kind: 'promote'},
    ])
  })

  test('manual approval waits after the first weight and its analysis', () => {
    const plan = planCanary({steps: [10, 100], pauseMs: 0, analysis: true, manualApproval: true})
    expect(plan).toEqual([
      {kind: 'setWeight', weight: 10},
      {kind: 'analysis'},
      {kind: 'pause', untilPromoted: true},
      {kind: 'setWeight', weight: 100},
      {kind: 'analysis'},
      {kind: 'promote'},
    ])
  })

  test.each([[[]], [[10, 50]]])('rejects steps %j that do not end at 100', (steps) => {
    expect(() => planCanary({steps, pauseMs: 0, analysis: false})).toThrow('canary steps must end at 100')
  })
})

describe('planBlueGreen', () => {
  test('preview, pre analysis, switch, post analysis, delayed scale-down', () => {
    expect(planBlueGreen({analysis: true, scaleDownDelayMs: 30_000})).toEqual([
      {kind: 'deployPreview'},
      {kind: 'analysis', phase: 'pre'},
      {kind: 'switchActive'},
      {kind: 'analysis', phase: 'post'},
      {kind: 'scaleDownOld', afterMs: 30_000},
    ])
  })

  test('without analysis', () => {
    expect(planBlueGreen({analysis: false, scaleDownDelayMs: 0}).map((s) => s.kind)).toEqual(['deployPreview', 'switchActive', 'scaleDownOld'])
  })
})

test('planRolling', () => {
  expect(planRolling()).toEqual([{kind: 'updateDeployment'}, {kind: 'waitHealthy'}])
})

describe('describeStep', () => {
  test.each([
    [{kind: 'setWeight', weight: 25}, 'set weight 25%'],
    [{kind: 'pause', durationMs: 90_000}, 'pause 1m30s'],
    [{kind: 'pause', untilPromoted: true}, 'pause until promoted'],
    [{kind: 'analysis'}, 'analysis'],
    [{kind: 'analysis', phase: 'post'}, 'analysis (post-promotion)'],
    [{kind: 'scaleDownOld', afterMs: 30_000}, 'scale down the old colour after 30s'],
    [{kind: 'waitHealthy'}, 'wait until every replica is ready'],
  ] as const)('%j -> %s', (step, text) => {
    expect(describeStep(step)).toBe(text)
  })
})
