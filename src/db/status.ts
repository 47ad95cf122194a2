import {setTimeout as sleep} from 'node:timers/promises'

import type {Catalog, ServiceDescriptor} from '../catalog/types.js'
import type {EnvironmentSpec} from '../config/types.js'
import {NotFoundError, UsageError, isMygateError, oneOf} from '../errors.js'
import type {KubeApi} from '../kube/api.js'
import {imageReference} from '../render/labels.js'
import {replicaSetConnection} from './connection.js'
import {DatabaseOperationError} from './operation-error.js'
import type {MemberStatus, RollbackEntry, StatusResult} from './operations.js'
import {runStatusAll, type SetStatus} from './status-all.js'
import {redisStatus, type RedisStatusView} from './redis-status.js'
import {redisTopology} from './redis-topology.js'
import {replicaSetTopology, type ReplicaSetTopology} from './topology.js'

/**
 * `mygate db status`: one status Job for all the databases (src/db/status-all.ts: status-all.js
 * connects to each replica set in turn), in one region that answers, read as MongoDB reports it
 * (replSetGetStatus, as status.js reads it).
 * A region whose API server does not answer within its own short time-out is reported as
 * unreachable and the Jobs run in the other one; a database whose Job fails is reported with why,
 * never as a crash of the whole command.
 */

export interface DatabaseStatusOptions {
  env: EnvironmentSpec
  catalog: Catalog
  /** region -> client (connectEnvironment). */
  clients: ReadonlyMap<string, KubeApi>
  /** The region the environment serves from (its record's activeRegion). */
  activeRegion: string
  /** Only this database (a `-db` service, or an app whose database it is). */
  service?: string
  /** Run the Jobs in this region and show its members only. */
  region?: string
  /** Time-out of each region's reachability check (default 2 s). */
  reachabilityTimeoutMs?: number
  /** Time-out of each status Job (default 30 s). */
  jobTimeoutMs?: number
  /** A member lagging more than this is a problem (default 10 s). */
  maxLagSeconds?: number
}

export type DatabaseVerdict = StatusResult['verdict'] | 'unknown'

export interface MemberView {
  host: string
  /** The member's region (from the topology; `unknown` for a host mygate did not lay out). */
  region: string
  state: string
  health: number
  priority: number
  votes: number
  lagSeconds: number | null
  optimeDate: string | null
  unreachable?: string
}

/** One database in `mygate db status --json` (see the README's JSON shapes). */
export interface DatabaseStatus {
  database: string
  verdict: DatabaseVerdict
  /** The one verdict line: `healthy (primary HOST)`, `degraded: HOST: lag 12s > 10s`, `no primary: ...`. */
  summary: string
  primary: string | null
  primaryRegion: string | null
  members: MemberView[]
  problems: string[]
  oplog?: {first: string; last: string; windowSeconds: number}
  collections: Array<{name: string; count: number; sizeBytes: number}>
  rollbacks: RollbackEntry[]
  /** The region whose cluster ran the status Job. */
  ranIn: string
  /** Why there is no status (the Job failed or could not run). */
  error?: string
}

export interface RegionReach {
  region: string
  role: 'primary' | 'secondary'
  reachable: boolean
  error?: string
}

export interface DatabaseStatusReport {
  environment: string
  regions: RegionReach[]
  databases: DatabaseStatus[]
  /** Redis: each member's role, link and offset (src/db/redis-status.ts); absent with `--service` of a database, or when no region answers. */
  redis?: RedisStatusView
  elapsedMs: number
}

/**
 * What `--service NAME` means: a `-db` service, the database an app owns, or `redis` (Redis only).
 * Without it: every database, and Redis when the catalog has it.
 */
export function selectDatabases(catalog: Catalog, service?: string): {databases: ServiceDescriptor[]; redis?: ServiceDescriptor} {
  const databases = catalog.services.filter((s) => s.kind === 'mongodb')
  const redis = catalog.services.find((s) => s.kind === 'redis')
  if (service === undefined) return {databases, ...(redis ? {redis} : {})}
  const named = catalog.byName(service)
  const names = [...databases, ...(redis ? [redis] : [])].map((d) => d.name)
  if (!named) throw new NotFoundError(`unknown service "${service}": expected ${oneOf(names)}`, {hint: 'run `mygate services list` to see the services', details: {service, databases: names}})
  if (named.kind === 'mongodb') return {databases: [named]}
  if (named.kind === 'redis') return {databases: [], redis: named}
  const owned = named.dependencies.database ? catalog.byName(named.dependencies.database) : undefined
  if (owned?.kind === 'mongodb') return {databases: [owned]}
  throw new UsageError(`service "${service}" has no database`, {
    hint: `use --service with ${oneOf(names)}`,
    details: {service, databases: names},
  })
}

