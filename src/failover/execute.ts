import {holderIdentity} from '../audit/identity.js'
import type {Catalog} from '../catalog/types.js'
import {formatDuration} from '../duration.js'
import {NotFoundError, OperationFailedError, UsageError, isMygateError} from '../errors.js'
import {acquireEnvironmentLock, type HeldEnvironmentLock} from '../locks/environment-lock.js'
import type {KubeApi} from '../kube/api.js'
import {type AskTyped, confirmOperation} from '../ui/confirm.js'
import {createProgress, type ProgressMode} from '../ui/progress.js'
import {applyOverrides, blockingChecks, type CheckResult} from './checks.js'
import {fenceRegion} from './fence.js'
import {type FailoverMode, type FailoverPlan, type FailoverStep, planFailover, stepBatches} from './plan.js'
import {runReadinessChecks} from './readiness.js'
import {type FailoverRun, type RolledBackWrites, measureRun, nextStep, reopen, type RunMeasures, startRun, stepDone, stepFailed, stepStarted} from './run-state.js'
import {collectRuns, writeRun} from './run-store.js'
import {type FailoverSession, openFailoverSession} from './session.js'
import {recordRollbacks, rejoinReturningRegion} from './recovery.js'
import {applyPendingCloudFence, reopenDataPaths} from './cloud-steps.js'
import type {CloudAccessOptions} from '../providers/cloud-failover.js'
import {executeStep, type StepTuning} from './steps.js'
import {writeRecord, readRecord} from '../env/record.js'

/**
 * `mygate failover` and `failover resume`: plan, check, confirm, lock, then walk the plan's steps,
 * recording each in the target region's cluster before and after it runs.
 */

export interface FailoverOptions {
  env: string
  catalog: Catalog
  mode: Exclude<FailoverMode, 'automatic'>
  to?: string
  dryRun?: boolean
  overrides?: string[]
  /** --confirm NAME. */
  confirm?: string
  /** Someone can be asked (terminal, not CI, not --json). */
  terminal: boolean
  reason?: string
  progress: ProgressMode
  home?: string
  ask?: AskTyped
  /** `failover drill` on the local provider confirms the forced failover for the user. */
  drill?: boolean
  tuning?: StepTuning
  now?: () => Date
  /** Cloud endpoints and credentials (tests: moto, the GKE fake). */
  cloud?: CloudAccessOptions
}

/** The `--json` result of `mygate failover` (and of resume). */
export interface FailoverResult {
  environment: string
  dryRun: boolean
  plan: FailoverPlan
  checks: CheckResult[]
  run?: FailoverRun
  measures?: RunMeasures
  /** Pending fences applied before anything else (a lost region that came back). */
  fencesApplied: string[]
  /** Writes rolled back on the returning region's members as they rejoined (kept by MongoDB in their rollback directories). */
  rollbacks?: RolledBackWrites[]
  /**
   * The run succeeded but left something to do (the run's `warnings`: a forced failover's new base
   * backup that could not be taken). Also in the `--json` envelope's `warnings`; the exit code stays 0.
   */
  warnings?: string[]
}

