/**
 * The database operations a Job can run, with their parameters (OP_PARAMS) and the result JSON
 * each script prints on its last log line: the types of templates/mongodb/ops/README.md.
 */

export type DatabaseOp = 'status' | 'initiate' | 'reconfigure' | 'step-down' | 'force-reconfigure' | 'hashes'

export const DATABASE_OPS: readonly DatabaseOp[] = ['status', 'initiate', 'reconfigure', 'step-down', 'force-reconfigure', 'hashes']

/**
 * Operations over every database of a region in one Job (`mongosh --nodb`, credentials from each
 * database's Secret volume): src/db/status-all.ts.
 */
export type FleetOp = 'status-all'

/** Redis operations: a redis-cli Job (src/db/redis-ops.ts). */
export type RedisOp = 'redis-info' | 'redis-promote' | 'redis-follow'

/** Any operation a Job runs: the label `mygate.dev/op`. */
export type AnyDatabaseOp = DatabaseOp | FleetOp | RedisOp

/** Every script the ops ConfigMap carries. */
export const OPS_SCRIPTS: readonly string[] = [...DATABASE_OPS.map((op) => `${op}.js`), 'status-all.js', 'app-user.js']

/** A member as the scripts take it (initiate, reconfigure, force-reconfigure). */
export interface MemberSpec {
  host: string
  priority?: number
  votes?: number
  hidden?: boolean
  arbiterOnly?: boolean
  tags?: Record<string, string>
}

export interface StatusParams {
  /** The database whose collections are counted (the app service's name, e.g. billing). */
  database?: string
  /** A member lagging more than this is a problem (default 10). */
  maxLagSeconds?: number
  /** With `database`: count the oplog's writes to it after this optime (SECONDS:ORDINAL). */
  writesSince?: string
}

export interface InitiateParams {
  set: string
  members: MemberSpec[]
  settings?: {electionTimeoutMillis?: number; heartbeatIntervalMillis?: number}
}

export interface ReconfigureParams {
  /** The complete desired member list. */
  members: MemberSpec[]
  timeoutSeconds?: number
}

export interface StepDownParams {
  expectedPrimary: string
  stepDownSecs?: number
  secondaryCatchUpPeriodSecs?: number
  waitSeconds?: number
}

export interface ForceReconfigureParams {
  /** The members to keep. */
  members: Array<Pick<MemberSpec, 'host' | 'priority' | 'votes'>>
}

export interface HashesParams {
  /** The application database whose collections are hashed (billing-db holds billing). */
  database: string
}

export interface ScriptError {
  code?: number
  codeName?: string
  message: string
}

interface ResultBase<Op extends DatabaseOp> {
  op: Op
  ok: boolean
  error?: ScriptError
}

export type MemberState = 'PRIMARY' | 'SECONDARY' | 'RECOVERING' | 'STARTUP' | 'STARTUP2' | 'ROLLBACK' | 'DOWN' | 'ARBITER' | 'REMOVED' | 'UNKNOWN' | (string & {})

export interface MemberStatus {
  _id: number
  host: string
  state: MemberState
  health: number
  priority: number
  votes: number
  hidden: boolean
  arbiterOnly: boolean
  optime: string | null
  optimeDate: string | null
  lagSeconds: number | null
  self: boolean
  rbid?: number
  unreachable?: string
}

export interface RollbackEntry {
  member: string
  at: string
  rbid: number
  syncSource: string
  commonPoint: string
  lastRolledBack: string
  entries: number
  namespaces: string[]
  dataDirectory: string
}

export type StatusVerdict = 'healthy' | 'degraded' | 'no-primary' | 'not-initiated'

export interface StatusResult extends ResultBase<'status'> {
  initiated: boolean
  verdict: StatusVerdict
  problems?: string[]
  connectedTo?: string
  set?: string
  term?: number
  configVersion?: number
  /** rs.conf().settings' election timings: what a failover derives its waits from. */
  settings?: {electionTimeoutMillis?: number; heartbeatIntervalMillis?: number}
  primary?: string | null
  majority?: {votingMembers: number; needed: number; healthyVoters: number}
  members?: MemberStatus[]
  oplog?: {first: string; last: string; firstDate: string; lastDate: string; windowSeconds: number}
  database?: string
  collections?: Array<{name: string; count: number; sizeBytes: number}>
  rollbacks?: RollbackEntry[]
  /** Asked with params.writesSince: inserts, updates and deletes after it; incomplete when the oplog no longer reaches back. */
  writesSince?: WritesSince
}

export interface WritesSince {
  after: string
  inserts: number
  updates: number
  deletes: number
  complete: boolean
}

export interface InitiateResult extends ResultBase<'initiate'> {
  changed: boolean
  set: string
  configVersion: number
  members: MemberSpec[]
  primary: string | null
}

export interface ReconfigureResult extends ResultBase<'reconfigure'> {
  changed: boolean
  steps: Array<{version: number; changes: string[]}>
  configVersion: number
  members: MemberSpec[]
}

export interface StepDownResult extends ResultBase<'step-down'> {
  changed: boolean
  reason?: string
  primaryBefore: string | null
  primaryAfter: string | null
}

export interface ForceReconfigureResult extends ResultBase<'force-reconfigure'> {
  changed: boolean
  configVersion: number
  members: MemberSpec[]
  removed: string[]
}

export interface HashesResult extends ResultBase<'hashes'> {
  database: string
  /** Per collection, by name: the document count and the summed SHA-256 (src/formats/content-hash/). */
  collections: Array<{name: string; count: number; hash: string}>
}

export interface OpParams {
  status: StatusParams
  initiate: InitiateParams
  reconfigure: ReconfigureParams
  'step-down': StepDownParams
  'force-reconfigure': ForceReconfigureParams
  hashes: HashesParams
}

export interface OpResults {
  status: StatusResult
  initiate: InitiateResult
  reconfigure: ReconfigureResult
  'step-down': StepDownResult
  'force-reconfigure': ForceReconfigureResult
  hashes: HashesResult
}

/** The script a Job runs for an operation (a key of the mygate-db-ops ConfigMap). */
export function scriptFor(op: DatabaseOp): string {
  return `${op}.js`
}
