import {randomUUID} from 'node:crypto'

import {prometheusFor} from '../analysis/cluster-prometheus.js'
import type {Measurement} from '../analysis/types.js'
import {currentOperator, holderIdentity} from '../audit/identity.js'
import {loadCatalog} from '../catalog/load-catalog.js'
import type {AnalysisThresholds} from '../catalog/types.js'
import {connectEnvironment, type EnvironmentConnection} from '../env/connect.js'
import {ConflictError, NotFoundError, OperationFailedError, UsageError} from '../errors.js'
import {APP_NAMESPACE} from '../rollout/names.js'
import {createProgress, type Progress} from '../ui/progress.js'
import {measureFlagVariant} from './flag-analysis.js'
import {fullyOn, splitAt, turnedOff} from './flag-changes.js'
import {acquireFlagLock, liveFlagDriver, type HeldFlagLock} from './flag-lock.js'
import {auditChanges, requireFlag} from './flag-operations.js'
import {applyFlagEvent, type FlagRolloutEvent, type FlagRolloutState, isActive, nextFlagAction, paused} from './flag-rollout-machine.js'
import {createFlagRollout, readFlagRollout, updateFlagRollout} from './flag-rollout-store.js'
import {changeFlagSet, readFlagSet} from './flag-store.js'
import {describeRollout} from './present.js'
import {rolloutProgress} from './rollout-progress.js'
import {onVariantOf, servicesOf} from './types.js'

/**
 * `mygate flags rollout FLAG` and its steering: drives the pure machine (flag-rollout-machine.ts)
 * against the clusters. The state is in the active region (flag-rollout-store.ts), the flag
 * changes go to every region (flag-store.ts), each change is audited, and the flag lock is held
 * while a CLI drives. Steering (promote/abort) from another machine is written into the state and
 * read by the driver at its next turn (every POLL_MS at most); with no live driver, the steering
 * CLI drives the rollout on itself, so a rollout whose CLI was killed is finished by `resume`:
 * at once when the killed CLI ran on this host (its pid is gone), once its lock expires when it
 * ran elsewhere. Each step shows as a phase with its verdict (rollout-progress.ts).
 *
 * `--json` result (FlagRolloutResult): {environment, flag, state: FlagRolloutState, action?}, the
 * state as stored in the cluster (phase, stepIndex, appliedPercent, lastMeasurements, failure...).
 */

const POLL_MS = 200

export interface FlagRolloutResult {
  environment: string
  flag: string
  state: FlagRolloutState
  /** What the steering command did (absent for a started rollout). */
  action?: 'promote' | 'abort' | 'resume' | 'status'
}

export interface StartFlagRolloutOptions {
  env: string
  flag: string
  steps: number[]
  pauseMs: number
  analysisIntervalMs: number
  home?: string
  cwd?: string
  /** One phase per step with its measurements and verdict (stderr in the CLI; default: silent). */
  progress?: Progress
}

/** The PromQL window of a measurement: the interval, at least 2 s (two samples of the 1 s scrape). */
export function analysisWindowFor(intervalMs: number): string {
  return `${Math.max(2, Math.round(intervalMs / 1000))}s`
}

async function withEnvironment<T>(env: string, home: string | undefined, run: (connection: EnvironmentConnection) => Promise<T>): Promise<T> {
  const connection = await connectEnvironment(env, {home})
  try {
    return await run(connection)
  } finally {
    connection.close()
  }
}

