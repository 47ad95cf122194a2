import type {PrometheusClient} from '../analysis/prometheus-client.js'
import type {Measurement} from '../analysis/types.js'
import {systemClock, type Clock} from '../clock.js'
import {formatDuration, parseDuration} from '../duration.js'
import {isMygateError} from '../errors.js'
import {podProblem} from '../kube/readiness.js'
import {describeStep} from '../rollout/plan.js'
import {applyEvent, nextAction, type RolloutEvent, type UnhealthyPod} from '../rollout/state-machine.js'
import {isInProgress, type RolloutState} from '../rollout/state.js'
import {measureRollout} from '../analysis/cluster-prometheus.js'
import {nextWarmUp} from '../analysis/warm-up.js'
import type {StrategyDriver} from './strategy-driver.js'
import type {KubeApi, WatchHandle} from '../kube/api.js'
import type {PhaseTracker} from '../ui/progress.js'
import {activeStep, endedStep} from './rollout-progress.js'
import {updateRollout, type StoredRollout} from './rollout-store.js'
import {clusterWatchSource, type RolloutWatchSource} from './watch-source.js'

/**
 * Runs a rollout's state machine against the cluster:
 *
 *   loop: action = nextAction(state) -> carry it out -> state = applyEvent(state, event) -> save
 *
 * The state is saved after every event (optimistic concurrency), so a CLI killed at any point is
 * picked up by `mygate rollout resume`, which runs this same loop from the stored state.
 *
 * Waiting never polls: timed waits are timers, and two watch streams run for the whole rollout,
 * one on the rollout's ConfigMap (promote/abort/undo from another machine wake the loop at once)
 * and one on the new version's pods (a crash loop rolls back without waiting for the next step).
 * A steering event that lands while an action is running is seen when the action returns.
 *
 * An error from the cluster or Prometheus inside an action leaves the stored state where it was
 * (actions are idempotent) and is rethrown: `rollout resume` carries on from that step.
 *
 * Progress: the rollout's phase on the progress model (see rollout-progress.ts), one step per plan
 * step and a "roll back" step; each ends with a verdict when the state moves past it. Time and
 * watches are injected (`clock`, `watch`) so the loop is unit-tested without a cluster or waits.
 */

export interface StepMetric {
  /** Plan step index (0-based) the requests were spent on. */
  index: number
  step: string
  /** Kubernetes API requests issued while at this step, its state writes included. */
  requests: number
  elapsedMs: number
}

export type StopReason = 'done' | 'paused' | 'waitingForPromotion' | 'waitingForResume'

export interface ExecuteResult {
  stored: StoredRollout
  stoppedBecause: StopReason
  steps: StepMetric[]
}

export interface ExecuteOptions {
  client: KubeApi
  stored: StoredRollout
  driver: StrategyDriver
  prometheus: PrometheusClient
  /** false (`--no-wait`): return at the first pause instead of sleeping through it. */
  wait: boolean
  /**
   * The rollout's phase (its steps declared with rolloutPhase()): the executor starts and ends
   * the steps; lines from the loop and the driver go to the running step. The caller ends the phase.
   */
  progress: PhaseTracker
  /** With `wait`: when to stop waiting for a person (promote/resume), epoch ms. Default: never. */
  personDeadlineMs?: number
  /** Called after every saved change of state (for `--json` consumers and tests). */
  onState?: (state: RolloutState) => void
  /** Time and timers (default: the system clock). */
  clock?: Clock
  /** The record and pod watches (default: watch streams through `client`). */
  watch?: RolloutWatchSource
}

/** Same point in the plan: an event computed for `basis` still applies to `fresh`. */
function samePoint(fresh: RolloutState, basis: RolloutState): boolean {
  return (
    fresh.phase === basis.phase &&
    fresh.currentStepIndex === basis.currentStepIndex &&
    fresh.analysisRuns.length === basis.analysisRuns.length &&
    fresh.pausedUntil === basis.pausedUntil
  )
}

function newer(candidate: string, than: string): boolean {
  const a = Number(candidate)
  const b = Number(than)
  // resourceVersions are opaque; every API server in practice uses increasing integers.
  return Number.isFinite(a) && Number.isFinite(b) ? a > b : candidate !== than
}

/** A promise that something changed: the state (from elsewhere) or the new pods' health. */
class Wakeup {
  private resolve: (() => void) | undefined
  private pending = false

  constructor(private readonly clock: Clock) {}

  signal(): void {
    this.pending = true
    this.resolve?.()
  }

  /** Forgets a signal that turned out to be our own write echoed by the watch. */
  clear(): void {
    this.pending = false
  }

