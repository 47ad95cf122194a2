import {fnv1a32} from '../controllers/template-hash.js'
import {statsDelta, type CollectionStats} from './collections.js'
import {
  defaultSettings,
  isElectable,
  majorityOf,
  memberConfig,
  type MemberSpec,
  type ReplSetConfig,
  serverError,
  validateConfig,
  voterChanges,
  votingMembers,
} from './config.js'
import type {DataPlaneEngine} from './engine.js'
import {isClusterSetName} from './network.js'
import {formatTimestamp, NULL_OPTIME, type OpTime} from './optime.js'
import {lastAppliedOf, lastAppliedWall, type Member, MEMBER_STATES, type ReplicaSet, type RollbackEvent} from './state.js'
import {MONGODB_DEFAULTS} from './timing.js'
import {databaseOfSet} from './workload.js'

/**
 * The server side of the replication commands the Job scripts call, against the simulated
 * members: replSetInitiate, replSetReconfig (with and without force), replSetStepDown,
 * replSetGetStatus, replSetGetConfig, hello, plus what getReplicationInfo, collection stats,
 * serverStatus().repl.rbid and getLog read. Errors are MongoDB's (codes and messages).
 */

export interface CommandContext {
  engine: DataPlaneEngine
  now: number
  /** The clusterSet (environment) a cluster belongs to. */
  clusterSetOf(cluster: string): string
}

const dateOf = (ms: number): string => new Date(ms).toISOString()

export function optimeDoc(optime: OpTime): {ts: string; t: number} {
  return {ts: formatTimestamp(optime.ts), t: optime.t}
}

/** `{isWritablePrimary, secondary, setName, hosts, primary, me, ...}` as hello answers. */
export function hello(ctx: CommandContext, member: Member): Record<string, unknown> {
  const set = ctx.engine.setOf(member)
  if (!set || member.state === 'REMOVED') {
    return {isWritablePrimary: false, secondary: false, isreplicaset: Boolean(member.setName), info: 'Does not have a valid replica set config', ok: 1}
  }
  const members = ctx.engine.membersOf(set)
  const primary = ctx.engine.primaryOf(set)
  const visible = members.filter(({config}) => !config.hidden)
  return {
    isWritablePrimary: member.state === 'PRIMARY',
    secondary: member.state === 'SECONDARY',
    setName: set.name,
    setVersion: set.config.version,
    hosts: visible.filter(({config}) => isElectable(config)).map(({config}) => config.host),
    passives: visible.filter(({config}) => !isElectable(config) && !config.arbiterOnly).map(({config}) => config.host),
    arbiters: visible.filter(({config}) => config.arbiterOnly).map(({config}) => config.host),
    // A member learns the primary from its heartbeats: one that cannot reach it does not name it.
    ...(primary && ctx.engine.sees(set, member.key, primary.key) ? {primary: ctx.engine.hostOf(set, primary.key)} : {}),
    me: ctx.engine.hostOf(set, member.key),
    electionId: set.term,
    ok: 1,
  }
}

function requireSet(ctx: CommandContext, member: Member): ReplicaSet {
  if (!member.setName) throw serverError('InvalidReplicaSetConfig', 'not running with --replSet')
  const set = ctx.engine.setOf(member)
  if (!set) throw serverError('NotYetInitialized', 'no replset config has been received')
  if (member.state === 'REMOVED') throw serverError('InvalidReplicaSetConfig', 'Our replica set config is invalid or we are not a member of it')
  return set
}

