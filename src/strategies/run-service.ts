import {parseDuration} from '../duration.js'
import {ConflictError, isMygateError, UsageError} from '../errors.js'
import type {KubeApi} from '../kube/api.js'
import {describeStep} from '../rollout/plan.js'
import {createRolloutState, isInProgress, type Color, type RolloutState} from '../rollout/state.js'
import type {AnalysisRun} from '../analysis/types.js'
import type {PrometheusClient} from '../analysis/prometheus-client.js'
import {auditEntryOf, recordAudit, type AuditOutcome} from '../audit/audit-log.js'
import {bookkeepingError, recordOutcome} from './bookkeeping.js'
import {activeColor} from './blue-green.js'
import {driverFor} from './driver-for.js'
import {executeRollout, type StepMetric, type StopReason} from './executor.js'
import type {GitInfo} from '../audit/git-info.js'
import {currentOperator, holderIdentity} from '../audit/identity.js'
import {acquireLease, leaseHeldError, liveHolding, type HeldLease} from '../locks/lease.js'
import {colorDeploymentName} from '../rollout/names.js'
import type {ServiceRequest} from '../deploy/deploy-input.js'
import {readRollout, writeNewRollout, type RolloutIoSettings, type StoredRollout} from './rollout-store.js'
import {getDeployment, requireDeployment, runningVersion} from './workloads.js'
import {updateStandbyRegions} from '../deploy/update-standby.js'
import type {PhaseTracker, Verdict} from '../ui/progress.js'

/**
 * One service's deploy: checks that change nothing (prepareService), then the lease, the rollout
 * record, the audit entry, the state-machine loop, and the bookkeeping at the end (runService).
 */

export interface PreparedService {
  request: ServiceRequest
  image: string
  fromImage: string
  fromVersion: string | undefined
  activeColor?: Color
  totalReplicas: number
  previous?: StoredRollout
}

export interface EnvironmentContext {
  name: string
  registry: string
  mesh: boolean
  client: KubeApi
  /** Every region's client, for the environment record's versions. */
  allClients: KubeApi[]
  /** The regions that do not serve, by name: they get a succeeded version at standby scale. */
  standby?: ReadonlyMap<string, KubeApi>
  prometheus: PrometheusClient
}

/** The outcome of one service's rollout, as `mygate deploy --json` reports it. */
export interface ServiceDeployResult {
  service: string
  rolloutId: string
  from?: string
  to: string
  image: string
  strategy: string
  /** The RolloutState phase it ended (or stopped) in. */
  phase: string
  /** succeeded | rolledBack | aborted | failed | paused (stopped at a pause, --no-wait or waiting for a person). */
  outcome: 'succeeded' | 'rolledBack' | 'aborted' | 'failed' | 'paused'
  message: string
  /** The plan, one line per step, and how far it got. */
  steps: string[]
  currentStep: number
  weight: number
  analysis: AnalysisRun[]
  rollback?: {cause: string; reason: string}
  /** Kubernetes API requests per plan step (the benchmark's figure). */
  requestsPerStep: StepMetric[]
  stoppedBecause: StopReason
}

export async function prepareService(env: EnvironmentContext, request: ServiceRequest): Promise<PreparedService> {
  const {client} = env
  const name = request.descriptor.name
  const stable = await requireDeployment(client, name, env.name)
  const color = await activeColor(client, name)
  if (color !== undefined && request.strategy !== 'blue-green') {
    throw new UsageError(`${name} in ${env.name} is served blue-green (active colour ${color}); it cannot be deployed ${request.strategy}`, {
      hint: 'add --blue-green',
    })
  }
  const serving = color === undefined ? stable : ((await getDeployment(client, colorDeploymentName(name, color))) ?? stable)
  const running = runningVersion(serving)
  const image = request.image(env.registry)
  if (running.image === image) {
    throw new UsageError(`${name} already runs ${image} in ${env.name}; nothing to deploy`, {hint: 'pass another --version'})
  }
  // The lease first: a deploy running right now is named with its holder and age.
  const holding = await liveHolding(client, name)
  if (holding !== undefined) throw leaseHeldError(name, env.name, holding)
  const previous = await readRollout(client, name)
  if (previous !== undefined && (isInProgress(previous.state) || previous.state.phase === 'RollingBack')) {
    throw new ConflictError(
      `a rollout of ${name} is already in progress in ${env.name}: ${previous.state.phase}, ${previous.state.fromVersion ?? '(none)'} -> ${previous.state.toVersion} (${previous.state.message})`,
      {hint: `finish it with \`mygate rollout promote|abort|resume ${name} --env ${env.name}\``},
    )
  }
  return {
    request,
    image,
    fromImage: running.image,
    fromVersion: running.version,
    activeColor: color,
    totalReplicas: Math.max(1, serving.spec.replicas ?? 1),
    previous,
  }
}