  /** Resolves at `untilMs`, or earlier on a signal. Returns true when signalled. */
  async sleep(untilMs: number): Promise<boolean> {
    if (this.pending) {
      this.pending = false
      return true
    }
    return new Promise<boolean>((done) => {
      let timer: {cancel(): void}
      // Timers may fire a millisecond before the clock reaches the deadline; the state machine
      // refuses an early waitElapsed, so re-arm for the remainder instead of waking early.
      const arm = () => {
        timer = this.clock.setTimer(() => {
          if (this.clock.now() < untilMs) return arm()
          this.resolve = undefined
          done(false)
        }, Math.max(0, untilMs - this.clock.now()))
      }
      arm()
      this.resolve = () => {
        timer.cancel()
        this.resolve = undefined
        this.pending = false
        done(true)
      }
    })
  }
}

export async function executeRollout(options: ExecuteOptions): Promise<ExecuteResult> {
  const {client, driver, prometheus, progress} = options
  const clock = options.clock ?? systemClock
  const source = options.watch ?? clusterWatchSource(client)
  const report = (line: string) => progress.update(line)
  let stored = options.stored
  const service = stored.state.service
  const wakeup = new Wakeup(clock)
  let latestSeen: StoredRollout | undefined
  const unhealthy = new Map<string, UnhealthyPod>()
  const watches: WatchHandle[] = []
  const steps = new Map<number, StepMetric>()

  const account = (index: number, requestsBefore: number, startedAt: number) => {
    const step = stored.state.plan[index]
    const metric = steps.get(index) ?? {index, step: step ? describeStep(step) : 'done', requests: 0, elapsedMs: 0}
    metric.requests += client.requestCount - requestsBefore
    metric.elapsedMs += clock.now() - startedAt
    steps.set(index, metric)
  }

  /** Ends the step the state was working on when it moved on (see endedStep). */
  const moved = (before: RolloutState, after: RolloutState, byUs: boolean) => {
    const ended = endedStep(before, after, byUs)
    if (ended) progress.steps[ended.index]?.end(ended.verdict, ended.summary)
  }

  /** Saves the event; `say` reports on the saved state while its step is still the running one. */
  const commit = async (event: RolloutEvent, basis: RolloutState, say?: (saved: RolloutState) => void) => {
    const before = stored.state
    let ours = false
    stored = await updateRollout(client, stored, (fresh) => {
      ours = false
      if (fresh.resourceVersion !== stored.resourceVersion && !samePoint(fresh.state, basis)) return undefined
      ours = true
      return applyEvent(fresh.state, event, clock.now())
    })
    say?.(stored.state)
    moved(before, stored.state, ours)
    options.onState?.(stored.state)
  }

  const stop = (stoppedBecause: StopReason): ExecuteResult => {
    // A rollout left waiting: the step it waits at did not finish in this run.
    const waiting = activeStep(stored.state)
    if (waiting !== undefined && stoppedBecause !== 'done') {
      const step = progress.steps[waiting]
      if (stoppedBecause === 'paused') step?.end('skipped', 'not waited for (--no-wait)')
      else step?.end(options.wait ? 'timed out' : 'skipped', stored.state.message)
    }
    return {stored, stoppedBecause, steps: [...steps.values()]}
  }

  // Steps done by an earlier run (a resumed rollout) are not run again.
  const first = activeStep(stored.state)
  for (let i = 0; i < Math.min(first ?? 0, stored.state.plan.length); i++) progress.steps[i]?.end('skipped', 'done earlier')

  watches.push(
    await source.watchRecord(service, stored.resourceVersion, (seen) => {
      if (seen === undefined || !newer(seen.resourceVersion, stored.resourceVersion)) return
      latestSeen = seen
      wakeup.signal()
    }),
  )
  const selector = driver.newPodsSelector(stored.state)
  if (selector !== undefined && isInProgress(stored.state)) {
    watches.push(
      await source.watchPods(selector, (pod) => {
        const problem = podProblem(pod)
        if (problem?.fatal) {
          unhealthy.set(problem.pod, {name: problem.pod, reason: problem.reason})
          wakeup.signal()
        }
      }),
    )
  }

  try {
    for (;;) {
      if (latestSeen !== undefined && newer(latestSeen.resourceVersion, stored.resourceVersion)) {
        const before = stored.state
        stored = latestSeen
        moved(before, stored.state, false)
        report(`rollout changed elsewhere: ${stored.state.message}`)
      }
      latestSeen = undefined
      // A watch event for our own last write can arrive before the write's response: not news.
      if (unhealthy.size === 0) wakeup.clear()
      const state = stored.state
      const index = state.currentStepIndex
      const requestsBefore = client.requestCount
      const startedAt = clock.now()
      const active = activeStep(state)
      if (active !== undefined) progress.steps[active]?.start()

      if (unhealthy.size > 0 && isInProgress(state)) {
        const pods = [...unhealthy.values()]
        unhealthy.clear()
        report(`new pods unhealthy: ${pods.map((p) => `${p.name}: ${p.reason}`).join(', ')}`)
        await commit({type: 'podsUnhealthy', pods}, state)
        account(index, requestsBefore, startedAt)
        continue
      }
      unhealthy.clear()

      const action = nextAction(state, clock.now())
      switch (action.kind) {
        case 'done':
          return stop('done')
        case 'waitForPromotion':
        case 'waitForResume': {
          const because = action.kind === 'waitForPromotion' ? 'waitingForPromotion' : 'waitingForResume'
          if (!options.wait) return stop(because)
          report(action.reason)
          // Nothing to do until someone steers: sleep until the state watch wakes us.
          if (!(await wakeup.sleep(Math.min(options.personDeadlineMs ?? Infinity, clock.now() + 2 ** 31 - 2)))) return stop(because)
          continue
        }
        case 'wait': {
          if (!options.wait) return stop('paused')
          if (action.untilMs > clock.now()) {
            report(action.reason)
            if (await wakeup.sleep(action.untilMs)) continue
          }
          await commit({type: 'waitElapsed'}, state)
          break
        }
        case 'runAnalysis': {
          const measurements = await measureWithWarmUp(prometheus, state, stored.io.analysisWindow, wakeup, report, clock)
          if (measurements === undefined) continue
          await commit({type: 'analysisMeasured', measurements}, state, (saved) => {
            const run = saved.analysisRuns.at(-1)
            if (run === undefined) return
            report(`analysis at ${state.currentWeight}%: ${run.verdict}`)
            for (const m of run.measurements) report(`  ${m.verdict === 'fail' ? '✖' : m.verdict === 'pass' ? '✔' : '?'} ${m.reason}`)
          })
          break
        }
        default: {
          // The step's own start line already says "step 2/7: set weight 50%".
          if (action.kind === 'rollback') report(`rolling back (${action.cause}): ${action.reason}`)
          const event = await driver.perform(action, state)
          await commit(event, state)
          break
        }
      }
      account(index, requestsBefore, startedAt)
    }
  } finally {
    for (const watch of watches) watch.stop()
  }
}