export async function databaseStatus(options: DatabaseStatusOptions): Promise<DatabaseStatusReport> {
  const started = Date.now()
  const {env} = options
  const regionNames = [env.regions.primary, ...(env.regions.secondary ? [env.regions.secondary] : [])]
  if (options.region !== undefined && !regionNames.includes(options.region)) {
    throw new UsageError(`environment ${env.name} has no region "${options.region}"`, {hint: `use --region with ${oneOf(regionNames)}`})
  }
  const {databases, redis} = selectDatabases(options.catalog, options.service)
  const regions = await Promise.all(
    regionNames.map(async (region): Promise<RegionReach> => {
      const role = region === env.regions.primary ? 'primary' : 'secondary'
      const client = options.clients.get(region)
      if (!client) return {region, role, reachable: false, error: 'no cluster for this region in the kubeconfig'}
      const reach = await client.reachable({timeoutMs: options.reachabilityTimeoutMs ?? 2000})
      return {region, role, reachable: reach.reachable, ...(reach.error ? {error: reach.error} : {})}
    }),
  )
  // Where the Jobs run: the asked region, else the active one, else any that answers.
  const preferred = options.region ? [options.region] : [options.activeRegion, ...regionNames.filter((r) => r !== options.activeRegion)]
  const runIn = preferred.find((region) => regions.find((r) => r.region === region)?.reachable)
  // MongoDB (one Job for every set) and Redis (one Job per member) at once.
  const [statuses, redisView] = await Promise.all([
    databases.length > 0 ? statusesIn(runIn, databases, options, regions) : Promise.resolve([]),
    redis && runIn ? redisStatus(options.clients.get(runIn)!, redisTopology(redis, env, options.activeRegion), {image: imageReference(redis, env), timeoutMs: options.jobTimeoutMs ?? 30_000, onlyRegion: options.region}) : Promise.resolve(undefined),
  ])
  return {environment: env.name, regions, databases: statuses, ...(redisView ? {redis: redisView} : {}), elapsedMs: Date.now() - started}
}

/**
 * Every selected database's status from ONE Job in `runIn` (src/db/status-all.ts): a set the Job
 * could not read, or a Job that failed as a whole, is reported per database with why, never as a
 * crash of the whole command.
 */
async function statusesIn(runIn: string | undefined, databases: ServiceDescriptor[], options: DatabaseStatusOptions, regions: RegionReach[]): Promise<DatabaseStatus[]> {
  const {env} = options
  const topologies = new Map(databases.map((database) => [database.name, replicaSetTopology(database, env)]))
  if (!runIn) {
    const why = `no region answers (${regions.map((r) => `${r.region}: ${r.error ?? 'unreachable'}`).join('; ')})`
    return databases.map((database) => unknownStatus(database.name, options.region ?? options.activeRegion, why))
  }
  let sets: SetStatus[]
  try {
    const outcome = await runStatusAll(options.clients.get(runIn)!, {
      sets: databases.map((database) => ({database: database.name, connection: statusConnection(topologies.get(database.name)!, runIn), appDatabase: database.name.replace(/-db$/, '')})),
      maxLagSeconds: options.maxLagSeconds ?? 10,
      image: databases.length > 0 ? imageReference(databases[0], env) : undefined,
      timeoutMs: options.jobTimeoutMs ?? 30_000,
    })
    sets = outcome.result.sets
  } catch (error) {
    if (!(error instanceof DatabaseOperationError) && !(isMygateError(error) && error.code === 'TIMEOUT')) throw error
    return databases.map((database) => unknownStatus(database.name, runIn, (error as Error).message))
  }
  return databases.map((database) => {
    const set = sets.find((s) => s.name === database.name)
    if (!set) return unknownStatus(database.name, runIn, 'the status Job did not report this database')
    if (!set.ok) return unknownStatus(database.name, runIn, `${set.error.codeName ? `${set.error.codeName}: ` : ''}${set.error.message}`)
    return viewOf(database.name, topologies.get(database.name)!, set, runIn, options.region)
  })
}