export async function runFailover(options: FailoverOptions): Promise<FailoverResult> {
  const now = options.now ?? (() => new Date())
  const session = await openFailoverSession(options.env, {home: options.home, cloud: options.cloud})
  try {
    const {record} = session
    const plan = planFailover({spec: record.spec, activeRegion: record.activeRegion, catalog: options.catalog, mode: options.mode, to: options.to, overrides: options.overrides})
    if (options.mode === 'planned' && !session.reachable.has(plan.from)) {
      throw new UsageError(`--planned needs the source region ${plan.from}, and it does not answer`, {
        hint: `if ${plan.from} is lost, fail over with \`mygate failover --env ${record.name} --forced\``,
      })
    }
    if (options.dryRun) return {environment: record.name, dryRun: true, plan, checks: [], fencesApplied: []}
    const fencesApplied = await applyPendingFences(session, now)
    if (!session.reachable.has(plan.to)) {
      throw new OperationFailedError(`the target region ${plan.to} does not answer: there is nothing to fail over to`, {hint: 'check the target cluster, then run the failover again'})
    }
    await confirmFailover(options, plan, record.spec.tier)
    const lock = await lockEnvironment(session, record.name)
    try {
      const progress = createProgress({mode: options.progress})
      const checksBlock = progress.block([{title: `Readiness checks in ${plan.to}`}])
      const phase = checksBlock.phases[0]
      phase.start()
      const measured = await runReadinessChecks({record, catalog: options.catalog, target: plan.to, client: session.client(plan.to), traffic: session.traffic, cloud: session.cloud})
      const checks = applyOverrides(measured, plan.overrides)
      for (const c of checks) phase.update(`${c.verdict}${c.overridden ? ' (overridden)' : ''}: ${c.check}: ${c.measured}`)
      const blocking = blockingChecks(checks, plan.mode)
      phase.end(blocking.length > 0 ? 'failed' : 'succeeded', `${checks.filter((c) => c.verdict === 'pass').length}/${checks.length} passed`)
      await checksBlock.close()
      if (blocking.length > 0) {
        throw new OperationFailedError(
          `${plan.mode === 'planned' ? 'planned switchover' : 'failover'} of ${record.name} refused: ${blocking.map((c) => `${c.check}: ${c.measured}`).join('; ')}`,
          {hint: `fix it and run again, or skip a check with --override ${blocking[0].check} (asks for confirmation)`, details: {checks}},
        )
      }
      const run = startRun({plan, checks, who: holderIdentity(), reason: options.reason, now: now()})
      await writeRun(session.client(plan.to), run)
      const finished = await driveRun(session, run, {catalog: options.catalog, progress: options.progress, tuning: options.tuning ?? {}, now})
      return {environment: record.name, dryRun: false, plan, checks, run: finished, measures: measureRun(finished), fencesApplied, warnings: finished.warnings ?? []}
    } finally {
      await lock.release()
    }
  } finally {
    await session.close()
  }
}

export interface ResumeOptions {
  env: string
  catalog: Catalog
  progress: ProgressMode
  home?: string
  tuning?: StepTuning
  now?: () => Date
  cloud?: CloudAccessOptions
}

/**
 * Continues the newest unfinished run from its first step not done. When the newest run finished
 * but left a fence pending and that region answers again, resuming finishes what the run left:
 * the fence first, then the region's database members rejoin and resync (rollbacks reported).
 */
export async function resumeFailover(options: ResumeOptions): Promise<FailoverResult> {
  const now = options.now ?? (() => new Date())
  const session = await openFailoverSession(options.env, {home: options.home, cloud: options.cloud})
  try {
    const fencesApplied = await applyPendingFences(session, now)
    const {runs} = await collectRuns(reachableClients(session))
    const last = runs.at(-1)
    if (last && last.outcome === 'succeeded' && fencesApplied.includes(last.plan.from)) {
      const lock = await lockEnvironment(session, options.env)
      try {
        const {run, rollbacks} = await rejoinAfterForced(session, last, options.catalog, options.tuning?.catchUpWaitMs)
        return {environment: options.env, dryRun: false, plan: run.plan, checks: run.checks, run, measures: measureRun(run), fencesApplied, rollbacks}
      } finally {
        await lock.release()
      }
    }
    if (!last || last.outcome === 'succeeded') {
      throw new NotFoundError(`no unfinished failover of ${options.env} to resume`, {hint: `see \`mygate failover history --env ${options.env}\``})
    }
    const lock = await lockEnvironment(session, options.env)
    try {
      const finished = await driveRun(session, reopen(last), {catalog: options.catalog, progress: options.progress, tuning: options.tuning ?? {}, now})
      return {environment: options.env, dryRun: false, plan: finished.plan, checks: finished.checks, run: finished, measures: measureRun(finished), fencesApplied, warnings: finished.warnings ?? []}
    } finally {
      await lock.release()
    }
  } finally {
    await session.close()
  }
}

export interface DriveOptions {
  catalog: Catalog
  progress: ProgressMode
  tuning: StepTuning
  now: () => Date
}

/**
 * Runs the steps not done yet, one phase each, writing the run before and after every step. The
 * steps of one group (the databases) run at the same time; the run is one object updated as each
 * of them starts and ends, and its writes to the cluster are queued so they land in order.
 */
