import type {PrometheusClient} from '../analysis/prometheus-client.js'
import type {Measurement} from '../analysis/types.js'
import {formatDuration, parseDuration} from '../duration.js'
import {isMygateError} from '../errors.js'
import {podProblem} from '../kube/readiness.js'
import {describeStep} from '../rollout/plan.js'
import {applyEvent, nextAction, type RolloutEvent, type UnhealthyPod} from '../rollout/state-machine.js'
import {isInProgress, type RolloutState} from '../rollout/state.js'
import {measureRollout} from '../analysis/cluster-prometheus.js'
import type {StrategyDriver} from './strategy-driver.js'
import type {KubeApi, WatchHandle} from '../kube/api.js'
import {APP_NAMESPACE} from '../rollout/names.js'
import {updateRollout, watchRollout, type StoredRollout} from './rollout-store.js'

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
  report: (line: string) => void
  /** With `wait`: when to stop waiting for a person (promote/resume), epoch ms. Default: never. */
  personDeadlineMs?: number
  /** Called after every saved change of state (for `--json` consumers and tests). */
  onState?: (state: RolloutState) => void
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
      let timer: NodeJS.Timeout
      // Timers may fire a millisecond before Date.now() reaches the deadline; the state machine
      // refuses an early waitElapsed, so re-arm for the remainder instead of waking early.
      const arm = () => {
        timer = setTimeout(() => {
          if (Date.now() < untilMs) return arm()
          this.resolve = undefined
          done(false)
        }, Math.max(0, untilMs - Date.now()))
      }
      arm()
      this.resolve = () => {
        clearTimeout(timer)
        this.resolve = undefined
        this.pending = false
        done(true)
      }
    })
  }
}