export interface RunServiceOptions {
  env: EnvironmentContext
  prepared: PreparedService
  readyTimeoutMs: number
  wait: boolean
  git?: GitInfo
  /** The service's phase, declared with rolloutPhase() (src/strategies/rollout-progress.ts). */
  progress: PhaseTracker
}

export function outcomeOf(state: RolloutState): ServiceDeployResult['outcome'] {
  switch (state.phase) {
    case 'Succeeded':
      return 'succeeded'
    case 'RolledBack':
      return 'rolledBack'
    case 'Aborted':
      return 'aborted'
    case 'Failed':
      return 'failed'
    default:
      return 'paused'
  }
}

const AUDIT_OUTCOME: Record<ServiceDeployResult['outcome'], AuditOutcome> = {
  succeeded: 'succeeded',
  rolledBack: 'rolled back',
  aborted: 'aborted',
  failed: 'failed',
  paused: 'in progress',
}

/** The audit entry's outcome for a rollout's state. */
export function auditOutcomeOf(state: RolloutState): AuditOutcome {
  return state.rollback?.cause === 'undo' && state.phase === 'RolledBack' ? 'undone' : AUDIT_OUTCOME[outcomeOf(state)]
}

export function resultOf(stored: StoredRollout, steps: StepMetric[], stoppedBecause: StopReason): ServiceDeployResult {
  const state = stored.state
  return {
    service: state.service,
    rolloutId: state.id,
    from: state.fromVersion,
    to: state.toVersion,
    image: state.image,
    strategy: state.strategy,
    phase: state.phase,
    outcome: outcomeOf(state),
    message: state.message,
    steps: state.plan.map(describeStep),
    currentStep: state.currentStepIndex,
    weight: state.currentWeight,
    analysis: state.analysisRuns,
    ...(state.rollback ? {rollback: {cause: state.rollback.cause, reason: state.rollback.reason}} : {}),
    requestsPerStep: steps,
    stoppedBecause,
  }
}

/** The rollout's phase verdict: how it ended, or why it stopped before its end. */
export function verdictOf(result: Pick<ServiceDeployResult, 'outcome' | 'stoppedBecause'>, waited: boolean): Verdict {
  switch (result.outcome) {
    case 'succeeded':
      return 'succeeded'
    case 'paused':
      // Waiting for a person until the deadline is a time-out; --no-wait leaves the rest for later.
      return waited && result.stoppedBecause !== 'done' && result.stoppedBecause !== 'paused' ? 'timed out' : 'skipped'
    default:
      return 'failed'
  }
}

/**
 * Runs (or continues) a stored rollout while holding the deploy lease: the loop of the executor,
 * then the audit entry's outcome and, for a finished rollout, the environment record's version.
 * The phase ends with the rollout's verdict before that bookkeeping: a rollout that succeeded is
 * shown as succeeded even when writing its audit entry fails afterwards. Records that cannot be
 * written (audit entry, deployed version, lease release) end the call with a BookkeepingError
 * (exit 8) carrying the result: the outcome stands, only its record is missing.
 */
