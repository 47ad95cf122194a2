/**
 * The replica set configuration document, as `rs.conf()` returns it (replica set configuration
 * reference: https://www.mongodb.com/docs/manual/reference/replica-configuration/).
 */
export interface MemberConfig {
  _id: number
  host: string
  arbiterOnly: boolean
  buildIndexes: boolean
  hidden: boolean
  priority: number
  tags: Record<string, string>
  secondaryDelaySecs: number
  votes: number
}

export interface ReplSetSettings {
  chainingAllowed: boolean
  heartbeatIntervalMillis: number
  heartbeatTimeoutSecs: number
  electionTimeoutMillis: number
  catchUpTimeoutMillis: number
  catchUpTakeoverDelayMillis: number
  getLastErrorModes: Record<string, unknown>
  getLastErrorDefaults: {w: number; wtimeout: number}
  replicaSetId: {$oid: string}
}

export interface ReplSetConfig {
  _id: string
  version: number
  term: number
  members: MemberConfig[]
  protocolVersion: number
  writeConcernMajorityJournalDefault: boolean
  settings: ReplSetSettings
}

/** A member as the Job scripts describe it (OP_PARAMS `members`): host plus the fields to set. */
export interface MemberSpec {
  host: string
  priority?: number
  votes?: number
  hidden?: boolean
  arbiterOnly?: boolean
  secondaryDelaySecs?: number
  tags?: Record<string, string>
}

export const MAX_VOTING_MEMBERS = 7
export const MAX_MEMBERS = 50

/** A member's config with the server's defaults filled in (priority 1, votes 1; arbiters priority 0). */
export function memberConfig(_id: number, spec: MemberSpec): MemberConfig {
  const arbiterOnly = spec.arbiterOnly === true
  return {
    _id,
    host: spec.host,
    arbiterOnly,
    buildIndexes: true,
    hidden: spec.hidden === true,
    priority: spec.priority ?? (arbiterOnly ? 0 : 1),
    tags: {...spec.tags},
    secondaryDelaySecs: spec.secondaryDelaySecs ?? 0,
    votes: spec.votes ?? 1,
  }
}

export function defaultSettings(replicaSetId: string, overrides: Partial<Pick<ReplSetSettings, 'electionTimeoutMillis' | 'heartbeatIntervalMillis' | 'chainingAllowed' | 'catchUpTimeoutMillis'>> = {}): ReplSetSettings {
  return {
    chainingAllowed: overrides.chainingAllowed ?? true,
    heartbeatIntervalMillis: overrides.heartbeatIntervalMillis ?? 2000,
    heartbeatTimeoutSecs: 10,
    electionTimeoutMillis: overrides.electionTimeoutMillis ?? 10_000,
    catchUpTimeoutMillis: overrides.catchUpTimeoutMillis ?? -1,
    catchUpTakeoverDelayMillis: 30_000,
    getLastErrorModes: {},
    getLastErrorDefaults: {w: 1, wtimeout: 0},
    replicaSetId: {$oid: replicaSetId},
  }
}

/** A MongoDB server error as the shell shows it: `MongoServerError: <errmsg>` with code and codeName. */
export class ServerError extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
  ) {
    super(message)
    this.name = 'MongoServerError'
  }
}

/** Error codes used here (src/mongo/base/error_codes.yml). */
export const ERRORS = {
  AlreadyInitialized: 23,
  NodeNotFound: 74,
  InvalidReplicaSetConfig: 93,
  NotYetInitialized: 94,
  NewReplicaSetConfigurationIncompatible: 103,
  ConfigurationInProgress: 109,
  AuthenticationFailed: 18,
  Unauthorized: 13,
  ExceededTimeLimit: 262,
  NotWritablePrimary: 10107,
  PrimarySteppedDown: 189,
  NotPrimaryOrSecondary: 13436,
  UserNotFound: 11,
  /** createUser of an existing user ("User ... already exists"). */
  Location51003: 51003,
} as const

export function serverError(codeName: keyof typeof ERRORS, message: string): ServerError {
  return new ServerError(ERRORS[codeName], codeName, message)
}

export function votingMembers(config: ReplSetConfig): MemberConfig[] {
  return config.members.filter((m) => m.votes > 0)
}

/** Votes needed to elect a primary or commit a write: a strict majority of the voting members. */
export function majorityOf(config: ReplSetConfig): number {
  return Math.floor(votingMembers(config).length / 2) + 1
}

/** Can stand for election: priority above 0 (priority 0 members never do), not an arbiter. */
export function isElectable(member: MemberConfig): boolean {
  return member.priority > 0 && !member.arbiterOnly && member.votes > 0
}

/**
 * Checks a config the way replSetInitiate / replSetReconfig validate it
 * (repl_set_config_checks.cpp): unique _ids and hosts, votes 0 or 1, a non-voting member has
 * priority 0, arbiters have priority 0, hidden and delayed members have priority 0, at most 7
 * voters and 50 members, at least one electable voter.
 */
export function validateConfig(config: ReplSetConfig): void {
  const invalid = (message: string) => serverError('InvalidReplicaSetConfig', message)
  if (config.members.length === 0) throw invalid('Replica set configuration must contain at least one member')
  if (config.members.length > MAX_MEMBERS) throw invalid(`Replica set configuration contains ${config.members.length} members, but must have no more than ${MAX_MEMBERS}`)
  const ids = new Set<number>()
  const hosts = new Set<string>()
  for (const member of config.members) {
    if (!Number.isInteger(member._id) || member._id < 0) throw invalid(`member _id ${member._id} must be a non-negative integer`)
    if (ids.has(member._id)) throw invalid(`Found two member configurations with same _id field, members.${member._id}`)
    ids.add(member._id)
    const host = member.host.toLowerCase()
    if (hosts.has(host)) throw invalid(`Found two member configurations with same host field, ${member.host}`)
    hosts.add(host)
    if (member.votes !== 0 && member.votes !== 1) throw invalid(`votes field value is ${member.votes} but must be 0 or 1 (member ${member.host})`)
    if (member.priority < 0 || member.priority > 1000) throw invalid(`priority field value of ${member.priority} is out of range (member ${member.host})`)
    if (member.votes === 0 && member.priority !== 0) throw invalid(`priority must be 0 when non-voting (votes:0) (member ${member.host})`)
    if (member.arbiterOnly && member.priority !== 0) throw invalid(`priority must be 0 for an arbiter (member ${member.host})`)
    if (member.hidden && member.priority !== 0) throw invalid(`priority must be 0 when hidden=true (member ${member.host})`)
    if (member.secondaryDelaySecs > 0 && member.priority !== 0) throw invalid(`priority must be 0 when secondaryDelaySecs is set (member ${member.host})`)
  }
  const voters = votingMembers(config).length
  if (voters > MAX_VOTING_MEMBERS) throw invalid(`Replica set configuration contains ${voters} voting members, but must be at least 1 and no more than ${MAX_VOTING_MEMBERS}`)
  if (voters === 0) throw invalid('Replica set configuration must contain at least one voting member')
  if (!config.members.some(isElectable)) throw invalid('Replica set configuration must contain at least one non-arbiter member with priority > 0')
}

/** The hosts whose vote differs between two configs (added or removed voters, votes changed). */
export function voterChanges(from: ReplSetConfig, to: ReplSetConfig): string[] {
  const voters = (config: ReplSetConfig) => new Set(votingMembers(config).map((m) => m.host.toLowerCase()))
  const a = voters(from)
  const b = voters(to)
  return [...[...a].filter((h) => !b.has(h)), ...[...b].filter((h) => !a.has(h))]
}
