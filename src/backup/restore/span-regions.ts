import {setTimeout as sleep} from 'node:timers/promises'

import {replicaSetConnection} from '../../db/connection.js'
import {inShape} from '../../db/form-replica-sets.js'
import {DatabaseOperationError} from '../../db/operation-error.js'
import type {MemberStatus, StatusResult} from '../../db/operations.js'
import {runDatabaseOperation} from '../../db/run-operation.js'
import {membersIn, type ReplicaSetTopology} from '../../db/topology.js'
import {TimeoutError} from '../../errors.js'
import type {KubeApi} from '../../kube/api.js'

/**
 * A restored set across two regions is elected and restored in the active region first (its
 * members there are the whole config, so mongorestore writes where the service will), and only
 * then given the other region's members, which copy the data by initial sync, as `env create`
 * grows the live set (src/db/form-replica-sets.ts: initiate in the primary region, reconfigure
 * with every member). The reconfigure script adds one voter per config version and waits for each
 * to commit (MongoDB 4.4+ allows one voting change at a time:
 * https://www.mongodb.com/docs/manual/reference/method/rs.reconfig/#reconfiguration-can-add-or-remove-no-more-than-one-voting-member-at-a-time).
 *
 * Done when the config is the topology's (hosts, priorities, votes) and every member is PRIMARY
 * or SECONDARY: a member in STARTUP2 is still copying and could neither serve the standby region
 * nor be elected after a failover. Idempotent: a set already in shape costs one status Job.
 */
export interface SpanRegionsOptions {
  /** The active region's cluster: the Jobs run there. */
  client: KubeApi
  topology: ReplicaSetTopology
  image: string
  namespace: string
  deadline: number
  pollMs?: number
  onProgress?: (line: string) => void
}

const SERVING = new Set(['PRIMARY', 'SECONDARY'])

/** Members not yet serving (an initial sync under way, or not in the config yet). */
export function membersNotServing(status: Pick<StatusResult, 'members'>, topology: ReplicaSetTopology): string[] {
  const byHost = new Map<string, MemberStatus>((status.members ?? []).map((m) => [m.host, m]))
  return topology.members.filter((want) => !SERVING.has(String(byHost.get(want.host)?.state ?? 'absent'))).map((m) => `${m.host} (${byHost.get(m.host)?.state ?? 'not in the config'})`)
}

export async function spanRegions(options: SpanRegionsOptions): Promise<StatusResult> {
  const {client, topology, image, namespace} = options
  const set = topology.set
  const left = () => Math.max(1000, options.deadline - Date.now())
  const active = membersIn(topology, topology.primaryRegion).map((m) => m.host)
  const everyone = topology.members.map((m) => m.host)
  const status = () => retrying(options, async () => (await runDatabaseOperation(client, {database: set, op: 'status', params: {}, connection: replicaSetConnection(set, everyone, {readPreference: 'primaryPreferred'}), image, namespace, timeoutMs: left()})).result)
  let current = await status()
  if (!inShape(current, topology)) {
    const members = topology.members.map((m) => ({host: m.host, priority: m.priority, votes: m.votes}))
    const outcome = await retrying(options, () =>
      runDatabaseOperation(client, {database: set, op: 'reconfigure', params: {members, timeoutSeconds: Math.max(10, Math.floor(left() / 1000) - 5)}, connection: replicaSetConnection(set, active), image, namespace, timeoutMs: left()}),
    )
    options.onProgress?.(`${set}: ${topology.members.length - active.length} member(s) of the other region added (${outcome.result.steps.length} config step(s))`)
    current = await status()
  }
  for (;;) {
    const waiting = membersNotServing(current, topology)
    if (waiting.length === 0 && inShape(current, topology)) return current
    if (Date.now() > options.deadline) {
      throw new TimeoutError(`${set} did not reach every region: ${waiting.join(', ') || 'its config is not the topology yet'}`, {
        hint: 're-run the restore (it resumes here), or remove the set with --abandon',
      })
    }
    await sleep(options.pollMs ?? 500)
    current = await status()
  }
}

/** Database errors while members start (connection refused, no primary yet) are retried until the deadline. */
async function retrying<T>(options: Pick<SpanRegionsOptions, 'deadline' | 'pollMs'>, attempt: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await attempt()
    } catch (error) {
      if (!(error instanceof DatabaseOperationError) || error.reason !== undefined || Date.now() > options.deadline) throw error
      await sleep(options.pollMs ?? 500)
    }
  }
}