export async function startFlagRollout(options: StartFlagRolloutOptions): Promise<FlagRolloutResult> {
  if (!(options.pauseMs >= 0)) throw new UsageError(`--pause must be a duration >= 0`)
  if (!(options.analysisIntervalMs >= 250)) throw new UsageError('--analysis-interval must be at least 250ms', {hint: 'e.g. --analysis-interval 1m'})
  const progress = options.progress ?? createProgress({mode: 'silent'})
  return withEnvironment(options.env, options.home, async (connection) => {
    const {set} = await readFlagSet(connection.primary)
    const flag = requireFlag(set, options.flag, options.env)
    const services = servicesOf(flag)
    if (services.length === 0) {
      throw new UsageError(`flag ${options.flag} names no services in metadata.services: nothing to analyse`, {
        hint: `name them: \`mygate flags set ${options.flag} --env ${options.env} --services SERVICE\``,
      })
    }
    // Bad on/off variants fail here, before any lock or state.
    splitAt(options.flag, flag, options.steps[0])
    const previous = await readFlagRollout(connection.primary, options.flag)
    if (previous && isActive(previous.state)) {
      throw new ConflictError(`flag ${options.flag} is already rolling out in ${options.env} (${previous.state.phase} at ${previous.state.appliedPercent ?? 0}%, started by ${previous.state.startedBy.user}@${previous.state.startedBy.host})`, {
        hint: `steer it: \`mygate flags rollout status|promote|abort|resume ${options.flag} --env ${options.env}\``,
      })
    }
    const lock = await acquireFlagLock(connection.primary, {flag: options.flag, services, environment: options.env, holder: holderIdentity()})
    try {
      const operator = currentOperator()
      const at = new Date().toISOString()
      const state: FlagRolloutState = {
        id: randomUUID(),
        flag: options.flag,
        environment: options.env,
        services,
        steps: options.steps,
        pauseMs: options.pauseMs,
        analysisIntervalMs: options.analysisIntervalMs,
        analysisWindow: analysisWindowFor(options.analysisIntervalMs),
        phase: 'progressing',
        stepIndex: 0,
        startedBy: operator,
        createdAt: at,
        updatedAt: at,
      }
      await createFlagRollout(connection.primary, state, previous)
      progress.note(`rolling out ${options.flag} in ${options.env}: steps ${options.steps.join(', ')}%, pause ${options.pauseMs / 1000}s, analysis every ${options.analysisIntervalMs / 1000}s on ${services.join(', ')}`)
      return settle(await drive(connection, options.flag, lock, {cwd: options.cwd, progress}), progress)
    } finally {
      await lock.release()
    }
  })
}

async function thresholdsFor(services: string[]): Promise<Map<string, AnalysisThresholds>> {
  const catalog = await loadCatalog()
  const out = new Map<string, AnalysisThresholds>()
  for (const service of services) {
    const descriptor = catalog.byName(service)
    if (!descriptor) throw new NotFoundError(`flag names service "${service}", which is not in the catalog`, {hint: 'fix metadata.services with `mygate flags set`'})
    out.set(service, descriptor.rollout.analysis)
  }
  return out
}

/**
 * The exit code of a rollout's outcome, the same for the CLI that drove it, one that followed it
 * and a later `resume`: turned off by its analysis is a failed rollout (OperationFailedError,
 * exit 7, as a deploy rolled back); succeeded, aborted and paused are what was asked (exit 0).
 */
function settle(result: FlagRolloutResult, progress: Progress): FlagRolloutResult {
  const {state} = result
  if (state.phase !== 'turnedOff') return result
  const failure = state.failure
  const at = failure?.percent === undefined ? '' : ` (at ${failure.percent}%)`
  progress.result(describeRollout(state).split('\n')[0])
  throw new OperationFailedError(`flag ${state.flag} turned off in ${state.environment}: ${failure?.reason ?? state.reason ?? 'its analysis failed'}${at}`, {
    hint: `fix the cause, then roll it out again: \`mygate flags rollout ${state.flag} --env ${state.environment}\``,
    details: {failure, rollout: state},
  })
}