export async function driveRollout(options: {
  env: EnvironmentContext
  stored: StoredRollout
  wait: boolean
  /** The rollout's phase (rolloutPhase()); started here if it was not. */
  progress: PhaseTracker
  /** A lease already held for this rollout (a fresh deploy); otherwise it is acquired here. */
  lease?: HeldLease
  /** An abort: it takes the deploy lease but no other lock refuses it (src/locks/lock-scope.ts). */
  reducesRisk?: boolean
}): Promise<ServiceDeployResult> {
  const {env, progress} = options
  const report = (line: string) => progress.update(line)
  progress.start()
  const service = options.stored.state.service
  const lease = options.lease ?? (await acquireLease(env.client, {holder: holderIdentity(), service, environment: env.name, reducesRisk: options.reducesRisk}))
  if (lease.obtained === 'taken over') report(`took over the deploy lease from ${lease.previousHolder}`)
  let leaseError: unknown
  let released = false
  lease.startRenewing((error) => {
    leaseError = error
    report(`warning: could not renew the deploy lease: ${error instanceof Error ? error.message : String(error)}`)
  })
  try {
    const driver = driverFor(options.stored.state.strategy, {client: env.client, io: options.stored.io, report}, service)
    const {stored, steps, stoppedBecause} = await executeRollout({
      client: env.client,
      stored: options.stored,
      driver,
      prometheus: env.prometheus,
      wait: options.wait,
      progress,
      personDeadlineMs: Date.now() + options.stored.io.readyTimeoutMs,
    })
    const result = resultOf(stored, steps, stoppedBecause)
    progress.end(verdictOf(result, options.wait), result.message)
    const state = stored.state
    const unwritten = await recordOutcome(env, state, auditOutcomeOf(state))
    if (state.phase === 'Succeeded' && env.standby && env.standby.size > 0) {
      // A standby never runs stale code: the other region gets the same version at standby scale.
      try {
        const regions = await updateStandbyRegions(env.standby, service)
        if (regions.length > 0) report(`${service} ${state.toVersion} applied at standby scale in ${regions.join(', ')}`)
      } catch (error) {
        report(`warning: could not update ${service} in the standby region: ${error instanceof Error ? error.message : String(error)}; the failover readiness check will report it`)
      }
    }
    if (leaseError !== undefined && result.outcome === 'paused') report('the deploy lease was lost while waiting; another CLI may have taken over')
    released = true
    try {
      await lease.release()
    } catch (error) {
      if (!isMygateError(error)) throw error
      unwritten.push({record: 'deploy lease release', error: error.message})
    }
    if (unwritten.length > 0) {
      for (const u of unwritten) report(`could not write the ${u.record}: ${u.error}`)
      throw bookkeepingError(state, env.name, unwritten, {result})
    }
    return result
  } finally {
    if (!released) await lease.release().catch(() => undefined)
  }
}

/**
 * The PromQL range for the analysis: the interval, but never under 5 s. rate() needs at least two
 * samples in its range, and Prometheus scrapes every 1 s at the very fastest (the local control
 * plane's metrics sample every 1 s), so `--analysis-interval 1s` measures how often, not how far back.
 */
export function analysisWindow(interval: string): string {
  return parseDuration(interval, 'analysis interval') < 5000 ? '5s' : interval
}

export async function runService(options: RunServiceOptions): Promise<ServiceDeployResult> {
  const {env, prepared, progress} = options
  const {request} = prepared
  const service = request.descriptor.name
  const operator = currentOperator()
  const now = Date.now()
  const state = createRolloutState(
    {
      id: `${service}-${new Date(now).toISOString().replace(/[-:.]/g, '').toLowerCase()}`,
      environment: env.name,
      service,
      strategy: request.strategy,
      fromVersion: prepared.fromVersion,
      fromImage: prepared.fromImage,
      toVersion: request.version,
      image: prepared.image,
      plan: request.plan,
      analysis: request.analysis,
      activeColor: prepared.activeColor,
      startedBy: operator,
      git: options.git,
    },
    now,
  )
  const io: RolloutIoSettings = {
    totalReplicas: prepared.totalReplicas,
    router: env.mesh ? 'mesh' : 'replicas',
    readyTimeoutMs: options.readyTimeoutMs,
    analysisWindow: analysisWindow(request.analysis.interval),
  }
  const holder = holderIdentity(operator)
  // The lease first: the record is written only by whoever holds it.
  const lease = await acquireLease(env.client, {holder, service, environment: env.name})
  let stored: StoredRollout
  try {
    stored = await writeNewRollout(env.client, state, io, prepared.previous)
  } catch (error) {
    await lease.release().catch(() => undefined)
    if (error instanceof ConflictError) {
      throw new ConflictError(`another deploy of ${service} started at the same moment; refusing this one`, {hint: `see \`mygate rollout status ${service} --env ${env.name}\``})
    }
    throw error
  }
  await recordAudit(env.client, auditEntryOf(state, 'started'))
  // The phase's title is the line deploys have always started with ("visitors: canary ... , 7 steps").
  progress.start()
  // driveRollout renews the lease while the rollout runs and releases it at the end.
  return driveRollout({env, stored, wait: options.wait, progress, lease})
}