/** rs.status(). */
export function replSetGetStatus(ctx: CommandContext, member: Member): Record<string, unknown> {
  const {engine, now} = ctx
  const set = requireSet(ctx, member)
  const primary = engine.primaryOf(set)
  const commit = engine.commitPoint(set)
  const members = engine.membersOf(set).map(({config, member: m}) => {
    const self = m?.key === member.key
    // Health is what this member's heartbeats find: a running member the network keeps them from
    // reaching is "(not reachable/healthy)", as a stopped one is.
    const healthy = m !== undefined && m.up && engine.sees(set, member.key, m.key)
    const optime = healthy ? lastAppliedOf(m, set) : NULL_OPTIME
    const state = healthy ? m.state : 'DOWN'
    return {
      _id: config._id,
      name: config.host,
      health: healthy ? 1 : 0,
      state: MEMBER_STATES[state],
      stateStr: healthy ? state : '(not reachable/healthy)',
      uptime: healthy ? Math.floor((now - m.upSince) / 1000) : 0,
      optime: optimeDoc(optime),
      optimeDate: dateOf(healthy ? lastAppliedWall(m, set) : 0),
      ...(self ? {} : {lastHeartbeat: dateOf(healthy ? (m.lastHeartbeat ?? now) : (m?.downSince ?? 0)), pingMs: healthy ? 0 : undefined}),
      syncSourceHost: healthy && primary && m.key !== primary.key && m.state === 'SECONDARY' ? engine.hostOf(set, primary.key) : '',
      configVersion: set.config.version,
      configTerm: set.config.term,
      ...(self ? {self: true} : {}),
      ...(healthy && m.state === 'PRIMARY' && set.electedAt !== undefined ? {electionDate: dateOf(set.electedAt)} : {}),
      ...(!healthy ? {lastHeartbeatMessage: m ? 'Error connecting: connection timed out' : `Error connecting to ${config.host}: getaddrinfo ENOTFOUND`} : {}),
    }
  })
  return {
    set: set.name,
    date: dateOf(now),
    myState: MEMBER_STATES[member.state],
    term: set.term,
    syncSourceHost: primary && primary.key !== member.key && engine.sees(set, member.key, primary.key) ? engine.hostOf(set, primary.key) : '',
    heartbeatIntervalMillis: set.config.settings.heartbeatIntervalMillis,
    majorityVoteCount: majorityOf(set.config),
    writeMajorityCount: majorityOf(set.config),
    votingMembersCount: votingMembers(set.config).length,
    optimes: {lastCommittedOpTime: optimeDoc(commit), appliedOpTime: optimeDoc(lastAppliedOf(member, set)), durableOpTime: optimeDoc(lastAppliedOf(member, set))},
    members,
    ok: 1,
  }
}

/** rs.conf(), plus whether the config is committed (replSetGetConfig's commitmentStatus). */
export function replSetGetConfig(ctx: CommandContext, member: Member): {config: ReplSetConfig; commitmentStatus: boolean} {
  const set = requireSet(ctx, member)
  return {config: structuredClone(set.config), commitmentStatus: configCommitted(ctx, set)}
}

/** A config is committed once a majority of its voters are up to hear it. */
function configCommitted(ctx: CommandContext, set: ReplicaSet): boolean {
  return ctx.engine.membersOf(set).filter(({config, member}) => config.votes > 0 && member?.up).length >= majorityOf(set.config)
}

interface ConfigDocument {
  _id?: string
  version?: number
  members?: Array<MemberSpec & {_id?: number}>
  settings?: {electionTimeoutMillis?: number; heartbeatIntervalMillis?: number; chainingAllowed?: boolean; catchUpTimeoutMillis?: number}
}

function normalizeConfig(doc: ConfigDocument, replicaSetId: string, version: number, term: number): ReplSetConfig {
  if (typeof doc._id !== 'string' || doc._id === '') throw serverError('InvalidReplicaSetConfig', 'Missing expected field "_id"')
  if (!Array.isArray(doc.members)) throw serverError('InvalidReplicaSetConfig', 'Missing expected field "members"')
  const settings = doc.settings ?? {}
  for (const [name, value] of Object.entries(settings)) {
    if (['electionTimeoutMillis', 'heartbeatIntervalMillis', 'catchUpTimeoutMillis'].includes(name) && !(typeof value === 'number' && (value > 0 || (name === 'catchUpTimeoutMillis' && value === -1)))) {
      throw serverError('InvalidReplicaSetConfig', `${name} field value must be positive, but found ${String(value)}`)
    }
  }
  return {
    _id: doc._id,
    version,
    term,
    protocolVersion: 1,
    writeConcernMajorityJournalDefault: true,
    members: doc.members.map((m, i) => memberConfig(m._id ?? i, m)),
    settings: defaultSettings(replicaSetId, settings),
  }
}

