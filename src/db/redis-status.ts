import type {KubeApi} from '../kube/api.js'
import {isMygateError} from '../errors.js'
import {DatabaseOperationError} from './operation-error.js'
import {redisReplicationInfo, type RedisReplicationInfo} from './redis-ops.js'
import type {RedisTopology} from './redis-topology.js'

/**
 * Redis in `mygate db status`: each member's INFO replication (one redis-cli Job per member, all
 * at once, beside the MongoDB status Job), read as one verdict:
 * - healthy: exactly one member is a master, and every other member is a replica of it (by either
 *   of its names) whose link is up and which heard from it within {@link REDIS_MAX_LAG_SECONDS};
 * - degraded, naming the member: two masters (Redis has no election: after a promotion the old
 *   master keeps taking writes until it is made a replica, src/db/redis-ops.ts), a replica whose
 *   link is down (its offset frozen), one beyond the lag, one following another member than the
 *   master (a demotion left half done), a member that does not answer;
 * - no-primary: no member answering is a master.
 *
 * The lag is Redis' own measure, the seconds since the replica last heard from its master
 * (`master_last_io_seconds_ago`); the bound is the default of `min-replicas-max-lag` (10 s), the
 * lag beyond which Redis itself stops counting a replica as good
 * (https://redis.io/docs/latest/operate/oss_and_stack/management/replication/). The bytes a replica
 * is behind (master offset minus its own, read a moment apart) are shown, not judged.
 */

export const REDIS_MAX_LAG_SECONDS = 10

export interface RedisMemberView {
  host: string
  region: string
  /** As INFO says (`master`, `slave`), or `unreachable`. */
  role: 'master' | 'slave' | 'unreachable'
  /** A replica's master, `host:port`, as it follows it. */
  follows?: string
  linkStatus?: 'up' | 'down'
  linkDownSinceSeconds?: number
  /** A replica: seconds since it last heard from its master. */
  lagSeconds?: number
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
  // A member answers to its cluster-set name and, inside its own cluster, to its headless one.
  const namesOf = (host: string): string[] => {
    const member = topology.members.find((m) => m.host === host)
    return member ? [hostName(member.host), `${member.region}/${hostName(member.localHost)}`] : [hostName(host)]
  }
  const masters = readings.filter((r): r is Extract<MemberReading, {ok: true}> => r.ok && r.info.role === 'master')
  const masterOf = (reading: MemberReading, masterHost: string | undefined) =>
    masters.find((m) => masterHost !== undefined && (namesOf(m.host).includes(masterHost) || namesOf(m.host).includes(`${reading.region}/${masterHost}`)))
  const problems: string[] = []
  const members = readings.map((reading): RedisMemberView => {
    if (!reading.ok) {
      problems.push(`${reading.host}: unreachable`)
      return {host: reading.host, region: reading.region, role: 'unreachable', error: reading.error}
    }
    const {info} = reading
    const view: RedisMemberView = {host: reading.host, region: reading.region, role: info.role, offset: info.offset}
    if (info.role !== 'slave') return view
    const follows = `${info.masterHost}:${info.masterPort}`
    view.follows = follows
    view.linkStatus = info.linkStatus
    if (info.linkDownSinceSeconds !== undefined) view.linkDownSinceSeconds = info.linkDownSinceSeconds
    const master = masterOf(reading, info.masterHost)
    if (master) view.lagBytes = Math.max(0, master.info.offset - info.offset)
    if (info.linkStatus !== 'up') {
      problems.push(`${reading.host}: link to ${follows} down${info.linkDownSinceSeconds !== undefined ? ` for ${info.linkDownSinceSeconds}s` : ''}`)
      return view
    }
    if (info.lastIoSecondsAgo !== undefined && info.lastIoSecondsAgo >= 0) view.lagSeconds = info.lastIoSecondsAgo
    if (masters.length > 0 && !master) problems.push(`${reading.host}: follows ${follows}, not the master (${masters.map((m) => m.host).join(', ')})`)
    else if (view.lagSeconds !== undefined && view.lagSeconds > REDIS_MAX_LAG_SECONDS) problems.push(`${reading.host}: ${view.lagSeconds}s since it heard from its master (more than ${REDIS_MAX_LAG_SECONDS}s)`)
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