export async function driveRun(session: FailoverSession, initial: FailoverRun, options: DriveOptions): Promise<FailoverRun> {
  let run = initial
  const {plan} = run
  const target = session.client(plan.to)
  let writes: Promise<void> = Promise.resolve()
  const save = () => {
    const snapshot = run
    writes = writes.then(() => writeRun(target, snapshot))
    return writes
  }
  const progress = createProgress({mode: options.progress})
  const pending = plan.steps.filter((s) => run.steps.find((r) => r.id === s.id)?.status !== 'done')
  const block = progress.block(pending.map((s) => ({title: s.title})))
  const runStep = async (step: FailoverStep): Promise<void> => {
    const phase = block.phases[pending.indexOf(step)]
    phase.start()
    run = stepStarted(run, step.id, options.now())
    await save()
    try {
      const checkpoint = async (update: Partial<FailoverRun>) => {
        run = mergeUpdate(run, update)
        await save()
      }
      const outcome = await executeStep(step, {session, catalog: options.catalog, run, tuning: options.tuning, now: options.now, onProgress: (m) => phase.update(m), checkpoint})
      run = stepDone(mergeUpdate(run, outcome.update), step.id, options.now(), outcome.detail)
      await save()
      phase.end('succeeded', outcome.detail)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      run = stepFailed(run, step.id, options.now(), message)
      await save().catch(() => undefined)
      phase.end(isMygateError(error) && error.code === 'TIMEOUT' ? 'timed out' : 'failed', message)
      throw error
    }
  }
  try {
    for (const batch of stepBatches(pending)) {
      // Every step of a batch runs to its end (a database half-moved is worse than one not
      // started); the first failure is then reported.
      const settled = await Promise.allSettled(batch.map((step) => runStep(step)))
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected')
      if (failed) throw failed.reason
    }
  } finally {
    await block.close()
  }
  // The run is copied to the source too when it answers, so it is found from either region.
  if (session.reachable.has(plan.from)) await writeRun(session.client(plan.from), run).catch(() => undefined)
  if (nextStep(run) !== undefined) throw new Error(`failover run ${run.id} ended with steps left`)
  const measures = measureRun(run)
  progress.note(`RTO ${measures.rtoMs === undefined ? 'n/a' : formatDuration(measures.rtoMs)}, total ${measures.totalMs === undefined ? 'n/a' : formatDuration(measures.totalMs)}`)
  return run
}

/**
 * A step's change to the run, merged so parallel steps do not undo each other: the data-loss
 * window is the largest any of them saw.
 */
function mergeUpdate(run: FailoverRun, update: Partial<FailoverRun> | undefined): FailoverRun {
  if (!update) return run
  const window = Math.max(run.dataLossWindowSeconds ?? 0, update.dataLossWindowSeconds ?? 0)
  return {...run, ...update, ...(update.dataLossWindowSeconds === undefined && run.dataLossWindowSeconds === undefined ? {} : {dataLossWindowSeconds: window})}
}

/**
 * The forced run's source is back and fenced: its members rejoin the sets in the run's target,
 * resync, and what they rolled back is recorded on the run in every region that answers.
 */
export async function rejoinAfterForced(session: FailoverSession, initial: FailoverRun, catalog: Catalog, catchUpWaitMs?: number): Promise<{run: FailoverRun; rollbacks: RolledBackWrites[]; behind: string[]}> {
  // The members cannot rejoin through a closed cloud fence: its data paths open first (the cluster
  // fence holds the region now); its entry stays closed until failback.
  const run = await reopenDataPaths(session, initial)
  const {rollbacks, behind} = await rejoinReturningRegion({client: session.client(run.plan.to), returningClient: session.client(run.plan.from), catalog, spec: session.record.spec, active: run.plan.to, returning: run.plan.from, since: run.startedAt, catchUpWaitMs})
  const updated = await recordRollbacks(reachableClients(session).values(), run, rollbacks)
  return {run: updated, rollbacks, behind}
}

function reachableClients(session: FailoverSession): Map<string, KubeApi> {
  return new Map([...session.reachable].map((region) => [region, session.client(region)]))
}

export async function lockEnvironment(session: FailoverSession, environment: string): Promise<HeldEnvironmentLock> {
  const lock = await acquireEnvironmentLock(reachableClients(session), {operation: 'failover', holder: holderIdentity(), environment})
  lock.startRenewing()
  return lock
}

/**
 * A forced failover needs a person to state that the source is gone: the environment's name typed
 * in a terminal, or --confirm NAME without one (MongoDB's manual forbids forcing a reconfiguration
 * unattended). An --override needs the same. A planned switchover follows the confirmation rule
 * (production asks). The drill confirms for the user: nothing real is at risk on the local provider.
 */
