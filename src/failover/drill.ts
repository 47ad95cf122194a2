import type {Catalog} from '../catalog/types.js'
import {OperationFailedError, UsageError} from '../errors.js'
import {injectFaults} from '../local-control/inject-faults.js'
import {createProgress, type ProgressMode} from '../ui/progress.js'
import {type DrillVerdict, judgeDrill, type PhaseMeasure} from './drill-report.js'
import {type FailoverResult, resumeFailover, runFailover} from './execute.js'
import {runFailback} from './failback.js'
import type {FailoverRun, RolledBackWrites} from './run-state.js'
import {openFailoverSession} from './session.js'
import type {StepTuning} from './steps.js'

/**
 * `mygate failover drill` (issue 11 "Drill"): rehearse losing the active region, and measure it.
 *
 * On the local provider nothing real is at risk, so the drill takes the active region down with
 * the region outage fault and confirms the forced failover for the user:
 *   region-down -> forced failover (fence pending) -> region-back -> fence and resync (the pending
 *   fence applied first, old members rejoin, rolled-back writes reported) -> failback (planned)
 * On any other provider a drill is a planned switchover of a real environment: it needs
 * `--confirm NAME`, and is refused without it.
 * Either way each recovery phase's RTO and RPO is judged against every service's targets
 * (drill-report.ts); a missed target fails the drill (exit 7) with the full report in its details.
 */

export interface DrillOptions {
  env: string
  catalog: Catalog
  /** --confirm NAME: required on a non-local provider. */
  confirm?: string
  terminal: boolean
  progress: ProgressMode
  home?: string
  tuning?: StepTuning
  reason?: string
  now?: () => Date
}

export interface DrillStep {
  step: 'region-down' | 'forced-failover' | 'region-back' | 'fence-and-resync' | 'failback' | 'switchover'
  startedAt: string
  durationMs: number
  detail: string
}

export interface DrillResult extends DrillVerdict {
  environment: string
  provider: string
  /** outage: the local drill (region down, forced failover, failback); switchover: a planned one. */
  kind: 'outage' | 'switchover'
  /** The region that was lost (or switched away from) and the one that took over. */
  from: string
  to: string
  steps: DrillStep[]
  /** The failover runs the drill made, in order (see `failover history`). */
  runs: string[]
  phases: Array<Omit<PhaseMeasure, 'rollbacks'>>
  fencesApplied: string[]
  rollbacks: RolledBackWrites[]
}

