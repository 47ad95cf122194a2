import {describe, expect, test} from 'vitest'

import {ExternalError, UsageError} from '../../../src/errors.js'
import {planCanary} from '../../../src/rollout/plan.js'
import {applyEvent} from '../../../src/rollout/state-machine.js'
import {decodeState, encodeState} from '../../../src/rollout/state-codec.js'
import {drive, erroring, T0, testRollout} from './rollout-fixtures.js'

const plan = planCanary({steps: [10, 100], pauseMs: 1000, analysis: true})

describe('encodeState / decodeState', () => {
  test('round trip of a rolled-back rollout, every field kept', () => {
    const {state} = drive(testRollout('canary', plan), () => erroring)
    const done = applyEvent(state, {type: 'rollbackCompleted'}, T0 + 60_000)
    const data = encodeState(done)
    expect(Object.keys(data).sort()).toEqual(['rollout.json', 'schemaVersion'])
    expect(data.schemaVersion).toBe('1')
    expect(Object.values(data).every((value) => typeof value === 'string')).toBe(true)
    expect(decodeState(data)).toEqual(done)
  })

  test('non-finite measurement values survive (JSON alone would turn +Inf into null, "no data")', () => {
    const start = testRollout('canary', plan)
    let state = applyEvent(start, {type: 'stepCompleted'}, T0 + 1000)
    state = applyEvent(state, {type: 'waitElapsed'}, T0 + 2000)
    state = applyEvent(
      state,
      {type: 'analysisMeasured', measurements: [{metric: 'p99-latency', value: Number.POSITIVE_INFINITY, threshold: 500, verdict: 'fail', reason: 'p99 latency +Inf > 500ms for visitors 1.3.0'}]},
      T0 + 3000,
    )
    const decoded = decodeState(encodeState(state))
    expect(decoded.analysisRuns[0].measurements[0].value).toBe(Number.POSITIVE_INFINITY)
    expect(decoded).toEqual(state)
  })

  test('a newer schema version is refused with an upgrade hint', () => {
    const data = {...encodeState(testRollout('canary', plan)), schemaVersion: '2'}
    expect(() => decodeState(data, 'configmap mygate-system/rollout-demo-visitors')).toThrow(UsageError)
    expect(() => decodeState(data, 'configmap mygate-system/rollout-demo-visitors')).toThrow(
      'configmap mygate-system/rollout-demo-visitors has schema version 2; this mygate reads version 1',
    )
    try {
      decodeState(data)
    } catch (error) {
      expect((error as UsageError).hint).toBe('it was written by a newer mygate: upgrade mygate')
    }
    expect.assertions(3)
  })

  const valid = () => JSON.parse(encodeState(testRollout('canary', plan))['rollout.json']) as Record<string, unknown>
  const withJson = (json: unknown) => ({schemaVersion: '1', 'rollout.json': typeof json === 'string' ? json : JSON.stringify(json)})

  test.each([
    ['no data', undefined, 'it has no data'],
    ['no schema version', {'rollout.json': '{}'}, 'missing "schemaVersion"'],
    ['no record', {schemaVersion: '1'}, 'missing "rollout.json"'],
    ['not JSON', withJson('{"id": '), '"rollout.json" is not JSON'],
    ['a list', withJson([]), 'the record is not an object'],
    ['an unknown phase', withJson({...valid(), phase: 'Dancing'}), '"phase" must be one of Pending, Progressing, Paused, RollingBack'],
    ['an unknown strategy', withJson({...valid(), strategy: 'big-bang'}), '"strategy" must be one of rolling, blue-green, canary'],
    ['a missing service', withJson({...valid(), service: undefined}), '"service" must be a string'],
    ['a step index past the plan', withJson({...valid(), currentStepIndex: 99}), '"currentStepIndex" must be a whole number within 0..7'],
    ['an unknown step', withJson({...valid(), plan: [{kind: 'teleport'}]}), 'plan step 1 has an unknown kind'],
    ['a weight above 100', withJson({...valid(), currentWeight: 150}), '"currentWeight" must be a number within 0..100'],
    ['no thresholds', withJson({...valid(), analysis: {}}), '"analysis" must hold maxErrorRate'],
    ['disagreeing versions', withJson({...valid(), schemaVersion: 7}), '"rollout.json" says schema version 7 but the record says 1'],
  ])('a record with %s is an ExternalError naming the problem', (_name, data, why) => {
    expect(() => decodeState(data as Record<string, string> | undefined)).toThrow(ExternalError)
    expect(() => decodeState(data as Record<string, string> | undefined)).toThrow(`rollout record is malformed: ${why}`)
  })
})