/** Runs the machine until the rollout ends or pauses, showing each step as a phase. */
async function drive(connection: EnvironmentConnection, flagKey: string, lock: HeldFlagLock, options: {cwd?: string; progress: Progress}): Promise<FlagRolloutResult> {
  const client = connection.primary
  let lockError: unknown
  lock.startRenewing((error) => (lockError = error))
  const first = await readFlagRollout(client, flagKey)
  if (!first) throw new NotFoundError(`no rollout of flag ${flagKey}`)
  const environment = first.state.environment
  const thresholds = await thresholdsFor(first.state.services)
  const prometheus = prometheusFor(client)
  const regions = [...connection.clients.keys()].join(', ')
  let state = first.state
  const steps = rolloutProgress(options.progress, state)
  try {
    // A driver picking up a step whose split is written (a resume): that step runs on from its record.
    if (isActive(state) && state.appliedPercent !== undefined && state.appliedPercent === state.steps[state.stepIndex]) {
      steps.atStep(state.stepIndex, `carrying on at ${state.appliedPercent}% (split written ${state.stepStartedAt === undefined ? '' : `at ${new Date(state.stepStartedAt).toISOString().slice(11, 19)}, `}last verdict ${state.lastVerdict ?? 'none yet'})`)
    }

    /** Persists the event's outcome, keeping steering written meanwhile by another machine. */
    const apply = async (event: FlagRolloutEvent): Promise<void> => {
      const next = applyFlagEvent(state, event, Date.now())
      const stored = await updateFlagRollout(client, flagKey, (current) => ({
        ...next,
        abortRequestedBy: next.abortRequestedBy ?? current.abortRequestedBy,
        promoteRequested: event.type === 'splitApplied' ? undefined : next.promoteRequested || current.promoteRequested,
      }))
      state = stored?.state ?? next
    }

    const writeFlag = async (action: 'rollout-step' | 'rollout-off' | 'rollout-done', change: Parameters<typeof changeFlagSet>[2], reason?: string) => {
      const {before, after} = await changeFlagSet(connection.clients, environment, change)
      await auditChanges(connection, environment, action, [{key: flagKey, before: before.flags[flagKey], after: after.flags[flagKey]}], {reason, rolloutId: state.id, cwd: options.cwd})
    }

    for (;;) {
      if (lockError) throw lockError
      // Steering from other machines lands in the stored state: read it every turn.
      state = (await readFlagRollout(client, flagKey))?.state ?? state
      const action = nextFlagAction(state, Date.now())
      switch (action.kind) {
        case 'setSplit': {
          await writeFlag('rollout-step', (set) => ({...set, flags: {...set.flags, [flagKey]: splitAt(flagKey, requireFlag(set, flagKey, environment), action.percent)}}), `step to ${action.percent}%`)
          await apply({type: 'splitApplied', percent: action.percent})
          steps.atStep(state.stepIndex, `${flagKey}: split ${action.percent}% on, written to ${regions}`)
          break
        }
        case 'runAnalysis': {
          const measurements: Measurement[] = []
          for (const service of state.services) {
            const flag = requireFlag((await readFlagSet(client)).set, flagKey, environment)
            measurements.push(
              ...(await measureFlagVariant({client: prometheus, namespace: APP_NAMESPACE, service, flag: flagKey, variant: onVariantOf(flag), thresholds: thresholds.get(service) as AnalysisThresholds, window: state.analysisWindow})),
            )
          }
          const percent = state.appliedPercent
          await apply({type: 'analysisMeasured', measurements})
          steps.update(`${flagKey} at ${percent}%: ${state.lastVerdict}: ${measurements.map((m) => m.reason).join('; ')}`)
          break
        }
        case 'wait':
          await new Promise((resolve) => setTimeout(resolve, Math.max(10, Math.min(POLL_MS, action.untilMs - Date.now()))))
          break
        case 'turnOff': {
          await writeFlag('rollout-off', (set) => ({...set, flags: {...set.flags, [flagKey]: turnedOff(flagKey, requireFlag(set, flagKey, environment))}}), action.reason)
          await apply({type: 'turnedOff'})
          if (action.cause === 'analysis') steps.stepFailed(`turned off: ${action.reason}`)
          else steps.stepAborted(`${action.reason}; flag turned off`)
          return {environment, flag: flagKey, state}
        }
        case 'finish': {
          if (action.percent === 100) {
            await writeFlag('rollout-done', (set) => ({...set, flags: {...set.flags, [flagKey]: fullyOn(flagKey, requireFlag(set, flagKey, environment))}}), 'rolled out to 100%')
          }
          await apply({type: 'finished'})
          steps.stepPassed(`analysis passed; rolled out to ${action.percent}%`)
          return {environment, flag: flagKey, state}
        }
        case 'waitForResume': {
          const stored = await updateFlagRollout(client, flagKey, (current) => paused(current, action.reason, Date.now()))
          state = stored?.state ?? state
          steps.stepPaused(`paused: ${action.reason}; continue with \`mygate flags rollout resume ${flagKey} --env ${environment}\``)
          return {environment, flag: flagKey, state}
        }
        case 'done':
          return {environment, flag: flagKey, state}
      }
    }
  } finally {
    await steps.close()
  }
}

