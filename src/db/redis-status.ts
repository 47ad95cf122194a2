import type {KubeApi} from '../kube/api.js'
import {isMygateError} from '../errors.js'
import {DatabaseOperationError} from './operation-error.js'
import {redisReplicationInfo, type RedisReplicationInfo} from './redis-ops.js'
import type {RedisTopology} from './redis-topology.js'

/**
 * Redis in `mygate db status`: each member's INFO replication (one redis-cli Job per member, all
 * at once, beside the MongoDB status Job), read as one verdict:
 * - healthy: the topology's primary is a master and every replica's link to it is up;
 * - degraded: a replica's link is down (its offset frozen), a member does not answer, or two
 *   members are masters (the replica was promoted and the old primary came back: Redis has no
 *   election, so both take writes until one is made a replica again);
 * - no-primary: no member answering is a master.
 */

export interface RedisMemberView {
  host: string
  region: string
  /** As INFO says (`master`, `slave`), or `unreachable`. */
  role: 'master' | 'slave' | 'unreachable'
  linkStatus?: 'up' | 'down'
  linkDownSinceSeconds?: number
  offset?: number
  /** A replica: how many bytes it is behind the master it follows (when that master answered). */
  lagBytes?: number
  error?: string
}

export interface RedisStatusView {
  service: string
  verdict: 'healthy' | 'degraded' | 'no-primary'
  summary: string
  primary: string | null
  members: RedisMemberView[]
  problems: string[]
}

export type MemberReading = {host: string; region: string} & ({ok: true; info: RedisReplicationInfo} | {ok: false; error: string})

/** Pure: the members' readings as `db status` shows them. */
export function redisView(topology: RedisTopology, readings: MemberReading[]): RedisStatusView {
  const hostName = (host: string) => host.replace(/:\d+$/, '')
  const masters = readings.filter((r): r is Extract<MemberReading, {ok: true}> => r.ok && r.info.role === 'master')
  const problems: string[] = []
  const members = readings.map((reading): RedisMemberView => {
    if (!reading.ok) {
      problems.push(`${reading.host}: unreachable`)
      return {host: reading.host, region: reading.region, role: 'unreachable', error: reading.error}
    }
    const {info} = reading
    const view: RedisMemberView = {host: reading.host, region: reading.region, role: info.role, offset: info.offset}
    if (info.role === 'slave') {
      view.linkStatus = info.linkStatus
      if (info.linkDownSinceSeconds !== undefined) view.linkDownSinceSeconds = info.linkDownSinceSeconds
      const master = masters.find((m) => hostName(m.host) === info.masterHost)
      if (master) view.lagBytes = Math.max(0, master.info.offset - info.offset)
      if (info.linkStatus !== 'up') problems.push(`${reading.host}: link to ${info.masterHost}:${info.masterPort} down${info.linkDownSinceSeconds !== undefined ? ` for ${info.linkDownSinceSeconds}s` : ''}`)
    }
    return view
  })
  if (masters.length > 1) problems.push(`${masters.length} masters (${masters.map((m) => m.host).join(', ')}): make all but one a replica again`)
  const primary = masters.find((m) => m.host === topology.primary.host)?.host ?? masters[0]?.host ?? null
  const verdict = masters.length === 0 ? 'no-primary' : problems.length === 0 ? 'healthy' : 'degraded'
  const summary = verdict === 'healthy' ? `healthy (primary ${primary})` : verdict === 'no-primary' ? `no primary: ${['no master', ...problems].join('; ')}` : `degraded (primary ${primary}): ${problems.join('; ')}`
  return {service: topology.service, verdict, summary, primary, members, problems: verdict === 'no-primary' ? ['no master', ...problems] : problems}
}

/** Reads every member from `client`'s cluster (cross-region members by their cluster-set names). */
export async function redisStatus(client: KubeApi, topology: RedisTopology, options: {image?: string; timeoutMs?: number; onlyRegion?: string} = {}): Promise<RedisStatusView> {
  // Every member is read (a verdict needs the master), the view shows the asked region's only.
  const readings = await Promise.all(
    topology.members.map(async (member): Promise<MemberReading> => {
      try {
        const info = await redisReplicationInfo(client, {host: member.host, image: options.image, timeoutMs: options.timeoutMs ?? 30_000})
        return {host: member.host, region: member.region, ok: true, info}
      } catch (error) {
        if (!(error instanceof DatabaseOperationError) && !(isMygateError(error) && error.code === 'TIMEOUT')) throw error
        return {host: member.host, region: member.region, ok: false, error: (error as Error).message}
      }
    }),
  )
  const view = redisView(topology, readings)
  return {...view, members: view.members.filter((m) => options.onlyRegion === undefined || m.region === options.onlyRegion)}
}
