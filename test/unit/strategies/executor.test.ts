import {describe, expect, test} from 'vitest'

import type {PrometheusClient} from '../../../src/analysis/prometheus-client.js'
import type {KubeObject} from '../../../src/kube/types.js'
import {planCanary} from '../../../src/rollout/plan.js'
import {applyEvent, type RolloutAction, type RolloutEvent} from '../../../src/rollout/state-machine.js'
import {createRolloutState, type RolloutState} from '../../../src/rollout/state.js'
import {executeRollout, type ExecuteResult} from '../../../src/strategies/executor.js'
import {readRollout, updateRollout, writeNewRollout, type RolloutIoSettings} from '../../../src/strategies/rollout-store.js'
import {rolloutPhase} from '../../../src/strategies/rollout-progress.js'
import type {StrategyDriver} from '../../../src/strategies/strategy-driver.js'
import {createProgress} from '../../../src/ui/progress.js'
import {fakeClock, settle, type FakeClock} from '../../helpers/fake-clock.js'
import {fakeKube, type FakeKube} from '../../helpers/fake-kube.js'

/**
 * The rollout executor's loop with an injected clock and the fake kube's watches: no cluster,
 * no real waits. Each test starts a rollout, looks at it while it waits, moves time or steers it
 * "from another machine" (the same updateRollout a `mygate rollout ...` command uses), and checks
 * what the executor did: the driver's actions, the stored state, the progress lines.
 */

const MINUTE = 60_000
const IO: RolloutIoSettings = {totalReplicas: 2, router: 'replicas', readyTimeoutMs: MINUTE}
const POD_LABELS = {app: 'visitors', version: '1.1.0'}

type Action = Exclude<RolloutAction, {kind: 'wait' | 'waitForPromotion' | 'waitForResume' | 'runAnalysis' | 'done'}>

function describeAction(action: Action): string {
  switch (action.kind) {
    case 'setWeight':
      return `setWeight ${action.weight}`
    case 'rollback':
      return `rollback ${action.restore}`
    default:
      return action.kind
  }
}

/** A driver that moves nothing, records what it was asked, and can run test code mid-action. */
function recordingDriver(during?: (action: Action) => Promise<void>): StrategyDriver & {actions: string[]} {
  const actions: string[] = []
  return {
    actions,
    newPodsSelector: () => Object.entries(POD_LABELS).map(([key, value]) => `${key}=${value}`).join(','),
    async perform(action): Promise<RolloutEvent> {
      actions.push(describeAction(action))
      await during?.(action)
      return action.kind === 'rollback' ? {type: 'rollbackCompleted'} : {type: 'stepCompleted'}
    },
  }
}

const noPrometheus: PrometheusClient = {
  query: () => Promise.reject(new Error('these plans have no analysis')),
  queryRange: () => Promise.reject(new Error('these plans have no analysis')),
}

interface Running {
  kube: FakeKube
  clock: FakeClock
  driver: ReturnType<typeof recordingDriver>
  lines: string[]
  run: Promise<ExecuteResult>
  /** The record as stored in the fake cluster now. */
  stored(): Promise<RolloutState>
  /** A steering command from another machine: the event written into the record. */
  steer(event: RolloutEvent): Promise<void>
}

/** Canary 50% -> 100% with a 10-minute pause after each weight, no analysis: 5 steps. */
async function startRollout(
  options: {during?: (action: Action, running: Running) => Promise<void>; earlyByMs?: number; wait?: boolean; prometheus?: PrometheusClient; steps?: number[]} = {},
): Promise<Running> {
  const kube = fakeKube()
  const clock = fakeClock()
  clock.earlyByMs = options.earlyByMs ?? 0
  const state = createRolloutState(
    {
      id: 'visitors-1',
      environment: 'demo',
      service: 'visitors',
      strategy: 'canary',
      fromVersion: '1.0.0',
      fromImage: 'r/visitors:1.0.0',
      toVersion: '1.1.0',
      image: 'r/visitors:1.1.0',
      plan: planCanary({steps: options.steps ?? [50, 100], pauseMs: 10 * MINUTE, analysis: options.prometheus !== undefined}),
      analysis: {maxErrorRate: 0.01, maxP99LatencyMs: 400, interval: '1m', failureLimit: 1},
      startedBy: {user: 'alice', host: 'laptop'},
    },
    clock.now(),
  )
  const lines: string[] = []
  const progress = createProgress({mode: 'lines', write: (line) => lines.push(line.replace(/^\[\d\d:\d\d:\d\d\] /, '')), now: clock.now})
  const phase = progress.block([rolloutPhase(state)]).phases[0]
  const running = {kube, clock, lines} as Running
  running.driver = recordingDriver(options.during && ((action) => options.during!(action, running)))
  running.stored = async () => (await readRollout(kube, 'visitors'))!.state
  running.steer = async (event) => {
    const current = (await readRollout(kube, 'visitors'))!
    await updateRollout(kube, current, (fresh) => applyEvent(fresh.state, event, clock.now()))
  }
  const stored = await writeNewRollout(kube, state, IO, undefined)
  phase.start()
  running.run = executeRollout({client: kube, stored, driver: running.driver, prometheus: options.prometheus ?? noPrometheus, wait: options.wait ?? true, progress: phase, clock, personDeadlineMs: clock.now() + 60 * MINUTE})
  await settle()
  return running
}

