import {NAMESPACES} from '../config/types.js'
import {ExternalError} from '../errors.js'
import type {KubeApi} from '../kube/api.js'
import type {KubeObject} from '../kube/types.js'
import type {RedisOp} from './operations.js'
import {renderOpsTemplate} from './ops-templates.js'
import {splitHost} from './redis-topology.js'
import {ANNOTATION_STARTED, COMPONENT_DB_OPS, LABEL_COMPONENT, LABEL_DATABASE, LABEL_OP, operationJobName, runOperationJob} from './run-operation.js'

/**
 * Redis operations, run like every database operation: a Job (templates/redis/ops/cli-job.yaml)
 * running `redis-cli -h HOST -p PORT COMMAND`, the password from the generated Secret through
 * REDISCLI_AUTH, the reply read from the pod's log. No driver in the CLI, no exec, no port-forward.
 *
 * - {@link parseReplicationInfo} (pure): INFO replication's text (https://redis.io/docs/latest/commands/info/) as data.
 * - {@link redisReplicationInfo}: one member's INFO replication.
 * - {@link promoteRedisReplica}: `REPLICAOF NO ONE` on a replica, only if it is still one (a re-run
 *   after a kill, or a member that is already a master, changes nothing), then reads it back.
 */

export interface RedisReplicationInfo {
  role: 'master' | 'slave'
  /** A replica's master (`host`, `port`) and link. */
  masterHost?: string
  masterPort?: number
  linkStatus?: 'up' | 'down'
  linkDownSinceSeconds?: number
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
  }
  return info
}

/** Pure: what promoting this member means: `promote` a replica, nothing for a master (and why). */
export function planRedisPromotion(info: RedisReplicationInfo): {promote: true} | {promote: false; reason: string} {
  if (info.role === 'master') return {promote: false, reason: 'already a master'}
  return {promote: true}
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

export interface RedisPromotion {
  host: string
  changed: boolean
  /** Why nothing changed. */
  reason?: string
  before: RedisReplicationInfo
  after: RedisReplicationInfo
}

/**
 * Promotes the secondary region's Redis replica (`REPLICAOF NO ONE`), for the failover: reads the
 * member first and acts only if it is still a replica, then reads it back and checks it is a
 * master. Its data is what it had replicated (`before.offset`; with the link down since
 * `before.linkDownSinceSeconds`): Redis replication is asynchronous, so writes the old primary took
 * after that are not there (the descriptor's RPO states what that costs).
 */
export async function promoteRedisReplica(client: KubeApi, options: RedisOpsOptions): Promise<RedisPromotion> {
  const before = await redisReplicationInfo(client, options)
  const plan = planRedisPromotion(before)
  if (!plan.promote) return {host: options.host, changed: false, reason: plan.reason, before, after: before}
  await runRedisCli(client, 'redis-promote', ['REPLICAOF', 'NO', 'ONE'], options, (log) => (/^OK\s*$/m.test(log) ? {ok: true} : undefined))
  const after = await redisReplicationInfo(client, options)
  if (after.role !== 'master') throw new ExternalError(`${options.host} is still a ${after.role} after REPLICAOF NO ONE`, {hint: 'check the redis pod, then run the promotion again'})
  return {host: options.host, changed: true, before, after}
}
