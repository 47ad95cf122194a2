import {describe, expect, test} from 'vitest'

import {createCatalog} from '../../../src/catalog/catalog.js'
import {planFailover} from '../../../src/failover/plan.js'
import {measureRun, newRunId, nextStep, reopen, startRun, stepDone, stepFailed, stepStarted} from '../../../src/failover/run-state.js'
import {testService} from '../../helpers/builders.js'

const catalog = createCatalog([testService({name: 'auth-db', kind: 'mongodb'}), testService({name: 'auth', dependencies: {database: 'auth-db', services: []}}), testService({name: 'gateway', dependencies: {services: ['auth']}})])
const plan = planFailover({spec: {name: 'demo', regions: {primary: 'a', secondary: 'b'}}, activeRegion: 'a', catalog, mode: 'planned'})
const at = (seconds: number) => new Date(Date.UTC(2026, 11, 3, 7, 0, seconds))

/** Runs every step, each taking `secondsEach`, from t=0. */
function completed(secondsEach: number) {
  let run = startRun({plan, checks: [], who: 'ana@laptop', now: at(0), id: 'fo-test'})
  let t = 0
  for (const step of plan.steps) {
    run = stepStarted(run, step.id, at(t))
    t += secondsEach
    run = stepDone(run, step.id, at(t))
  }
  return run
}

describe('failover run state', () => {
  test('steps run in plan order; the run succeeds when the last is done', () => {
    let run = startRun({plan, checks: [], who: 'ana@laptop', now: at(0)})
    expect(nextStep(run)?.id).toBe('scale-target')
    run = stepDone(stepStarted(run, 'scale-target', at(1)), 'scale-target', at(2), 'apps ready')
    expect(run.steps[0]).toMatchObject({status: 'done', detail: 'apps ready', startedAt: at(1).toISOString(), finishedAt: at(2).toISOString()})
    expect(nextStep(run)?.id).toBe('move-primary:auth-db')
    expect(run.outcome).toBe('running')
    expect(completed(1).outcome).toBe('succeeded')
  })

  test('RTO runs from the start to the verified gateway; the total to the last step', () => {
    const run = completed(2)
    const steps = plan.steps.map((s) => s.id)
    const measures = measureRun(run)
    expect(measures.rtoMs).toBe((steps.indexOf('verify-gateway') + 1) * 2000)
    expect(measures.totalMs).toBe(steps.length * 2000)
    expect(measures.phases).toHaveLength(steps.length)
    expect(measures.phases.every((p) => p.durationMs === 2000)).toBe(true)
  })

  test('a failed step fails the run; resume reopens it at that step and keeps its first start', () => {
    let run = startRun({plan, checks: [], who: 'ana@laptop', now: at(0)})
    run = stepStarted(run, 'scale-target', at(1))
    run = stepFailed(run, 'scale-target', at(5), 'gateway not ready')
    expect(run).toMatchObject({outcome: 'failed', error: 'gateway not ready'})
    expect(measureRun(run).rtoMs).toBeUndefined()
    run = reopen(run)
    expect(run.outcome).toBe('running')
    expect(nextStep(run)?.id).toBe('scale-target')
    run = stepStarted(run, 'scale-target', at(9))
    expect(run.steps[0].startedAt).toBe(at(1).toISOString())
  })

  test('a step id not in the plan is a bug, not a silent no-op', () => {
    const run = startRun({plan, checks: [], who: 'x', now: at(0)})
    expect(() => stepDone(run, 'nope', at(1))).toThrow('step nope is not in failover run')
  })

  test('run ids sort by start time', () => {
    expect(newRunId(at(5), () => 0)).toBe('fo-20261203-070005-0000')
    expect(newRunId(at(5), () => 0) < newRunId(at(6), () => 0.99)).toBe(true)
  })
})
