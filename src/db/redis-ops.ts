import {NAMESPACES} from '../config/types.js'
import {ExternalError} from '../errors.js'
import type {KubeApi} from '../kube/api.js'
import type {KubeObject} from '../kube/types.js'
import type {RedisOp} from './operations.js'
import {renderOpsTemplate} from './ops-templates.js'
import {redisReplicationConfigMapName} from './redis-replication.js'
import {PRIMARY_ORDINAL, redisRoleData, type RedisTopology, splitHost} from './redis-topology.js'
import {ANNOTATION_STARTED, COMPONENT_DB_OPS, LABEL_COMPONENT, LABEL_DATABASE, LABEL_OP, operationJobName, runOperationJob} from './run-operation.js'

/**
 * Redis operations, run like every database operation: a Job (templates/redis/ops/cli-job.yaml)
 * running `redis-cli -h HOST -p PORT COMMAND`, the password from the generated Secret through
 * REDISCLI_AUTH, the reply read from the pod's log. No driver in the CLI, no exec, no port-forward.
 *
 * - {@link parseReplicationInfo} (pure): INFO replication's text (https://redis.io/docs/latest/commands/info/) as data.
 * - {@link redisReplicationInfo}: one member's INFO replication.
 * - {@link planRedisRole} (pure) and {@link alignRedisRegion}: every live member of a region takes
 *   the role the topology gives it (the active region's ordinal 0 a master, every other member a
 *   replica of it: `REPLICAOF HOST PORT`), read first, and the region's role ConfigMap is updated
 *   so a restarted pod keeps it; {@link demoteRedisRegion} / {@link promoteRedisRegion} name the
 *   two uses in a failover, and {@link switchRedisMaster} orders them.
 */

export interface RedisReplicationInfo {
  role: 'master' | 'slave'
  /** A replica's master (`host`, `port`) and link. */
  masterHost?: string
  masterPort?: number
  linkStatus?: 'up' | 'down'
  linkDownSinceSeconds?: number
  /** A replica: seconds since it last heard from its master (master_last_io_seconds_ago; -1 with the link down). */
  lastIoSecondsAgo?: number
  /** master_repl_offset (a master) or slave_repl_offset (a replica). */
  offset: number
  replid: string
  connectedReplicas: number
}

export interface RedisOpsOptions {
  /** The member, `host:port`. */
  host: string
  /** The redis image (default `redis:7.2`): the same redis-cli as the server. */
  image?: string
  /** The Secret and key holding the password (default `redis-auth` / `password`, the generated one). */
  secret?: {name: string; key: string}
  timeoutMs?: number
  namespace?: string
  templatesDir?: string
}

export const DEFAULT_REDIS_IMAGE = 'redis:7.2'
export const DEFAULT_REDIS_SECRET = {name: 'redis-auth', key: 'password'}

/** Pure: INFO replication's `field:value` lines (CRLF or LF) as data; undefined when it is not INFO output. */
export function parseReplicationInfo(text: string): RedisReplicationInfo | undefined {
  const fields = new Map<string, string>()
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const at = line.indexOf(':')
    if (at > 0) fields.set(line.slice(0, at), line.slice(at + 1))
  }
  const role = fields.get('role')
  if (role !== 'master' && role !== 'slave') return undefined
  const number = (name: string) => (fields.has(name) ? Number(fields.get(name)) : undefined)
  const link = fields.get('master_link_status')
  const info: RedisReplicationInfo = {
    role,
    offset: (role === 'slave' ? number('slave_repl_offset') : number('master_repl_offset')) ?? 0,
    replid: fields.get('master_replid') ?? '',
    connectedReplicas: number('connected_slaves') ?? 0,
  }
  if (role === 'slave') {
    if (fields.has('master_host')) info.masterHost = fields.get('master_host')
    if (fields.has('master_port')) info.masterPort = number('master_port')
    if (link === 'up' || link === 'down') info.linkStatus = link
    if (fields.has('master_link_down_since_seconds')) info.linkDownSinceSeconds = number('master_link_down_since_seconds')
    if (fields.has('master_last_io_seconds_ago')) info.lastIoSecondsAgo = number('master_last_io_seconds_ago')
  }
  return info
}