async function confirmFailover(options: FailoverOptions, plan: FailoverPlan, tier: string): Promise<void> {
  const strict = plan.mode === 'forced' || plan.overrides.length > 0
  if (strict && options.drill) return
  const what = plan.mode === 'forced' ? `force a failover of ${plan.environment} from ${plan.from} to ${plan.to}` : `switch ${plan.environment} over from ${plan.from} to ${plan.to}`
  const overriding = plan.overrides.length > 0 ? ` skipping ${plan.overrides.join(', ')}` : ''
  if (strict && !options.terminal && options.confirm === undefined) {
    throw new UsageError(`${plan.mode === 'forced' ? 'a forced failover' : `--override ${plan.overrides.join(', ')}`} needs confirmation, and there is no terminal to ask in`, {
      hint: `pass --confirm ${plan.environment} to state that ${plan.mode === 'forced' ? `${plan.from} is gone` : 'the checks may be skipped'}`,
    })
  }
  await confirmOperation(
    {
      environment: plan.environment,
      // A forced failover or an override is treated as production: always the typed name.
      tier: strict ? undefined : tier,
      destructive: strict,
      action: `${what}${overriding}`,
      doing: `${plan.mode === 'forced' ? 'forcing a failover of' : 'switching over'} ${plan.environment}`,
      terminal: options.terminal,
      yes: false,
      confirm: options.confirm,
    },
    options.ask,
  )
}

/**
 * Pending fences first, before anything else: a region lost in a forced failover that answers
 * again is fenced (writers to zero, deny-all), given the current record, and the run that left
 * the fence pending is updated in every region that answers.
 */
export async function applyPendingFences(session: FailoverSession, now: () => Date): Promise<string[]> {
  const {runs} = await collectRuns(reachableClients(session))
  const applied: string[] = []
  for (const run of runs) {
    const pending = run.pendingFence
    if (!pending || !session.reachable.has(pending.region)) continue
    const client = session.client(pending.region)
    await fenceRegion(client, run.id)
    const fresh = session.record
    const stale = await readRecord(client)
    if (!stale || stale.activeRegion !== fresh.activeRegion) await writeRecord(client, {...fresh, updatedAt: now().toISOString()})
    // Its cloud part too, when the cloud could not close it then. Failing again, it stays pending
    // (failback refuses until it is done) while the cluster fence, in place now, holds the region.
    const cloud = await applyPendingCloudFence(session, run, now)
    const updated: FailoverRun = {...cloud.run, pendingFence: cloud.pending === undefined ? undefined : {...pending, cloud: cloud.pending}}
    for (const region of session.reachable) await writeRun(session.client(region), updated)
    applied.push(pending.region)
  }
  return applied
}

export interface StatusResult {
  environment: string
  activeRegion: string
  run?: FailoverRun
  measures?: RunMeasures
  unreachable: string[]
}

export async function failoverStatus(env: string, options: {home?: string} = {}): Promise<StatusResult> {
  const session = await openFailoverSession(env, options)
  try {
    const {runs, unreachable} = await collectRuns(reachableClients(session))
    const run = runs.at(-1)
    const missing = [...session.connection.clients.keys()].filter((r) => !session.reachable.has(r))
    return {environment: env, activeRegion: session.record.activeRegion, ...(run ? {run, measures: measureRun(run)} : {}), unreachable: [...new Set([...missing, ...unreachable])]}
  } finally {
    await session.close()
  }
}

export interface HistoryEntry {
  id: string
  mode: FailoverMode
  from: string
  to: string
  who: string
  reason?: string
  startedAt: string
  outcome: FailoverRun['outcome']
  rtoMs?: number
  totalMs?: number
  dataLossWindowSeconds?: number
  overrides: string[]
  pendingFence?: FailoverRun['pendingFence']
}

export async function failoverHistory(env: string, options: {home?: string} = {}): Promise<{environment: string; runs: HistoryEntry[]}> {
  const session = await openFailoverSession(env, options)
  try {
    const {runs} = await collectRuns(reachableClients(session))
    return {
      environment: env,
      runs: runs.map((run) => {
        const m = measureRun(run)
        return {
          id: run.id,
          mode: run.plan.mode,
          from: run.plan.from,
          to: run.plan.to,
          who: run.who,
          ...(run.reason ? {reason: run.reason} : {}),
          startedAt: run.startedAt,
          outcome: run.outcome,
          ...(m.rtoMs === undefined ? {} : {rtoMs: m.rtoMs}),
          ...(m.totalMs === undefined ? {} : {totalMs: m.totalMs}),
          ...(run.dataLossWindowSeconds === undefined ? {} : {dataLossWindowSeconds: run.dataLossWindowSeconds}),
          overrides: run.plan.overrides,
          ...(run.pendingFence ? {pendingFence: run.pendingFence} : {}),
        }
      }),
    }
  } finally {
    await session.close()
  }
}