/** Cluster-local names cannot name members in other regions' clusters: each resolves them at home. */
function checkHostNaming(ctx: CommandContext, set: ReplicaSet): void {
  const clusters = new Set<string>()
  for (const key of set.hostKeys.values()) {
    const member = key ? ctx.engine.members.get(key) : undefined
    if (member) clusters.add(member.placement.cluster)
  }
  if (clusters.size <= 1) return
  const local = set.config.members.filter((m) => !isClusterSetName(m.host)).map((m) => m.host)
  if (local.length > 0) {
    throw serverError(
      'InvalidReplicaSetConfig',
      `members span the clusters ${[...clusters].sort().join(', ')} but ${local.join(', ')} ${local.length > 1 ? 'are cluster-local names' : 'is a cluster-local name'}: each cluster would resolve it to its own pods; name members SVC.NAMESPACE.svc.clusterset.local`,
    )
  }
}

/** rs.initiate(config) on `member`. */
export function replSetInitiate(ctx: CommandContext, member: Member, doc: ConfigDocument): Record<string, unknown> {
  const {engine, now} = ctx
  if (!member.setName) throw serverError('InvalidReplicaSetConfig', 'This node was not started with replication enabled.')
  if (engine.setOf(member)) throw serverError('AlreadyInitialized', 'already initialized')
  const replicaSetId = (fnv1a32(`${member.key}/${now}`).toString(16) + fnv1a32(`rsid/${now}/${member.key}`).toString(16) + now.toString(16)).padStart(24, '0').slice(-24)
  const config = normalizeConfig(doc, replicaSetId, 1, 0)
  if (config._id !== member.setName) {
    throw serverError('InvalidReplicaSetConfig', `Attempting to initiate a replica set with name ${config._id}, but command line reports ${member.setName}; rejecting`)
  }
  validateConfig(config)
  const set = engine.createSet({
    id: replicaSetId,
    config,
    clusterSet: ctx.clusterSetOf(member.placement.cluster),
    homeCluster: member.placement.cluster,
    homeNamespace: member.placement.namespace,
    database: databaseOfSet(config._id),
    users: member.users,
    now,
  })
  try {
    engine.resolveHosts(set)
    const self = config.members.find((m) => set.hostKeys.get(m.host.toLowerCase()) === member.key)
    if (!self) throw serverError('InvalidReplicaSetConfig', `No host described in new configuration with {version: 1, term: 0} for replica set ${config._id} maps to this node`)
    checkHostNaming(ctx, set)
    const failures: string[] = []
    for (const m of config.members) {
      if (m === self) continue
      const key = set.hostKeys.get(m.host.toLowerCase())
      const other = key ? engine.members.get(key) : undefined
      if (!other) failures.push(`${m.host} failed with Error connecting to ${m.host} :: caused by :: Could not find address for ${m.host}: SocketException: Host not found`)
      else if (!other.up) failures.push(`${m.host} failed with Error connecting to ${m.host} :: caused by :: connection timed out`)
      else if (other.setId) failures.push(`${m.host} failed with Our replica set configuration is invalid or does not include us`)
      else if (other.setName !== config._id) failures.push(`${m.host} failed with Our set name did not match that of ${m.host}`)
    }
    if (failures.length > 0) throw serverError('NodeNotFound', `replSetInitiate quorum check failed because not all proposed set members responded affirmatively: ${failures.join(', ')}`)
  } catch (error) {
    engine.sets.delete(set.id)
    throw error
  }
  member.setId = set.id
  member.applied = 0
  member.tail = []
  member.users = []
  engine.transition(member, 'SECONDARY', now)
  member.electionDeadline = now + engine.electionTimeoutMs(set)
  engine.journal.members.add(member.key)
  engine.installConfig(set, config, now)
  return {ok: 1}
}

