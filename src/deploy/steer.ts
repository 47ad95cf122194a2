import {BookkeepingError, UsageError} from '../errors.js'
import {bookkeepingError, recordOutcome} from '../strategies/bookkeeping.js'
import {summarizeRollout} from '../rollout/summary.js'
import {applyEvent, noRolloutInProgressMessage, type RolloutEvent} from '../rollout/state-machine.js'
import {isInProgress, isTerminal, type RolloutPhase, type RolloutState} from '../rollout/state.js'
import {readAudit, type AuditEntry} from '../audit/audit-log.js'
import {openEnvironment} from './open-environment.js'
import {currentOperator, holderIdentity} from '../audit/identity.js'
import {liveHolder} from '../locks/lease.js'
import {statusFrom, type RolloutStatus} from './rollout-status.js'
import {auditOutcomeOf, driveRollout, resultOf, type EnvironmentContext, type ServiceDeployResult} from '../strategies/run-service.js'
import {readRollout, requireRollout, updateRollout, watchRollout, type StoredRollout} from '../strategies/rollout-store.js'
import {rolloutPhase} from '../strategies/rollout-progress.js'
import type {Progress} from '../ui/progress.js'

/** Phases in which an abort's intent (traffic back on the previous version) holds already. */
const ABORT_HOLDS_PHASES: readonly RolloutPhase[] = ['RollingBack', 'Aborted', 'RolledBack']

/**
 * `mygate rollout status|promote|abort|undo|resume|history`: each steering command writes its
 * event into the rollout record (optimistic concurrency), then either lets the CLI that is driving
 * the rollout carry it out (it holds a live lease and watches the record) or, when nobody is,
 * drives the rollout itself until it finishes (or pauses, with --no-wait).
 */

export type {RolloutStatus} from './rollout-status.js'

async function withEnvironment<T>(environment: string, run: (env: EnvironmentContext) => Promise<T>): Promise<T> {
  const {context, connection} = await openEnvironment(environment)
  try {
    return await run(context)
  } finally {
    connection.close()
  }
}

async function statusOf(env: EnvironmentContext, stored: StoredRollout): Promise<RolloutStatus> {
  const drivenBy = isTerminal(stored.state) ? undefined : await liveHolder(env.client, stored.state.service)
  return statusFrom(stored, env.name, drivenBy)
}

export async function watchRolloutStatus(
  service: string,
  environment: string,
  onUpdate: (status: RolloutStatus) => void,
): Promise<RolloutStatus> {
  return withEnvironment(environment, async (env) => {
    const first = await requireRollout(env.client, service, environment)
    const status = await statusOf(env, first)
    onUpdate(status)
    const last = await followRecord(env, first, isTerminal, (seen) => onUpdate({...status, state: seen.state, lines: summarizeRollout(seen.state)}))
    return {...status, state: last.state, lines: summarizeRollout(last.state), drivenBy: undefined}
  })
}

export interface SteerResult {
  service: string
  environment: string
  /** What was asked. */
  action: 'promote' | 'abort' | 'undo' | 'resume'
  /** Where the rollout stands after the command. */
  result: ServiceDeployResult
  /** Set when another CLI drives the rollout: it carries the event out. */
  drivenBy?: string
}

export interface SteerOptions {
  service: string
  environment: string
  wait: boolean
  full?: boolean
  /** Progress (stderr): the notes of the request, then the rollout's phase when this command drives it. */
  progress: Progress
}

