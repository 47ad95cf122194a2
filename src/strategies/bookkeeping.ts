import {BookkeepingError, isMygateError} from '../errors.js'
import {auditEntryOf, recordAudit, type AuditOutcome} from '../audit/audit-log.js'
import {recordDeployedVersion} from '../deploy/record-deployed-version.js'
import type {KubeApi} from '../kube/api.js'
import type {RolloutState} from '../rollout/state.js'

/**
 * What a rollout leaves behind once it has ended or stopped: its audit entry's outcome and, for a
 * finished rollout, the version the environment record says the service runs. These writes come
 * after the work (traffic already moved): when they fail after the API layer's retries, the
 * rollout's outcome stands and the failure is reported as such (BookkeepingError, exit 8), never
 * as a failed rollout. Each write is idempotent (the audit entry is replaced by rollout id, the
 * version set to a value), so `mygate rollout resume` can write them again.
 */

/** One record that could not be written, and why. */
export interface UnwrittenRecord {
  record: 'audit entry' | 'deployed version' | 'deploy lease release'
  error: string
}

/** The version serving all traffic once the rollout ended, when it ended. */
export function liveVersionOf(state: RolloutState): string | undefined {
  if (state.phase === 'Succeeded') return state.toVersion
  if (state.phase === 'RolledBack' || state.phase === 'Aborted') return state.fromVersion
  return undefined
}

/** Writes the outcome records; returns those that could not be written (errors other than the API's propagate: they are bugs). */
export async function recordOutcome(clients: {client: KubeApi; allClients: KubeApi[]}, state: RolloutState, outcome: AuditOutcome): Promise<UnwrittenRecord[]> {
  const unwritten: UnwrittenRecord[] = []
  const attempt = async (record: UnwrittenRecord['record'], write: () => Promise<void>) => {
    try {
      await write()
    } catch (error) {
      if (!isMygateError(error)) throw error
      unwritten.push({record, error: error.message})
    }
  }
  await attempt('audit entry', () => recordAudit(clients.client, auditEntryOf(state, outcome, state.rollback?.reason)))
  const live = liveVersionOf(state)
  if (live !== undefined) await attempt('deployed version', () => recordDeployedVersion(clients.allClients, state.service, live))
  return unwritten
}

/** What was done, as the first words of the bookkeeping line: "deployed visitors 3.8.1". */
export function describeDone(state: RolloutState): string {
  switch (state.phase) {
    case 'Succeeded':
      return `deployed ${state.service} ${state.toVersion}`
    case 'RolledBack':
      return `rolled ${state.service} back to ${state.fromVersion ?? '(none)'}`
    case 'Aborted':
      return `aborted ${state.service} ${state.toVersion}: ${state.fromVersion ?? '(none)'} serves all traffic`
    case 'Failed':
      return `${state.service} ${state.toVersion} failed`
    default:
      return `${state.service} ${state.toVersion} is ${state.phase.toLowerCase()} at step ${state.currentStepIndex + 1}/${state.plan.length}`
  }
}

/**
 * "deployed visitors 3.8.1; could not record it: audit entry: <why>", with the command that
 * writes the records again. `details` carries what the command would have returned.
 */
export function bookkeepingError(state: RolloutState, environment: string, unwritten: UnwrittenRecord[], details: Record<string, unknown>): BookkeepingError {
  const why = unwritten.map((u) => `${u.record}: ${u.error}`).join('; ')
  const onlyLease = unwritten.every((u) => u.record === 'deploy lease release')
  return new BookkeepingError(`${describeDone(state)}; could not record it: ${why}`, {
    hint: onlyLease
      ? `the lease expires by itself; \`mygate rollout status ${state.service} --env ${environment}\` shows the outcome`
      : `run \`mygate rollout resume ${state.service} --env ${environment}\` to write the records again`,
    details: {...details, unwritten},
  })
}
