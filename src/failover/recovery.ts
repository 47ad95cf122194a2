import type {Catalog, ServiceDescriptor} from '../catalog/types.js'
import type {EnvironmentSpec} from '../config/types.js'
import {parseDuration} from '../duration.js'
import type {KubeApi} from '../kube/api.js'
import {demoteRedisRegion, type RedisRegionAlignment} from '../db/redis-ops.js'
import {redisTopology} from '../db/redis-topology.js'
import {bestCandidate} from './checks.js'
import {readStatus, rejoinRegion} from './database-moves.js'
import {regionOfHost, topologyWithActive} from './replica-moves.js'
import type {FailoverRun, RolledBackWrites} from './run-state.js'
import {writeRun} from './run-store.js'

/**
 * A region lost in a forced failover, once it answers again and is fenced (execute.ts
 * applyPendingFences): its database members are added back to the sets the survivors formed, and
 * they resync. Members that took writes the survivors never saw roll them back as they rejoin;
 * MongoDB keeps those documents in the member's rollback directory and mygate reports them (and
 * records them on the run), because billing's may be payments. Failback and the drill run this
 * before their planned switchover, whose database-lag check then refuses any database still
 * behind its RPO.
 */

export interface RejoinInput {
  /** The active region's cluster: where the database Jobs run. */
  client: KubeApi
  catalog: Catalog
  spec: Pick<EnvironmentSpec, 'tier' | 'regions'>
  /** The region that serves now (the forced failover's target). */
  active: string
  /** The region coming back. */
  returning: string
  /** The returning region's cluster: its Redis is demoted there (src/db/redis-ops.ts). */
  returningClient?: KubeApi
  /** Only rollbacks from this moment on (ISO): the member's log keeps those of earlier drills too. */
  since?: string
  /** Longest wait for the returning members to catch up within every RPO (default 60 s). */
  catchUpWaitMs?: number
  pollMs?: number
}

export interface RejoinOutcome {
  rollbacks: RolledBackWrites[]
  /** Databases whose returning members were still beyond their RPO when the wait ended. */
  behind: string[]
  /** The returning region's Redis, now following the active master (absent without Redis or `returningClient`). */
  redis?: RedisRegionAlignment
}

export async function rejoinReturningRegion(input: RejoinInput): Promise<RejoinOutcome> {
  // Redis has no election: the returning region's members are still masters of their own. They
  // follow the active master now, right after the fence and before anything could serve from them.
  const redis = input.catalog.services.find((s) => s.kind === 'redis')
  const redisAlignment = redis && input.returningClient ? await demoteRedisRegion(input.returningClient, {topology: redisTopology(redis, input.spec, input.active), region: input.returning}) : undefined
  const databases = input.catalog.services.filter((s) => s.kind === 'mongodb')
  await Promise.all(databases.map((database) => rejoinRegion({client: input.client, database, spec: input.spec}, input.active)))
  const behind = await waitCaughtUp(input, databases)
  // A member rolls back as it rejoins, before it is SECONDARY again: read the summaries once every
  // database has caught up (or the wait is over), not right after the reconfig.
  const found = await Promise.all(
    databases.map(async (database) => {
      const status = await readStatus({client: input.client, database, spec: input.spec})
      return (status.rollbacks ?? []).filter((r) => input.since === undefined || r.at >= input.since).map((r) => ({database: database.name, member: r.member, entries: r.entries, namespaces: r.namespaces, at: r.at, dataDirectory: r.dataDirectory, commonPoint: r.commonPoint, lastRolledBack: r.lastRolledBack}))
    }),
  )
  return {rollbacks: found.flat(), behind, ...(redisAlignment ? {redis: redisAlignment} : {})}
}

/** Records what the rejoin rolled back on the run, in every region given. */
export async function recordRollbacks(clients: Iterable<KubeApi>, run: FailoverRun, rollbacks: readonly RolledBackWrites[]): Promise<FailoverRun> {
  const known = new Set((run.rollbacks ?? []).map(rollbackKey))
  const merged = [...(run.rollbacks ?? []), ...rollbacks.filter((r) => !known.has(rollbackKey(r)))]
  const updated: FailoverRun = {...run, rollbacks: merged}
  for (const client of clients) await writeRun(client, updated)
  return updated
}

function rollbackKey(r: RolledBackWrites): string {
  return `${r.database}/${r.member}/${r.at ?? ''}/${r.entries}`
}

/** The databases whose best member in `returning` is not yet within the RPO, after waiting up to the limit. */
async function waitCaughtUp(input: RejoinInput, databases: readonly ServiceDescriptor[]): Promise<string[]> {
  const until = Date.now() + (input.catchUpWaitMs ?? 60_000)
  for (;;) {
    const lagging = await Promise.all(
      databases.map(async (database) => {
        const status = await readStatus({client: input.client, database, spec: input.spec}, 15_000).catch(() => undefined)
        const topology = topologyWithActive(database, input.spec, input.returning)
        const candidate = status ? bestCandidate(status.members ?? [], (host) => regionOfHost(topology, host) === input.returning) : undefined
        const lag = candidate?.lagSeconds
        return lag === undefined || lag === null || lag * 1000 > parseDuration(database.criticality.rpo) ? database.name : undefined
      }),
    )
    const behind = lagging.filter((name): name is string => name !== undefined)
    if (behind.length === 0 || Date.now() >= until) return behind
    await new Promise((resolve) => setTimeout(resolve, input.pollMs ?? 1000))
  }
}