/** rs.reconfig(config[, {force: true}]) on `member`. */
export function replSetReconfig(ctx: CommandContext, member: Member, doc: ConfigDocument, force: boolean): Record<string, unknown> {
  const {engine, now} = ctx
  const set = requireSet(ctx, member)
  const current = set.config
  if (!force && member.state !== 'PRIMARY') {
    throw serverError('NotWritablePrimary', `New config is rejected :: caused by :: replSetReconfig should only be run on a writable PRIMARY. Current state ${member.state};`)
  }
  if (doc._id !== undefined && doc._id !== current._id) {
    throw serverError('NewReplicaSetConfigurationIncompatible', `New and old configurations differ in replica set name; old was ${current._id}, and new is ${doc._id}`)
  }
  const version = force ? current.version + 10_000 + (fnv1a32(`force/${set.id}/${now}`) % 90_000) : (doc.version ?? current.version + 1)
  if (!force && version <= current.version) {
    throw serverError('NewReplicaSetConfigurationIncompatible', `New replica set configuration version must be greater than old, but ${version} is not greater than ${current.version} for replica set ${current._id}`)
  }
  const next = normalizeConfig({...doc, _id: current._id, settings: {...pickSettings(current), ...doc.settings}}, current.settings.replicaSetId.$oid, version, set.term)
  validateConfig(next)
  if (!force) {
    if (!configCommitted(ctx, set)) throw serverError('ConfigurationInProgress', 'Cannot run replSetReconfig because the node is currently updating its configuration')
    if (voterChanges(current, next).length > 1) throw serverError('NewReplicaSetConfigurationIncompatible', 'Non force replica set reconfig can only add or remove at most 1 voting member.')
  }
  const previousKeys = set.hostKeys
  const previous = set.config
  set.config = next
  engine.resolveHosts(set)
  try {
    if (!engine.configOf(set, member.key)) {
      throw serverError('NodeNotFound', `No host described in new configuration with {version: ${version}, term: ${set.term}} for replica set ${current._id} maps to this node`)
    }
    checkHostNaming(ctx, set)
    if (!force) {
      const responded = next.members.filter((m) => m.votes > 0 && engine.members.get(set.hostKeys.get(m.host.toLowerCase()) ?? '')?.up)
      const needed = majorityOf(next)
      if (responded.length < needed) {
        throw serverError('NodeNotFound', `Quorum check failed because not enough voting nodes responded; required ${needed} but only the following ${responded.length} voting nodes responded: ${responded.map((m) => m.host).join(', ')}`)
      }
    }
  } catch (error) {
    set.config = previous
    set.hostKeys = previousKeys
    throw error
  }
  set.config = previous
  set.hostKeys = previousKeys
  const wasPrimary = member.state === 'PRIMARY'
  engine.installConfig(set, next, now)
  // A forced reconfig on a primary steps it down (README "Step Down: Unconditional").
  if (force && wasPrimary) engine.stepDownPrimary(set, now, 'forced reconfig', 0)
  return {ok: 1}
}

function pickSettings(config: ReplSetConfig): ConfigDocument['settings'] {
  const s = config.settings
  return {electionTimeoutMillis: s.electionTimeoutMillis, heartbeatIntervalMillis: s.heartbeatIntervalMillis, chainingAllowed: s.chainingAllowed, catchUpTimeoutMillis: s.catchUpTimeoutMillis}
}

/**
 * rs.stepDown(stepDownSecs, secondaryCatchUpPeriodSecs): conditional (README "Step Down"): an
 * electable secondary and a majority must catch up within the catch-up period (writes stop while
 * the primary waits), then the primary steps down, may not stand again for stepDownSecs, and hands
 * the election to the most caught-up electable secondary (enableElectionHandoff, the default).
 */