/** Applies a steering event, then drives the rollout unless another live CLI is driving it. */
export async function steerRollout(action: SteerResult['action'], options: SteerOptions): Promise<SteerResult> {
  const {service, environment, progress} = options
  return withEnvironment(environment, async (env) => {
    const operator = currentOperator()
    const by = `${operator.user}@${operator.host}`
    const existing = await readRollout(env.client, service)
    if (existing === undefined) {
      if (action === 'undo') {
        throw new UsageError(`${service} has no previous revision in ${environment} to undo to: it was never deployed by mygate there`, {
          hint: `deploy a version with \`mygate deploy ${service} --env ${environment} --version V\``,
        })
      }
      throw new UsageError(noRolloutInProgressMessage(undefined, service, environment), {
        hint: `start one with \`mygate deploy ${service} --env ${environment} --version V\``,
      })
    }
    // A rollout that ended but whose records could not be written (exit 8): resume writes them.
    if (action === 'resume' && isTerminal(existing.state)) {
      const unwritten = await recordOutcome(env, existing.state, auditOutcomeOf(existing.state))
      const result = resultOf(existing, [], 'done')
      if (unwritten.length > 0) throw bookkeepingError(existing.state, environment, unwritten, {result: {service, environment, action, result}})
      progress.note(`resume: ${service} ${existing.state.phase}; its audit entry and deployed version are recorded`)
      return {service, environment, action, result}
    }
    const event: RolloutEvent =
      action === 'promote'
        ? {type: 'promoteRequested', full: options.full, by}
        : action === 'abort'
          ? {type: 'abortRequested', by}
          : action === 'undo'
            ? {type: 'undoRequested', by}
            : {type: 'resumeRequested', by}
    // Steering errors (nothing in progress, no previous revision) are UsageErrors from applyEvent.
    // An abort of a rollout that was in progress when read, re-applied after a 409 to a record
    // that another writer (the driving deploy, its analysis) has meanwhile sent back or ended:
    // what the abort asked for holds, so nothing is written and the command says who ended it.
    const abortHolds = (fresh: StoredRollout): boolean =>
      action === 'abort' && fresh !== existing && isInProgress(existing.state) && fresh.state.id === existing.state.id && ABORT_HOLDS_PHASES.includes(fresh.state.phase)
    const stored = await updateRollout(env.client, existing, (fresh) => (abortHolds(fresh) ? undefined : applyEvent(fresh.state, event, Date.now())))
    const endedByOther = action === 'abort' && stored.state.rollback !== undefined && stored.state.rollback.cause !== 'abort'
    progress.note(
      endedByOther
        ? `abort: ${service} was already ${stored.state.phase === 'RollingBack' ? 'rolling back' : stored.state.phase} (${stored.state.rollback?.cause}: ${stored.state.rollback?.reason})`
        : `${action}: ${stored.state.message}`,
    )

    const holder = await liveHolder(env.client, service)
    if (holder !== undefined && holder !== holderIdentity(operator)) {
      progress.note(`${holder} is driving this rollout and carries out the ${action}`)
      const last = options.wait ? await followUntilSettled(env, stored) : stored
      return {service, environment, action, result: resultOf(last, [], isTerminal(last.state) ? 'done' : 'paused'), drivenBy: holder}
    }
    if (isTerminal(stored.state)) return {service, environment, action, result: resultOf(stored, [], 'done')}
    const block = progress.block([rolloutPhase(stored.state)])
    try {
      const result = await driveRollout({env, stored, wait: options.wait, progress: block.phases[0], reducesRisk: action === 'abort'})
      return {service, environment, action, result}
    } catch (error) {
      // Records missing after the rollout ended: carry this command's result, not the rollout's alone.
      if (error instanceof BookkeepingError && error.details?.result !== undefined) {
        throw new BookkeepingError(error.message, {hint: error.hint, details: {...error.details, result: {service, environment, action, result: error.details.result}}})
      }
      throw error
    } finally {
      await block.close()
    }
  })
}

/** Waits (watching the record) until the rollout finishes or pauses for a person. */
async function followUntilSettled(env: EnvironmentContext, from: StoredRollout): Promise<StoredRollout> {
  return followRecord(env, from, (state) => isTerminal(state) || state.phase === 'Paused')
}

/** Watches the record from `from` until `stop(state)` holds (or the record is deleted). */
async function followRecord(env: EnvironmentContext, from: StoredRollout, stop: (state: RolloutState) => boolean, onSeen?: (stored: StoredRollout) => void): Promise<StoredRollout> {
  let last = from
  if (stop(from.state)) return from
  let finished = false
  let handle: {stop(): void} | undefined
  await new Promise<void>((resolve) => {
    const done = () => {
      finished = true
      handle?.stop()
      resolve()
    }
    void watchRollout(env.client, from.state.service, from.resourceVersion, (seen) => {
      if (seen === undefined) return done()
      last = seen
      onSeen?.(seen)
      if (stop(seen.state)) done()
    }).then((h) => {
      handle = h
      if (finished) h.stop()
      // A watch that could not be kept open ends the wait too; the last record seen stands.
      void h.done.then(done, done)
    }, done)
  })
  return last
}

export interface HistoryResult {
  service: string
  environment: string
  entries: AuditEntry[]
  current?: RolloutState
}

export async function rolloutHistory(service: string, environment: string): Promise<HistoryResult> {
  return withEnvironment(environment, async (env) => {
    const [entries, current] = await Promise.all([readAudit(env.client, service), readRollout(env.client, service)])
    return {service, environment, entries, current: current?.state}
  })
}