/** The Job for one redis-cli command (pure apart from reading the template). */
export async function renderRedisCliJob(name: string, op: RedisOp, command: string[], options: RedisOpsOptions): Promise<KubeObject> {
  const [host, port] = splitHost(options.host)
  const timeoutSeconds = Math.ceil((options.timeoutMs ?? 30_000) / 1000)
  return renderOpsTemplate(
    'cli-job.yaml',
    {
      job: {
        name,
        labels: {[LABEL_COMPONENT]: COMPONENT_DB_OPS, [LABEL_DATABASE]: 'redis', [LABEL_OP]: op, 'app.kubernetes.io/managed-by': 'mygate', 'app.kubernetes.io/part-of': 'mygate'},
        podLabels: {[LABEL_COMPONENT]: COMPONENT_DB_OPS, [LABEL_DATABASE]: 'redis'},
        annotations: {[ANNOTATION_STARTED]: new Date().toISOString()},
        activeDeadlineSeconds: timeoutSeconds + 30,
        ttlSecondsAfterFinished: 24 * 3600,
      },
      namespace: options.namespace ?? NAMESPACES.data,
      image: options.image ?? DEFAULT_REDIS_IMAGE,
      args: ['-h', host, '-p', port, ...command],
      secret: options.secret ?? DEFAULT_REDIS_SECRET,
    },
    options.templatesDir,
    'redis',
  )
}

async function runRedisCli<R extends Record<string, unknown>>(client: KubeApi, op: RedisOp, command: string[], options: RedisOpsOptions, read: (log: string) => R | undefined): Promise<R> {
  const job = await renderRedisCliJob(operationJobName('redis', op), op, command, options)
  const outcome = await runOperationJob<R>(client, job, {
    database: 'redis',
    op,
    namespace: options.namespace,
    timeoutMs: options.timeoutMs ?? 30_000,
    keepFailed: 1,
    secrets: `Secret ${(options.secret ?? DEFAULT_REDIS_SECRET).name}`,
    // redis-cli prints a reply, not JSON; an error reply (NOAUTH, WRONGPASS, ERR) is no result.
    readResult: (log) => (/^(ERR|NOAUTH|WRONGPASS|NOPERM|READONLY)\b/m.test(log) ? undefined : read(log)),
  })
  return outcome.result
}

/** One member's INFO replication. */
export async function redisReplicationInfo(client: KubeApi, options: RedisOpsOptions): Promise<RedisReplicationInfo> {
  return runRedisCli(client, 'redis-info', ['INFO', 'replication'], options, (log) => parseReplicationInfo(log) as (RedisReplicationInfo & Record<string, unknown>) | undefined)
}

/** What a member should be: a master, or a replica of `host:port`. */
export type RedisRole = {role: 'master'} | {role: 'replica'; of: {host: string; port: number}}

export type RedisRoleStep = {change: false; reason: string} | {change: true; command: string[]}

/**
 * Pure: the redis-cli command that gives a member the role it should have, or why none is needed
 * (so a re-run after a kill changes nothing). A replica already pointed at the right master needs
 * nothing even while its link is down (it reconnects by itself, Redis' replication docs).
 *
 *   master  wanted, INFO says slave of anything       -> REPLICAOF NO ONE
 *   replica of H:P wanted, INFO says master            -> REPLICAOF H P
 *   replica of H:P wanted, INFO says slave of X:Y      -> REPLICAOF H P
 *   replica of H:P wanted, INFO says slave of H:P      -> nothing ("already follows H:P")
 */
export function planRedisRole(info: RedisReplicationInfo, wanted: RedisRole): RedisRoleStep {
  if (wanted.role === 'master') return info.role === 'master' ? {change: false, reason: 'already a master'} : {change: true, command: ['REPLICAOF', 'NO', 'ONE']}
  const {host, port} = wanted.of
  if (info.role === 'slave' && info.masterHost === host && info.masterPort === port) return {change: false, reason: `already follows ${host}:${port}`}
  return {change: true, command: ['REPLICAOF', host, String(port)]}
}

