import {expect, test} from 'vitest'

import {planCanary} from '../../../src/rollout/plan.js'
import {applyEvent} from '../../../src/rollout/state-machine.js'
import {summarizeRollout} from '../../../src/rollout/summary.js'
import {drive, erroring, healthy, T0, testRollout} from './rollout-fixtures.js'

const plan = planCanary({steps: [10, 50, 100], pauseMs: 30_000, analysis: true})

test('a rollout rolling back shows the phase, step, weight and the failing analysis', () => {
  const {state} = drive(testRollout('canary', plan), () => erroring)
  expect(summarizeRollout(state)).toEqual([
    'visitors in demo: canary 1.2.0 -> 1.3.0 (registry.mygate.dev/mygate/visitors:1.3.0)',
    'phase:    RollingBack: rolling back to 1.2.0: error rate 0.31 > 0.01 for visitors 1.3.0 (1 of 1 allowed failures)',
    'step:     3/10 analysis',
    'weight:   10% on 1.3.0',
    'analysis: fail at 2026-11-23T12:00:31.000Z (1 run)',
    '  - error rate 0.31 > 0.01 for visitors 1.3.0',
    '  - p99 latency 120ms <= 500ms for visitors 1.3.0',
    'started:  by alice@laptop at 2026-11-23T12:00:00.000Z; git 3f2c1aa on main',
  ])
})

test('a fresh rollout has no analysis yet; a finished one says when', () => {
  const fresh = summarizeRollout(testRollout('canary', plan, {git: {commit: 'abcdef123456', branch: 'feature/x', dirty: true}}))
  expect(fresh).toContain('analysis: none yet')
  expect(fresh).toContain('step:     1/10 set weight 10%')
  expect(fresh.at(-1)).toBe('started:  by alice@laptop at 2026-11-23T12:00:00.000Z; git abcdef1 on feature/x (dirty)')

  const {state, now} = drive(testRollout('canary', plan), () => healthy)
  const done = summarizeRollout(state)
  expect(done[1]).toBe('phase:    Succeeded: visitors 1.3.0 is live in demo (canary)')
  expect(done[2]).toBe('step:     10/10 (all done)')
  expect(done).toContain('analysis: pass at 2026-11-23T12:01:33.000Z (3 runs)')
  expect(done.at(-1)).toBe(`finished: ${new Date(now).toISOString()}`)
})

test('a paused rollout explains how to continue', () => {
  const running = applyEvent(testRollout('canary', plan), {type: 'stepCompleted'}, T0 + 1000)
  const lines = summarizeRollout(running)
  expect(lines[1]).toBe('phase:    Progressing: step 2/10 (pause 30s): pausing 30s at 10%')
})
