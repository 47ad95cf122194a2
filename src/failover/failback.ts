import {ConflictError, NotFoundError} from '../errors.js'
import type {KubeApi} from '../kube/api.js'
import {bestCandidate} from './checks.js'
import {readStatus, rejoinRegion} from './database-moves.js'
import {applyPendingFences, type FailoverOptions, type FailoverResult, runFailover} from './execute.js'
import {regionOfHost, topologyWithActive} from './replica-moves.js'
import {collectRuns, writeRun} from './run-store.js'
import {openFailoverSession} from './session.js'
import {parseDuration} from '../duration.js'

/**
 * `mygate failback`: back to the region the last failover left. Refused while that region is not
 * fenced (a forced failover's fence still pending: it has not answered since) or the last run is
 * unfinished. After a forced failover the old members are REMOVED from the set: they are added
 * back first (a reconfig from the survivors; MongoDB rolls back the writes they took that the
 * survivors never saw, and those are reported), then the planned switchover runs, whose
 * database-lag check refuses until every database has caught up within its RPO.
 */

export interface FailbackResult extends FailoverResult {
  /** Writes MongoDB rolled back when the old members rejoined, per database (billing's may be payments). */
  rollbacks: Array<{database: string; member: string; entries: number; namespaces: string[]}>
}

export async function runFailback(options: Omit<FailoverOptions, 'mode' | 'to'> & {catchUpWaitMs?: number}): Promise<FailbackResult> {
  const now = options.now ?? (() => new Date())
  const session = await openFailoverSession(options.env, {home: options.home})
  let back: string
  const rollbacks: FailbackResult['rollbacks'] = []
  try {
    await applyPendingFences(session, now)
    const clients = new Map<string, KubeApi>([...session.reachable].map((r) => [r, session.client(r)]))
    const {runs} = await collectRuns(clients)
    const last = runs.at(-1)
    if (!last) throw new NotFoundError(`${options.env} has no failover to fail back from`, {hint: `see \`mygate failover history --env ${options.env}\``})
    if (last.outcome !== 'succeeded') throw new ConflictError(`the last failover of ${options.env} (${last.id}) is unfinished`, {hint: `finish it with \`mygate failover resume --env ${options.env}\``})
    back = last.plan.from
    if (session.record.activeRegion === back) throw new ConflictError(`${options.env} already serves from ${back}`, {hint: 'there is nothing to fail back'})
    if (last.pendingFence || !session.reachable.has(back)) {
      throw new ConflictError(`failback of ${options.env} refused: ${back} is not fenced yet (it does not answer)`, {
        hint: `the fence is applied first when ${back} answers again; then run \`mygate failback --env ${options.env}\``,
      })
    }
    if (last.plan.mode === 'forced' && !options.dryRun) {
      const target = session.client(last.plan.to)
      const databases = options.catalog.services.filter((s) => s.kind === 'mongodb')
      for (const database of databases) {
        const found = await rejoinRegion({client: target, database, spec: session.record.spec}, last.plan.to)
        rollbacks.push(...found)
      }
      await waitCaughtUp(target, databases, session.record.spec, back, options.catchUpWaitMs ?? 60_000)
      if (rollbacks.length > 0) await writeRun(target, {...last, rollbacks})
    }
  } finally {
    await session.close()
  }
  const result = await runFailover({...options, mode: 'planned', to: back})
  return {...result, rollbacks}
}

/** Until every database has an electable member in `region` within its RPO, or the time is up (the check then names the laggards). */
async function waitCaughtUp(client: KubeApi, databases: Parameters<typeof readStatus>[0]['database'][], spec: Parameters<typeof readStatus>[0]['spec'], region: string, waitMs: number): Promise<void> {
  const until = Date.now() + waitMs
  for (;;) {
    let behind = 0
    for (const database of databases) {
      const status = await readStatus({client, database, spec}, 15_000).catch(() => undefined)
      const topology = topologyWithActive(database, spec, region)
      const candidate = status ? bestCandidate(status.members ?? [], (host) => regionOfHost(topology, host) === region) : undefined
      const lag = candidate?.lagSeconds
      if (lag === undefined || lag === null || lag * 1000 > parseDuration(database.criticality.rpo)) behind++
    }
    if (behind === 0 || Date.now() >= until) return
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }
}