/** Pure: the role of ordinal `ordinal` of `region` in `topology`. */
export function redisRoleOf(topology: RedisTopology, region: string, ordinal: number): RedisRole {
  if (region === topology.activeRegion && ordinal === PRIMARY_ORDINAL) return {role: 'master'}
  const [host, port] = splitHost(region === topology.activeRegion ? topology.primary.localHost : topology.primary.host)
  return {role: 'replica', of: {host, port: Number(port)}}
}

export interface RedisMemberChange {
  /** The member as the Jobs reach it (its in-cluster name). */
  host: string
  changed: boolean
  /** Why nothing changed. */
  reason?: string
  before: RedisReplicationInfo
  after: RedisReplicationInfo
}

export interface RedisRegionAlignment {
  region: string
  /** The master the region's members now have or follow, `host:port`. */
  master: string
  members: RedisMemberChange[]
  /** The role ConfigMap was rewritten (false: it already said this). */
  roleConfigChanged: boolean
}

export interface AlignRedisRegionOptions extends Omit<RedisOpsOptions, 'host'> {
  /** The roles to take: the topology with the region that serves now as its active region. */
  topology: RedisTopology
  region: string
}

/**
 * Gives every live member of `region` (the ordinals its StatefulSet runs now, read from the
 * cluster: a region may run more members than the topology sizes it for) its role in `topology`,
 * through redis-cli Jobs in that region's cluster (members by their in-cluster names). The role
 * ConfigMap is updated first, so a member restarting in the middle comes back in its new role
 * (templates/redis/replication/entrypoint.sh reads it at start); then each member is read and
 * changed only if it is not already what it should be, and read back.
 */
export async function alignRedisRegion(client: KubeApi, options: AlignRedisRegionOptions): Promise<RedisRegionAlignment> {
  const {topology, region} = options
  const namespace = options.namespace ?? NAMESPACES.data
  const set = await client.get<KubeObject & {spec?: {replicas?: number}}>('apps/v1', 'StatefulSet', topology.service, namespace)
  if (!set) throw new ExternalError(`StatefulSet ${topology.service} is missing in ${region}`, {hint: `run \`mygate env create\` to render it again`})
  const roleConfigChanged = await writeRoleConfig(client, topology, region, namespace)
  const count = set.spec?.replicas ?? 1
  const members = await Promise.all(
    Array.from({length: count}, async (_, ordinal): Promise<RedisMemberChange> => {
      const host = `${topology.service}-${ordinal}.${topology.service}.${namespace}.svc.cluster.local:${topology.port}`
      const memberOptions = {...options, host}
      const wanted = redisRoleOf(topology, region, ordinal)
      const before = await redisReplicationInfo(client, memberOptions)
      const step = planRedisRole(before, wanted)
      if (!step.change) return {host, changed: false, reason: step.reason, before, after: before}
      await runRedisCli(client, wanted.role === 'master' ? 'redis-promote' : 'redis-follow', step.command, memberOptions, (log) => (/^OK\b/m.test(log) ? {ok: true} : undefined))
      const after = await redisReplicationInfo(client, memberOptions)
      if (planRedisRole(after, wanted).change) {
        const what = wanted.role === 'master' ? 'a master' : `a replica of ${wanted.of.host}:${wanted.of.port}`
        throw new ExternalError(`${host} in ${region} is not ${what} after ${step.command.join(' ')} (it is a ${after.role})`, {hint: 'check the redis pod, then run the failover step again (`mygate failover resume`)'})
      }
      return {host, changed: true, before, after}
    }),
  )
  const master = region === topology.activeRegion ? topology.primary.localHost : topology.primary.host
  return {region, master, members, roleConfigChanged}
}