/**
 * Measures until the warm-up rule (src/analysis/warm-up.ts) says to record: a metric without data
 * yet is measured again after a few seconds, not after a whole analysis interval. Undefined when
 * woken by a state change or unhealthy pods: the loop handles those first.
 */
async function measureWithWarmUp(
  prometheus: PrometheusClient,
  state: RolloutState,
  window: string | undefined,
  wakeup: Wakeup,
  report: (line: string) => void,
  clock: Clock,
): Promise<Measurement[] | undefined> {
  const intervalMs = parseDuration(state.analysis.interval, 'analysis interval')
  const windowMs = parseDuration(window ?? state.analysis.interval, 'analysis window')
  const startedAt = clock.now()
  let measurements = await measureSafely(prometheus, state, window)
  for (;;) {
    const next = nextWarmUp(measurements, {intervalMs, windowMs, elapsedMs: clock.now() - startedAt})
    if (!next.measureAgain) return measurements
    report(`no data yet for ${state.service} ${state.toVersion}; measuring again in ${formatDuration(next.delayMs)}`)
    if (await wakeup.sleep(clock.now() + next.delayMs)) return undefined
    measurements = await measureSafely(prometheus, state, window)
  }
}

/**
 * Analysis that cannot reach Prometheus is not a verdict on the new version: it is recorded as
 * inconclusive (the rollout pauses, naming the error) rather than failing or passing.
 */
async function measureSafely(prometheus: PrometheusClient, state: RolloutState, window: string | undefined): Promise<Measurement[]> {
  try {
    return await measureRollout(prometheus, state, window)
  } catch (error) {
    if (!isMygateError(error)) throw error
    const reason = `analysis query failed: ${error.message}`
    return [
      {metric: 'error-rate', value: null, threshold: state.analysis.maxErrorRate, verdict: 'inconclusive', reason},
      {metric: 'p99-latency', value: null, threshold: state.analysis.maxP99LatencyMs, verdict: 'inconclusive', reason},
    ]
  }
}
