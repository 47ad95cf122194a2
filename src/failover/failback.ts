import {ConflictError, NotFoundError} from '../errors.js'
import {applyPendingFences, type FailoverOptions, type FailoverResult, lockEnvironment, rejoinAfterForced, runFailover} from './execute.js'
import type {RolledBackWrites} from './run-state.js'
import {collectRuns} from './run-store.js'
import {openFailoverSession} from './session.js'
import type {KubeApi} from '../kube/api.js'

/**
 * `mygate failback`: back to the region the last failover left. Refused while that region is not
 * fenced (a forced failover's fence still pending: it has not answered since), while the last run
 * is unfinished, and while its databases have not caught up. After a forced failover the old
 * members are REMOVED from the set: they are added back first (recovery.ts; MongoDB rolls back
 * the writes they took that the survivors never saw, and those are reported), then the planned
 * switchover runs, whose database-lag check refuses any database still beyond its RPO.
 */

export interface FailbackResult extends FailoverResult {
  /** Writes MongoDB rolled back when the old members rejoined, per database (billing's may be payments). */
  rollbacks: RolledBackWrites[]
}

export async function runFailback(options: Omit<FailoverOptions, 'mode' | 'to'> & {catchUpWaitMs?: number}): Promise<FailbackResult> {
  const now = options.now ?? (() => new Date())
  const session = await openFailoverSession(options.env, {home: options.home, cloud: options.cloud})
  let back: string
  let rollbacks: RolledBackWrites[] = []
  try {
    await applyPendingFences(session, now)
    const clients = new Map<string, KubeApi>([...session.reachable].map((r) => [r, session.client(r)]))
    const {runs} = await collectRuns(clients)
    const last = runs.at(-1)
    if (!last) throw new NotFoundError(`${options.env} has no failover to fail back from`, {hint: `see \`mygate failover history --env ${options.env}\``})
    if (last.outcome !== 'succeeded') throw new ConflictError(`the last failover of ${options.env} (${last.id}) is unfinished`, {hint: `finish it with \`mygate failover resume --env ${options.env}\``})
    back = last.plan.from
    if (session.record.activeRegion === back) throw new ConflictError(`${options.env} already serves from ${back}`, {hint: 'there is nothing to fail back'})
    if (last.pendingFence?.cloud !== undefined && session.reachable.has(back)) {
      throw new ConflictError(`failback of ${options.env} refused: the cloud fence of ${back} is still pending (${last.pendingFence.cloud})`, {
        hint: `it is applied again by \`mygate failover resume --env ${options.env}\` once the cloud API answers; then run \`mygate failback --env ${options.env}\``,
      })
    }
    if (last.pendingFence || !session.reachable.has(back)) {
      throw new ConflictError(`failback of ${options.env} refused: ${back} is not fenced yet (it does not answer)`, {
        hint: `the fence is applied first when ${back} answers again; then run \`mygate failback --env ${options.env}\``,
      })
    }
    if (last.plan.mode === 'forced' && !options.dryRun) {
      const lock = await lockEnvironment(session, options.env)
      try {
        const rejoined = await rejoinAfterForced(session, last, options.catalog, options.catchUpWaitMs ?? options.tuning?.catchUpWaitMs)
        rollbacks = rejoined.rollbacks
        if (rejoined.behind.length > 0) {
          throw new ConflictError(`failback of ${options.env} refused: ${back} has not caught up yet (${rejoined.behind.join(', ')} beyond their RPO)`, {
            hint: `wait for its members to resync (\`mygate db status --env ${options.env}\`), then run \`mygate failback --env ${options.env}\` again`,
          })
        }
      } finally {
        await lock.release()
      }
    }
  } finally {
    await session.close()
  }
  const result = await runFailover({...options, mode: 'planned', to: back})
  return {...result, rollbacks}
}