export async function executeRollout(options: ExecuteOptions): Promise<ExecuteResult> {
  const {client, driver, prometheus, report} = options
  let stored = options.stored
  const service = stored.state.service
  const wakeup = new Wakeup()
  let latestSeen: StoredRollout | undefined
  const unhealthy = new Map<string, UnhealthyPod>()
  const watches: WatchHandle[] = []
  const steps = new Map<number, StepMetric>()

  const account = (index: number, requestsBefore: number, startedAt: number) => {
    const step = stored.state.plan[index]
    const metric = steps.get(index) ?? {index, step: step ? describeStep(step) : 'done', requests: 0, elapsedMs: 0}
    metric.requests += client.requestCount - requestsBefore
    metric.elapsedMs += Date.now() - startedAt
    steps.set(index, metric)
  }

  const commit = async (event: RolloutEvent, basis: RolloutState) => {
    stored = await updateRollout(client, stored, (fresh) => {
      if (fresh.resourceVersion !== stored.resourceVersion && !samePoint(fresh.state, basis)) return undefined
      return applyEvent(fresh.state, event, Date.now())
    })
    options.onState?.(stored.state)
  }

  watches.push(
    await watchRollout(client, service, stored.resourceVersion, (seen) => {
      if (seen === undefined || !newer(seen.resourceVersion, stored.resourceVersion)) return
      latestSeen = seen
      wakeup.signal()
    }),
  )
  const selector = driver.newPodsSelector(stored.state)
  if (selector !== undefined && isInProgress(stored.state)) {
    const podsPath = await client.pathFor({apiVersion: 'v1', kind: 'Pod', namespace: APP_NAMESPACE})
    const pods = client.watch(podsPath, {labelSelector: selector}, (event) => {
      if (event.type !== 'ADDED' && event.type !== 'MODIFIED') return
      const problem = podProblem(event.object)
      if (problem?.fatal) {
        unhealthy.set(problem.pod, {name: problem.pod, reason: problem.reason})
        wakeup.signal()
      }
    })
    pods.done.catch(() => undefined)
    watches.push(pods)
  }

  try {
    for (;;) {
      if (latestSeen !== undefined && newer(latestSeen.resourceVersion, stored.resourceVersion)) {
        stored = latestSeen
        report(`rollout changed elsewhere: ${stored.state.message}`)
      }
      latestSeen = undefined
      // A watch event for our own last write can arrive before the write's response: not news.
      if (unhealthy.size === 0) wakeup.clear()
      const state = stored.state
      const index = state.currentStepIndex
      const requestsBefore = client.requestCount
      const startedAt = Date.now()

      if (unhealthy.size > 0 && isInProgress(state)) {
        const pods = [...unhealthy.values()]
        unhealthy.clear()
        report(`new pods unhealthy: ${pods.map((p) => `${p.name}: ${p.reason}`).join(', ')}`)
        await commit({type: 'podsUnhealthy', pods}, state)
        account(index, requestsBefore, startedAt)
        continue
      }
      unhealthy.clear()

      const action = nextAction(state, Date.now())
      switch (action.kind) {
        case 'done':
          return {stored, stoppedBecause: 'done', steps: [...steps.values()]}
        case 'waitForPromotion':
        case 'waitForResume':
          if (!options.wait) return {stored, stoppedBecause: action.kind === 'waitForPromotion' ? 'waitingForPromotion' : 'waitingForResume', steps: [...steps.values()]}
          report(action.reason)
          // Nothing to do until someone steers: sleep until the state watch wakes us.
          if (!(await wakeup.sleep(Math.min(options.personDeadlineMs ?? Infinity, Date.now() + 2 ** 31 - 2)))) {
            return {stored, stoppedBecause: action.kind === 'waitForPromotion' ? 'waitingForPromotion' : 'waitingForResume', steps: [...steps.values()]}
          }
          continue
        case 'wait': {
          if (!options.wait) return {stored, stoppedBecause: 'paused', steps: [...steps.values()]}
          if (action.untilMs > Date.now()) {
            report(action.reason)
            if (await wakeup.sleep(action.untilMs)) continue
          }
          await commit({type: 'waitElapsed'}, state)
          break
        }
        case 'runAnalysis': {
          const measurements = await measureWithWarmUp(prometheus, state, stored.io.analysisWindow, wakeup, report)
          if (measurements === undefined) continue
          await commit({type: 'analysisMeasured', measurements}, state)
          const run = stored.state.analysisRuns.at(-1)
          if (run !== undefined) {
            report(`analysis at ${state.currentWeight}%: ${run.verdict}`)
            for (const m of run.measurements) report(`  ${m.verdict === 'fail' ? '✖' : m.verdict === 'pass' ? '✔' : '?'} ${m.reason}`)
          }
          break
        }
        default: {
          if (action.kind === 'rollback') report(`rolling back (${action.cause}): ${action.reason}`)
          else report(`step ${index + 1}/${state.plan.length}: ${describeStep(state.plan[index])}`)
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
 * A version whose pods started moments ago has no series yet (Prometheus has not scraped it, or
 * rate() has one sample): "no data yet" is not "no traffic". So while every measurement is
 * inconclusive, measure again each analysis interval for up to one window before recording the
 * run (which then pauses the rollout as inconclusive). Undefined when woken by a state change or
 * unhealthy pods: the loop handles those first.
 */
async function measureWithWarmUp(
  prometheus: PrometheusClient,
  state: RolloutState,
  window: string | undefined,
  wakeup: Wakeup,
  report: (line: string) => void,
): Promise<Measurement[] | undefined> {
  const intervalMs = parseDuration(state.analysis.interval, 'analysis interval')
  const deadline = Date.now() + parseDuration(window ?? state.analysis.interval, 'analysis window')
  let measurements = await measureSafely(prometheus, state, window)
  while (measurements.every((m) => m.verdict === 'inconclusive') && Date.now() < deadline) {
    report(`no data yet for ${state.service} ${state.toVersion}; measuring again in ${formatDuration(intervalMs)}`)
    if (await wakeup.sleep(Date.now() + intervalMs)) return undefined
    measurements = await measureSafely(prometheus, state, window)
  }
  return measurements
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