export interface SteerFlagRolloutOptions {
  env: string
  flag: string
  home?: string
  cwd?: string
  /** Follow (or drive) the rollout until it ends or pauses; default true. */
  wait?: boolean
  /** Notes and, when this command drives the rollout, one phase per step (default: silent). */
  progress?: Progress
}

/** Where a follower stops: the rollout ended or paused, or (promote) the driver took the request. */
function followed(state: FlagRolloutState, action: 'promote' | 'abort' | 'resume'): boolean {
  return !isActive(state) || state.phase === 'paused' || (action === 'promote' && !state.promoteRequested)
}

/**
 * promote | abort | resume: writes the request into the stored state; then, while a live CLI
 * drives the rollout (it holds the flag lock), follows it; when none does, or the one that did
 * stops renewing its lock (killed on another machine: its lease expires), drives it here.
 * `resume` of a rollout that ended reports its outcome with its exit code. status: reads the state.
 */
export async function steerFlagRollout(action: 'promote' | 'abort' | 'resume' | 'status', options: SteerFlagRolloutOptions): Promise<FlagRolloutResult> {
  const progress = options.progress ?? createProgress({mode: 'silent'})
  return withEnvironment(options.env, options.home, async (connection) => {
    const read = async () => (await readFlagRollout(connection.primary, options.flag))?.state
    const result = (state: FlagRolloutState): FlagRolloutResult => ({environment: options.env, flag: options.flag, state, action})
    const stored = await read()
    if (!stored) {
      throw new NotFoundError(`flag ${options.flag} has no rollout in ${options.env}`, {hint: `start one: \`mygate flags rollout ${options.flag} --env ${options.env} --steps 1,10,50,100\``})
    }
    if (action === 'status') return result(stored)
    if (!isActive(stored)) {
      if (action === 'resume') return settle(result(stored), progress)
      throw new ConflictError(`the rollout of flag ${options.flag} in ${options.env} has ended (${stored.phase}); nothing to ${action}`, {
        hint: `start a new one: \`mygate flags rollout ${options.flag} --env ${options.env}\``,
      })
    }
    const by = `${currentOperator().user}@${currentOperator().host}`
    const now = Date.now()
    const event: FlagRolloutEvent = action === 'abort' ? {type: 'abortRequested', by} : action === 'promote' ? {type: 'promoteRequested'} : {type: 'resumeRequested'}
    await updateFlagRollout(connection.primary, options.flag, (state) => applyFlagEvent(state, event, now))

    let followedDriver: string | undefined
    for (;;) {
      const current = (await read()) ?? stored
      if (followedDriver !== undefined && followed(current, action)) return settle(result(current), progress)
      const driver = await liveFlagDriver(connection.primary, current.flag, current.services)
      if (driver === undefined) break
      if (driver !== followedDriver) progress.note(`${action} written; ${driver} drives the rollout`)
      followedDriver = driver
      if (options.wait === false) return result(current)
      await new Promise((resolve) => setTimeout(resolve, POLL_MS))
    }
    // The driver we followed may have ended the rollout and released its lock in the same breath.
    const current = (await read()) ?? stored
    if (!isActive(current)) return settle(result(current), progress)
    if (options.wait === false && action !== 'abort') return result(current)
    const lock = await acquireFlagLock(connection.primary, {flag: options.flag, services: current.services, environment: options.env, holder: holderIdentity()})
    try {
      progress.note(
        followedDriver === undefined
          ? `${action} written; no CLI drives the rollout: driving it here`
          : `${followedDriver} no longer holds the lock of the rollout (${lock.obtained}): driving it here`,
      )
      return settle({...(await drive(connection, options.flag, lock, {cwd: options.cwd, progress})), action}, progress)
    } finally {
      await lock.release()
    }
  })
}