/** Prometheus whose p99 series appears only after `emptyAnswers` queries of it (a new pod's first scrapes). */
function warmingPrometheus(emptyAnswers: number): PrometheusClient & {p99Queries: number} {
  const prometheus = {
    p99Queries: 0,
    async query(promql: string) {
      const latency = promql.includes('histogram_quantile')
      if (latency) prometheus.p99Queries++
      const empty = latency && prometheus.p99Queries <= emptyAnswers
      // p99 0.12 s, error ratio 0.001, and 50 requests per second (enough for the minimum sample).
      const value = latency ? 0.12 : promql.includes(' / ') ? 0.001 : 50
      return {resultType: 'vector' as const, series: empty ? [] : [{labels: {}, value, timestamp: 0}], warnings: []}
    },
    queryRange: () => Promise.reject(new Error('not used')),
  }
  return prometheus
}

describe('executeRollout with an injected clock and watch source', () => {
  test('analysis warm-up: a metric without data is measured again after 2 s, not after the 1m interval', async () => {
    const prometheus = warmingPrometheus(2)
    const r = await startRollout({prometheus, steps: [100]})
    // step 1 set weight 100%, step 2 pause 10m, step 3 analysis
    await r.clock.advance(10 * MINUTE)
    const analysisStarted = r.clock.now()
    expect(prometheus.p99Queries).toBe(1)
    await r.clock.advance(2_000)
    expect(prometheus.p99Queries).toBe(2)
    await r.clock.advance(2_000)
    expect(prometheus.p99Queries).toBe(3)
    const result = await r.run
    expect(result.stored.state.phase).toBe('Succeeded')
    const run = result.stored.state.analysisRuns[0]
    expect(run.verdict).toBe('pass')
    expect(Date.parse(run.measurements[0].at) - analysisStarted).toBe(4_000)
    expect(r.lines.filter((line) => line.includes('no data yet for visitors 1.1.0; measuring again in 2s'))).toHaveLength(2)
  })


  test('sleeps until a pause deadline, not a moment less, then moves on; one timer per wait', async () => {
    const r = await startRollout()
    const started = r.clock.now()
    expect(r.driver.actions).toEqual(['setWeight 50'])
    expect((await r.stored()).currentStepIndex).toBe(1)
    expect(r.clock.pending).toBe(1)

    await r.clock.advance(10 * MINUTE - 1)
    expect(r.driver.actions).toEqual(['setWeight 50'])
    expect((await r.stored()).currentStepIndex).toBe(1)

    await r.clock.advance(1)
    expect(r.driver.actions).toEqual(['setWeight 50', 'setWeight 100'])
    const atSecondPause = await r.stored()
    expect(atSecondPause.currentStepIndex).toBe(3)
    // The pause ended exactly at its deadline: the next step started then.
    expect(Date.parse(atSecondPause.stepStartedAt)).toBe(started + 10 * MINUTE)

    await r.clock.advance(10 * MINUTE)
    const result = await r.run
    expect(result.stoppedBecause).toBe('done')
    expect(result.stored.state.phase).toBe('Succeeded')
    expect(r.driver.actions).toEqual(['setWeight 50', 'setWeight 100', 'promote'])
    expect(r.clock.armed).toBe(2)
    expect(r.clock.fired.map((f) => f.at - f.deadline)).toEqual([0, 0])
    expect(r.kube.openWatches).toBe(0)
  })

  test('a timer that fires a millisecond early re-arms for the remainder, never sends an early waitElapsed', async () => {
    const r = await startRollout({earlyByMs: 1})
    const deadline = r.clock.now() + 10 * MINUTE
    await r.clock.advance(10 * MINUTE - 1)
    // It fired a millisecond early: nothing was committed, a timer for the last millisecond is armed.
    expect(r.clock.fired).toEqual([{at: deadline - 1, deadline}])
    expect(r.clock.pending).toBe(1)
    expect(r.driver.actions).toEqual(['setWeight 50'])
    expect((await r.stored()).currentStepIndex).toBe(1)

    await r.clock.advance(1)
    expect((await r.stored()).currentStepIndex).toBe(3)
    await r.clock.advance(10 * MINUTE)
    // An early waitElapsed is a state-machine error ("waitElapsed 1ms early") that would reject this.
    const result = await r.run
    expect(result.stored.state.phase).toBe('Succeeded')
    expect(r.clock.armed).toBe(4)
  })

  test('ignores its own writes echoed by the watch (delivered before the write returns)', async () => {
    const r = await startRollout()
    const pausing = 'step 2/5 (pause 10m): pausing 10m at 50%'
    // The write that entered the pause was echoed to the record watch before its response: had
    // the executor taken the echo for news, it would have woken, looped and announced the pause again.
    expect(r.lines.filter((line) => line.includes(pausing))).toHaveLength(1)
    expect(r.clock.armed).toBe(1)
    await r.clock.advance(20 * MINUTE)
    const result = await r.run
    expect(result.stored.state.phase).toBe('Succeeded')
    expect(r.lines.filter((line) => line.includes('rollout changed elsewhere'))).toEqual([])
    expect(result.stored.resourceVersion).toBe(r.kube.objects.get('ConfigMap/mygate-system/mygate-rollout-visitors')?.metadata.resourceVersion)
  })

  test('a promote from another machine during a pause wakes it at once, the pause recorded as skipped', async () => {
    const r = await startRollout()
    await r.steer({type: 'promoteRequested', by: 'bob@desk'})
    await settle()
    expect(r.driver.actions).toEqual(['setWeight 50', 'setWeight 100'])
    expect((await r.stored()).currentStepIndex).toBe(3)
    expect(r.lines).toContainEqual(expect.stringMatching(/^↓ step 2\/5: pause 10m: pause 10m skipped by bob@desk/))
    await r.clock.advance(10 * MINUTE)
    expect((await r.run).stored.state.phase).toBe('Succeeded')
  })

  test('an abort that arrives in the middle of an action: the action\'s event is dropped, the rollout rolls back', async () => {
    const r = await startRollout({
      during: async (action, running) => {
        if (action.kind === 'setWeight' && action.weight === 50) await running.steer({type: 'abortRequested', by: 'bob@desk'})
      },
    })
    const result = await r.run
    // stepCompleted for 50% was not applied on top of the abort (the state machine would have thrown).
    expect(r.driver.actions).toEqual(['setWeight 50', 'rollback traffic'])
    expect(result.stored.state).toMatchObject({phase: 'Aborted', currentWeight: 0, rollback: {cause: 'abort', reason: 'aborted by bob@desk'}})
    expect(r.clock.armed).toBe(0)
    expect(r.lines).toContainEqual(expect.stringMatching(/^↓ step 1\/5: set weight 50%: aborted by bob@desk/))
    expect(r.lines).toContainEqual(expect.stringMatching(/^✔ roll back/))
  })

  test('a full promote that arrives in the middle of an action: straight to the promotion, nothing in between', async () => {
    const r = await startRollout({
      during: async (action, running) => {
        if (action.kind === 'setWeight' && action.weight === 50) await running.steer({type: 'promoteRequested', full: true, by: 'bob@desk'})
      },
    })
    const result = await r.run
    expect(r.driver.actions).toEqual(['setWeight 50', 'promote'])
    expect(result.stored.state.phase).toBe('Succeeded')
    expect(r.clock.armed).toBe(0)
  })

  test('a crash-looping new pod during a pause rolls back at once, without waiting for the pause to end', async () => {
    const r = await startRollout()
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {name: 'visitors-canary-abc', namespace: 'mygate', labels: POD_LABELS},
      status: {phase: 'Running', containerStatuses: [{name: 'visitors', ready: false, restartCount: 3, state: {waiting: {reason: 'CrashLoopBackOff'}}}]},
    }
    r.kube.put(pod)
    const result = await r.run
    expect(r.driver.actions).toEqual(['setWeight 50', 'rollback traffic'])
    expect(result.stored.state).toMatchObject({phase: 'RolledBack', rollback: {cause: 'unhealthy'}})
    expect(result.stored.state.rollback?.reason).toMatch(/visitors-canary-abc: CrashLoopBackOff/)
    expect(r.lines).toContainEqual(expect.stringMatching(/^✖ step 2\/5: pause 10m: visitors-canary-abc: CrashLoopBackOff/))
  })

  test('without --wait it returns at the first pause, arming no timer, leaving the rest for later', async () => {
    const r = await startRollout({wait: false})
    const result = await r.run
    expect(result.stoppedBecause).toBe('paused')
    expect(result.stored.state).toMatchObject({phase: 'Progressing', currentStepIndex: 1})
    expect(r.clock.armed).toBe(0)
    expect(r.lines).toContainEqual(expect.stringMatching(/^↓ step 2\/5: pause 10m: not waited for \(--no-wait\)/))
  })
})