export async function runDrill(options: DrillOptions): Promise<DrillResult> {
  const now = options.now ?? (() => new Date())
  const session = await openFailoverSession(options.env, {home: options.home})
  const {record} = session
  await session.close()
  if (record.provider !== 'local') return plannedDrill(options, record.provider)
  const from = record.activeRegion
  const progress = createProgress({mode: options.progress})
  const steps: DrillStep[] = []
  const step = async <T>(name: DrillStep['step'], work: () => Promise<T>, describe: (value: T) => string): Promise<T> => {
    const startedAt = now()
    const value = await work()
    const detail = describe(value)
    steps.push({step: name, startedAt: startedAt.toISOString(), durationMs: now().getTime() - startedAt.getTime(), detail})
    progress.note(`drill ${name}: ${detail}`)
    return value
  }
  const common = {env: options.env, catalog: options.catalog, terminal: options.terminal, progress: options.progress, home: options.home, tuning: options.tuning, now}
  let down = false
  try {
    const outageAt = await step('region-down', async () => {
      await injectFaults({env: options.env, regionDown: from}, {home: options.home})
      down = true
      return now()
    }, () => `${from} taken down (region outage fault)`)
    const forced = await step(
      'forced-failover',
      () => runFailover({...common, mode: 'forced', drill: true, confirm: options.env, reason: options.reason ?? `failover drill: ${from} down`}),
      (r) => `${r.plan.from} -> ${r.plan.to}; ${r.run?.pendingFence ? `fence of ${r.run.pendingFence.region} pending` : 'source fenced'}`,
    )
    const forcedRun = forced.run as FailoverRun
    await step('region-back', async () => {
      await injectFaults({env: options.env, regionDown: from, clear: true}, {home: options.home})
      down = false
    }, () => `${from} answers again`)
    const resynced = await step('fence-and-resync', () => resumeFailover({...common}), (r) => `pending fence applied to ${r.fencesApplied.join(', ') || 'none'}; ${(r.rollbacks ?? []).length} members rolled back writes`)
    const back = await step('failback', () => runFailback({...common, confirm: options.env, reason: options.reason ?? 'failover drill: failback'}), (r) => `${r.plan.from} -> ${r.plan.to}`)
    const rollbacks = resynced.rollbacks ?? []
    const verifiedAt = forcedRun.steps.find((s) => s.kind === 'verify-gateway')?.finishedAt
    const phases: PhaseMeasure[] = [
      // The outage's RTO runs from the moment the region went down, not from the failover's start.
      {phase: 'outage', rtoMs: verifiedAt ? Date.parse(verifiedAt) - outageAt.getTime() : Number.POSITIVE_INFINITY, lagSeconds: forcedRun.dataLossWindowSeconds ?? 0, rollbacks},
      phaseOf('failback', back),
    ]
    return finish({environment: options.env, provider: record.provider, kind: 'outage', from, to: forced.plan.to, steps, runs: [forcedRun.id, back.run?.id].filter((id): id is string => id !== undefined), phases, fencesApplied: resynced.fencesApplied, rollbacks}, options.catalog)
  } finally {
    // A drill that failed half-way must not leave the laptop's region down.
    if (down) await injectFaults({env: options.env, regionDown: from, clear: true}, {home: options.home}).catch(() => undefined)
  }
}

/** Any provider but local: a real planned switchover, only with the environment's name typed. */
async function plannedDrill(options: DrillOptions, provider: string): Promise<DrillResult> {
  if (options.confirm === undefined) {
    throw new UsageError(`a drill of "${options.env}" on provider ${provider} is a real planned switchover, and needs confirmation`, {
      hint: `pass --confirm ${options.env} to switch it over to its other region`,
    })
  }
  if (options.confirm !== options.env) throw new UsageError(`--confirm "${options.confirm}" does not match "${options.env}"`, {hint: `type the environment name: --confirm ${options.env}`})
  const started = (options.now ?? (() => new Date()))()
  const result = await runFailover({...options, mode: 'planned', reason: options.reason ?? 'failover drill (planned switchover)'})
  const run = result.run as FailoverRun
  const steps: DrillStep[] = [{step: 'switchover', startedAt: started.toISOString(), durationMs: result.measures?.totalMs ?? 0, detail: `${run.plan.from} -> ${run.plan.to}`}]
  return finish({environment: options.env, provider, kind: 'switchover', from: run.plan.from, to: run.plan.to, steps, runs: [run.id], phases: [phaseOf('switchover', result)], fencesApplied: result.fencesApplied, rollbacks: []}, options.catalog)
}

function phaseOf(phase: string, result: FailoverResult): PhaseMeasure {
  return {phase, rtoMs: result.measures?.rtoMs ?? Number.POSITIVE_INFINITY, lagSeconds: result.run?.dataLossWindowSeconds ?? 0, rollbacks: result.rollbacks ?? []}
}

function finish(partial: Omit<DrillResult, keyof DrillVerdict | 'phases'> & {phases: PhaseMeasure[]}, catalog: Catalog): DrillResult {
  const verdict = judgeDrill(catalog.services, partial.phases)
  const result: DrillResult = {...partial, phases: partial.phases.map(({rollbacks: _r, ...rest}) => rest), ...verdict}
  if (verdict.verdict === 'missed') {
    throw new OperationFailedError(`the drill of ${partial.environment} missed ${verdict.missed.length} target(s): ${verdict.missed[0]}${verdict.missed.length > 1 ? ', ...' : ''}`, {
      hint: 'see the per-service report in the details (--json); `mygate failover history` keeps every run',
      details: {drill: result},
    })
  }
  return result
}