/** The members of the Job's own region first: a status answers from a member it can reach. */
function statusConnection(topology: ReplicaSetTopology, region: string): string {
  const own = topology.members.filter((m) => m.region === region)
  const others = topology.members.filter((m) => m.region !== region)
  return replicaSetConnection(topology.set, [...own, ...others].map((m) => m.host), {readPreference: 'primaryPreferred'})
}

function regionOf(topology: ReplicaSetTopology, host: string | null | undefined): string {
  return topology.members.find((m) => m.host === host)?.region ?? 'unknown'
}

/** A status result as `db status` shows it (pure). */
export function viewOf(database: string, topology: ReplicaSetTopology, result: StatusResult, ranIn: string, onlyRegion?: string): DatabaseStatus {
  const members = (result.members ?? [])
    .map((m: MemberStatus): MemberView => ({
      host: m.host,
      region: regionOf(topology, m.host),
      state: m.state,
      health: m.health,
      priority: m.priority,
      votes: m.votes,
      lagSeconds: m.lagSeconds,
      optimeDate: m.optimeDate,
      ...(m.unreachable ? {unreachable: m.unreachable} : {}),
    }))
    .filter((m) => onlyRegion === undefined || m.region === onlyRegion)
  const primary = result.primary ?? null
  const problems = result.problems ?? []
  return {
    database,
    verdict: result.verdict,
    summary: summaryLine(result.verdict, primary, problems),
    primary,
    primaryRegion: primary ? regionOf(topology, primary) : null,
    members,
    problems,
    ...(result.oplog ? {oplog: {first: result.oplog.first, last: result.oplog.last, windowSeconds: result.oplog.windowSeconds}} : {}),
    collections: result.collections ?? [],
    rollbacks: result.rollbacks ?? [],
    ranIn,
  }
}

/** `healthy (primary HOST)` / `degraded (primary HOST): PROBLEMS` / `no primary: PROBLEMS` / `not initiated`. */
export function summaryLine(verdict: DatabaseVerdict, primary: string | null, problems: string[]): string {
  switch (verdict) {
    case 'healthy':
      return `healthy (primary ${primary})`
    case 'degraded':
      return `degraded (primary ${primary}): ${problems.join('; ')}`
    case 'no-primary':
      return `no primary${problems.length > 0 ? `: ${problems.join('; ')}` : ''}`
    case 'not-initiated':
      return 'not initiated (run `mygate env create` to form it)'
    default:
      return `unknown${problems.length > 0 ? `: ${problems.join('; ')}` : ''}`
  }
}

function unknownStatus(database: string, ranIn: string, why: string): DatabaseStatus {
  return {database, verdict: 'unknown', summary: `unknown: ${why}`, primary: null, primaryRegion: null, members: [], problems: [why], collections: [], rollbacks: [], ranIn, error: why}
}

/** `--watch`: a report every `intervalMs` until the signal aborts. */
export async function watchDatabaseStatus(options: DatabaseStatusOptions & {intervalMs?: number; signal?: AbortSignal}, onReport: (report: DatabaseStatusReport) => void): Promise<DatabaseStatusReport> {
  let last = await databaseStatus(options)
  onReport(last)
  while (!options.signal?.aborted) {
    await sleep(options.intervalMs ?? 2000, undefined, {signal: options.signal}).catch(() => undefined)
    if (options.signal?.aborted) break
    last = await databaseStatus(options)
    onReport(last)
  }
  return last
}

/** `mygate db status`: connect to the environment, run the statuses, close. */
export async function environmentDatabaseStatus(
  options: {envName: string; service?: string; region?: string; home?: string; watch?: boolean; signal?: AbortSignal},
  onReport?: (report: DatabaseStatusReport) => void,
): Promise<DatabaseStatusReport> {
  const {connectEnvironment} = await import('../env/connect.js')
  const {loadCatalog} = await import('../catalog/load-catalog.js')
  // A region that does not answer must not hold the whole command: short requests, no long retries.
  const connection = await connectEnvironment(options.envName, {home: options.home, tolerateUnreachable: true, retry: {deadlineMs: 3000}})
  try {
    const statusOptions: DatabaseStatusOptions = {
      env: connection.record.spec,
      catalog: await loadCatalog(),
      clients: connection.clients,
      activeRegion: connection.record.activeRegion,
      service: options.service,
      region: options.region,
    }
    if (!options.watch) return await databaseStatus(statusOptions)
    return await watchDatabaseStatus({...statusOptions, signal: options.signal}, (report) => onReport?.(report))
  } finally {
    connection.close()
  }
}