export function replSetStepDown(ctx: CommandContext, member: Member, stepDownSecs: number, catchUpSecs: number): Record<string, unknown> {
  const {engine, now} = ctx
  const set = requireSet(ctx, member)
  if (member.state !== 'PRIMARY') throw serverError('NotWritablePrimary', 'not primary so can\'t step down')
  const scale = engine.timing.timeScale
  const window = catchUpSecs * 1000 * scale
  const lastWall = lastAppliedWall(member, set)
  const waitFor = (m: Member): number => Math.max(0, lastWall + engine.lagOf(set, m) - now)
  const live = engine.membersOf(set).filter((x): x is {config: typeof x.config; member: Member} => x.member !== undefined && x.member.up && x.member.key !== member.key && x.member.state === 'SECONDARY')
  const caughtUp = live.filter(({member: m}) => waitFor(m) <= window)
  const electable = caughtUp.filter(({config, member: m}) => isElectable(config) && m.frozenUntil <= now)
  const votersCaughtUp = caughtUp.filter(({config}) => config.votes > 0).length + 1
  if (electable.length === 0 || votersCaughtUp < majorityOf(set.config)) {
    throw serverError(
      'ExceededTimeLimit',
      `No electable secondaries caught up as of ${dateOf(now + window)}. Please use the replSetStepDown command with the argument {force: true} to force node to step down.`,
    )
  }
  for (const {member: m} of caughtUp) {
    m.applied = set.oplog.end
    engine.journal.members.add(m.key)
  }
  engine.stepDownPrimary(set, now, 'replSetStepDown command', stepDownSecs * 1000 * scale)
  const successor = electable.sort((a, b) => b.config.priority - a.config.priority || a.member.key.localeCompare(b.member.key))[0]
  engine.runElection(set, successor.member, now, {reason: 'stepUpRequestSkipDryRun'})
  return {ok: 1}
}

/** db.getReplicationInfo() as seen on `member`: its oplog's first and last entries. */
export function replicationInfo(ctx: CommandContext, member: Member): Record<string, unknown> {
  const set = requireSet(ctx, member)
  const first = set.oplog.end > set.oplog.start ? set.oplog.get(set.oplog.start) : undefined
  const lastWall = lastAppliedWall(member, set)
  const last = lastAppliedOf(member, set)
  const entries = Math.max(0, member.applied - set.oplog.start) + member.tail.length
  const timeDiff = first ? Math.max(0, Math.round((lastWall - first.wall) / 1000)) : 0
  return {
    configuredLogSizeMB: 990,
    logSizeMB: 990,
    usedMB: Math.round((entries * 160) / 1024 / 1024 * 100) / 100,
    timeDiff,
    timeDiffHours: Math.round((timeDiff / 3600) * 100) / 100,
    tFirst: first ? dateOf(first.wall) : undefined,
    tLast: dateOf(lastWall),
    now: dateOf(ctx.now),
    first: first ? formatTimestamp({t: first.secs, i: first.ord}) : undefined,
    last: formatTimestamp(last.ts),
    entries,
  }
}

/** Collection counts and sizes as `member` holds them (the branch minus what it lags, plus its tail). */
export function collectionStatsAt(ctx: CommandContext, member: Member, database: string): CollectionStats[] {
  const set = requireSet(ctx, member)
  if (database !== set.database) return []
  const stats = new Map(set.data.stats().map((s) => [s.name, {...s}]))
  const missing = statsDelta(set.oplog.slice(Math.max(member.applied, set.oplog.start)))
  for (const [name, delta] of missing) {
    const entry = stats.get(name) ?? {name, count: 0, sizeBytes: 0}
    entry.count -= delta.count
    entry.sizeBytes -= delta.bytes
    stats.set(name, entry)
  }
  for (const [name, delta] of statsDelta(member.tail)) {
    const entry = stats.get(name) ?? {name, count: 0, sizeBytes: 0}
    entry.count += delta.count
    entry.sizeBytes += delta.bytes
    stats.set(name, entry)
  }
  return [...stats.values()].filter((s) => s.count > 0 || s.sizeBytes > 0).sort((a, b) => a.name.localeCompare(b.name))
}

/** The databases a member lists (listDatabases), system ones left out. */
export function databasesAt(ctx: CommandContext, member: Member): string[] {
  const set = ctx.engine.setOf(member)
  return set && set.data.names().length > 0 ? [set.database] : []
}

/** "Rollback summary" entries of a member's log (what getLog('global') returns to the status script). */
export function rollbacksOf(ctx: CommandContext, member: Member): RollbackEvent[] {
  const set = ctx.engine.setOf(member)
  if (!set) return []
  const host = ctx.engine.hostOf(set, member.key)
  return set.rollbacks.filter((event) => event.member === host)
}

/** The catch-up window a step-down waits, by default (MongoDB's secondaryCatchUpPeriodSecs). */
export const DEFAULT_STEP_DOWN = {stepDownSecs: MONGODB_DEFAULTS.stepDownSecs, secondaryCatchUpPeriodSecs: MONGODB_DEFAULTS.secondaryCatchUpPeriodSecs}