/** The region's role ConfigMap says what `topology` gives it (read first; a merge patch of the role keys only). */
async function writeRoleConfig(client: KubeApi, topology: RedisTopology, region: string, namespace: string): Promise<boolean> {
  const name = redisReplicationConfigMapName(topology.service)
  const current = await client.get<KubeObject & {data?: Record<string, string>}>('v1', 'ConfigMap', name, namespace)
  if (!current) throw new ExternalError(`ConfigMap ${name} is missing in ${region}: its Redis members cannot restart in their role`, {hint: 'run `mygate env create` to render it again'})
  const wanted = redisRoleData(topology, region) as unknown as Record<string, string>
  if (Object.entries(wanted).every(([key, value]) => current.data?.[key] === value)) return false
  await client.mergePatch({apiVersion: 'v1', kind: 'ConfigMap', name, namespace}, {data: wanted})
  return true
}

/**
 * After a switchover (or once a region lost in a forced failover is back and fenced): the old
 * region's members follow the new master (`topology.primary`, by its cluster-set name), so only
 * one master takes writes. Read first: a re-run changes nothing.
 */
export async function demoteRedisRegion(client: KubeApi, options: AlignRedisRegionOptions): Promise<RedisRegionAlignment> {
  if (options.region === options.topology.activeRegion) throw new ExternalError(`${options.region} is the active region: its Redis is not demoted`, {hint: 'pass the topology with the new active region'})
  return alignRedisRegion(client, options)
}

/** The new active region: its ordinal 0 a master, its other members replicas of it. Read first. */
export async function promoteRedisRegion(client: KubeApi, options: Omit<AlignRedisRegionOptions, 'region'>): Promise<RedisRegionAlignment> {
  return alignRedisRegion(client, {...options, region: options.topology.activeRegion})
}

export interface SwitchRedisMasterOptions extends Omit<RedisOpsOptions, 'host'> {
  /** The topology with the new active region (the target). */
  topology: RedisTopology
  /** The region that held the master. */
  from: string
  /**
   * Demote `from` before promoting the target (a planned switchover: both regions answer). False
   * for a forced failover: the old region is lost or fenced, so the target is promoted at once and
   * `from` follows later, if it answers.
   */
  demoteFirst: boolean
  /** Told after each half, in order (progress lines; tests look at Redis between the two). */
  onStep?: (done: 'demoted' | 'promoted', alignment: RedisRegionAlignment) => void | Promise<void>
}

export interface RedisSwitch {
  promoted: RedisRegionAlignment
  /** Absent when `from` was not asked to follow (no client for it: it does not answer). */
  demoted?: RedisRegionAlignment
}

/**
 * Moves the Redis master to the topology's active region without two writable masters at once.
 *
 * Planned (demoteFirst): the old region's members first follow the target's ordinal 0 (which still
 * replicates from the old master, so for a moment no member is a master and a write is refused with
 * READONLY: refused, not lost), then the target's ordinal 0 is promoted (REPLICAOF NO ONE) and
 * everyone's link comes up to it. The other order, promote then demote, leaves two masters between
 * the steps, and the writes the old one takes then are dropped when it follows the new one (its
 * dataset is replaced by a full sync).
 *
 * Not Redis' own FAILOVER command: it runs on the master and hands over to one of ITS replicas,
 * which `FAILOVER TO host port` names by the address the master sees the replica connect from
 * (https://redis.io/docs/latest/commands/failover/); across regions that is the load balancer's
 * address (aws NLBs with client IP preservation off), not the member's name, and without TO it may
 * choose a replica in the old region. The local data plane does not simulate it either.
 *
 * Each half reads every member first, so a re-run after a kill changes nothing.
 */
export async function switchRedisMaster(clients: {to: KubeApi; from?: KubeApi}, options: SwitchRedisMasterOptions): Promise<RedisSwitch> {
  const {onStep, from, demoteFirst, ...rest} = options
  const demote = async () => {
    if (!clients.from) return undefined
    const demoted = await demoteRedisRegion(clients.from, {...rest, region: from})
    await onStep?.('demoted', demoted)
    return demoted
  }
  const promote = async () => {
    const promoted = await promoteRedisRegion(clients.to, rest)
    await onStep?.('promoted', promoted)
    return promoted
  }
  if (demoteFirst) {
    const demoted = await demote()
    return {promoted: await promote(), ...(demoted ? {demoted} : {})}
  }
  const promoted = await promote()
  const demoted = await demote()
  return {promoted, ...(demoted ? {demoted} : {})}
}
