import {fnv1a32} from '../controllers/template-hash.js'
import {Collections} from './collections.js'
import {isElectable, majorityOf, type MemberConfig, type ReplSetConfig} from './config.js'
import {electionOffsetMs, freshEnoughForTakeover, priorityTakeoverDelayMs, tallyVotes, type VoterView} from './election.js'
import {LOG, type LogLine} from './mongod-log.js'
import {Oplog, type OplogEntry} from './oplog.js'
import {compareOpTimes, type OpTime} from './optime.js'
import {lastAppliedOf, lastAppliedWall, type Member, type MemberState, type ReplicaSet, type RollbackEvent, sameEntry} from './state.js'
import {extendedJsonOf, storeObject} from './stored-document.js'
import {MONGODB_DEFAULTS, SIMULATION} from './timing.js'
import {nextWrites} from './workload.js'

export interface EngineTiming {
  /** Multiplies every MongoDB duration (config settings included). */
  timeScale: number
  defaultReplicationLagMs: number
  initialSyncMs: number
  rollbackMs: number
  oplogMaxEntries?: number
  maxDocumentsPerDatabase?: number
}

export interface EngineHooks {
  /** A mongod log line from a member (the data plane writes it to the member's pod log). */
  log(memberKey: string, line: LogLine, atMs: number): void
  /** The member a config host names, seen from the set's clusters; undefined when it resolves to none. */
  resolveHost(set: ReplicaSet, host: string): string | undefined
  /**
   * Whether the network lets `from`'s connections reach `to` (NetworkPolicies, pod-connections.ts);
   * asked for every pair of running members at each heartbeat round. Absent: every member reaches
   * every other.
   */
  reaches?(set: ReplicaSet, from: Member, to: Member): boolean
}

/** What changed since the last drain, for the persistence log. */
export interface EngineJournal {
  sets: Set<string>
  members: Set<string>
  /** Branch rebases: the set's oplog was cut back to `at` before the entries that follow. */
  truncations: Array<{set: string; at: number}>
  droppedMembers: Set<string>
}

const ROLLBACK_DOCUMENTS_KEPT = 10_000
/** The no-ops' `o` fields, encoded once. */
const PERIODIC_NOOP = storeObject({msg: 'periodic noop'})
const NEW_PRIMARY_NOOP = storeObject({msg: 'new primary'})

/** A voter the candidate reaches, with the member it is. */
interface LiveVoter extends VoterView {
  key: string
}

/**
 * The simulated replica sets and their members, advanced by `tick(now)`: the primary's writes,
 * replication with lag, heartbeats' consequences (a primary that cannot see a majority steps
 * down; secondaries that have not seen a primary for electionTimeoutMillis call an election),
 * elections under MongoDB's voting rules, priority takeover, and rollback of diverged writes when
 * an old primary rejoins. Deterministic for a given sequence of inputs and times.
 */
export class DataPlaneEngine {
  readonly members = new Map<string, Member>()
  readonly sets = new Map<string, ReplicaSet>()
  readonly journal: EngineJournal = {sets: new Set(), members: new Set(), truncations: [], droppedMembers: new Set()}
  /**
   * Per set, the links `FROM>TO` (member keys) the network drops, as the last heartbeat round
   * found them (the `reaches` hook). Not persisted: a restarted daemon finds them again in one round.
   */
  private readonly cutLinks = new Map<string, Set<string>>()

  constructor(
    private readonly hooks: EngineHooks,
    readonly timing: EngineTiming,
  ) {}

  // ---- time ---------------------------------------------------------------------------------

  electionTimeoutMs(set: ReplicaSet): number {
    return set.config.settings.electionTimeoutMillis * this.timing.timeScale
  }

  heartbeatMs(set: ReplicaSet): number {
    return set.config.settings.heartbeatIntervalMillis * this.timing.timeScale
  }

  private offsetMs(set: ReplicaSet, member: Member): number {
    return electionOffsetMs(fnv1a32(`${member.key}/${set.term}`), this.electionTimeoutMs(set), MONGODB_DEFAULTS.electionTimeoutOffsetFraction)
  }

  // ---- lookup -------------------------------------------------------------------------------

  setOf(member: Member): ReplicaSet | undefined {
    return member.setId ? this.sets.get(member.setId) : undefined
  }

  /** The config entry naming this member, if its set's config still includes it. */
  configOf(set: ReplicaSet, memberKey: string): MemberConfig | undefined {
    return set.config.members.find((m) => set.hostKeys.get(m.host.toLowerCase()) === memberKey)
  }

  /** Config members with the member each resolves to (undefined when unresolvable or unknown). */
  membersOf(set: ReplicaSet): Array<{config: MemberConfig; member?: Member}> {
    return set.config.members.map((config) => {
      const key = set.hostKeys.get(config.host.toLowerCase())
      const member = key ? this.members.get(key) : undefined
      return {config, member: member && member.setId === set.id ? member : undefined}
    })
  }

  hostOf(set: ReplicaSet, memberKey: string): string {
    return this.configOf(set, memberKey)?.host ?? memberKey
  }

  /**
   * Whether `from` reaches `to` (its heartbeats, vote requests and sync-source connections go
   * through), as of the set's last heartbeat round. A member always reaches itself.
   */
  sees(set: ReplicaSet, from: string, to: string): boolean {
    return from === to || !(this.cutLinks.get(set.id)?.has(linkKey(from, to)) ?? false)
  }

  primaryOf(set: ReplicaSet): Member | undefined {
    const primary = set.primary ? this.members.get(set.primary) : undefined
    return primary?.up && primary.state === 'PRIMARY' ? primary : undefined
  }

  // ---- changes from outside -----------------------------------------------------------------

  /** A member's mongod started or stopped (pod running, region up) at `now`. */
  setUp(key: string, up: boolean, now: number): void {
    const member = this.members.get(key)
    if (!member || member.up === up) return
    member.up = up
    if (up) {
      member.upSince = now
      member.downSince = undefined
      const set = this.setOf(member)
      // A set loaded from disk has not resolved its hosts yet.
      if (set && set.hostKeys.size === 0) this.resolveHosts(set)
      if (!set) this.transition(member, 'STARTUP', now)
      else if (!this.configOf(set, key)) this.transition(member, 'REMOVED', now)
      else this.transition(member, member.state === 'STARTUP2' ? 'STARTUP2' : 'SECONDARY', now)
      if (set) member.electionDeadline = now + this.electionTimeoutMs(set) + this.offsetMs(set, member)
    } else {
      member.downSince = now
      const set = this.setOf(member)
      if (set && set.primary === key) {
        set.primary = undefined
        this.journal.sets.add(set.id)
      }
      member.state = 'DOWN'
      member.stateSince = now
      member.takeoverAt = undefined
    }
    this.journal.members.add(key)
  }

  transition(member: Member, state: MemberState, now: number): void {
    if (member.state === state) return
    const old = member.state
    member.state = state
    member.stateSince = now
    if (old !== 'DOWN' || state !== 'STARTUP') this.hooks.log(member.key, LOG.stateTransition(old, state), now)
  }

  /** A set's config was installed or replaced: resolve its hosts and (re)join members. */
  installConfig(set: ReplicaSet, config: ReplSetConfig, now: number): void {
    set.config = config
    this.resolveHosts(set)
    for (const {member} of this.membersOf(set)) if (member) this.hooks.log(member.key, LOG.newConfig(config.version, config.term), now)
    for (const [host, key] of set.hostKeys) {
      if (!key) continue
      const member = this.members.get(key)
      if (member && member.setId !== set.id && this.config(set, host)) this.join(set, member, now)
    }
    for (const member of this.members.values()) {
      if (member.setId === set.id && !this.configOf(set, member.key) && member.up) this.transition(member, 'REMOVED', now)
      else if (member.setId === set.id && member.up && member.state === 'REMOVED') this.transition(member, 'SECONDARY', now)
    }
    const primary = this.primaryOf(set)
    if (primary && !this.configOf(set, primary.key)) this.stepDownPrimary(set, now, 'removed from the config', 0)
    this.journal.sets.add(set.id)
  }

  private config(set: ReplicaSet, host: string): MemberConfig | undefined {
    return set.config.members.find((m) => m.host.toLowerCase() === host)
  }

  /** A member joins a set: initial sync (STARTUP2) copies the data and the users. */
  private join(set: ReplicaSet, member: Member, now: number): void {
    member.setId = set.id
    member.applied = set.oplog.start
    member.tail = []
    member.users = []
    member.lastVoteTerm = -1
    if (member.up) {
      this.transition(member, 'STARTUP2', now)
      member.busyUntil = now + this.timing.initialSyncMs
      member.electionDeadline = now + this.electionTimeoutMs(set) + this.offsetMs(set, member)
    } else member.state = 'STARTUP2'
    this.journal.members.add(member.key)
  }

  /**
   * Maps the config's hosts to members. A name that stops resolving (its Service gone, its cluster
   * detached) keeps its member: DNS trouble makes a member unreachable, it does not remove it.
   */
  /**
   * Heartbeats tell each running member whether the config (still) includes it; a member with an
   * empty data directory whose host is in the config (its claim was replaced) receives the config
   * and initial-syncs, as a wiped member does.
   */
  private refreshMembership(set: ReplicaSet, now: number): void {
    // The config travels in heartbeats from the set's running members: a set none of whose members
    // runs (its pods and claims being deleted) sends nothing, so a new, empty mongod that happens
    // to get one of its host names (a set re-created under the same name) starts on its own.
    const sender = [...set.hostKeys.values()].some((key) => {
      const member = key ? this.members.get(key) : undefined
      return member !== undefined && member.up && member.setId === set.id
    })
    for (const key of set.hostKeys.values()) {
      const member = key ? this.members.get(key) : undefined
      if (sender && member && member.up && !member.setId && member.setName === set.name) this.join(set, member, now)
    }
    for (const member of this.members.values()) {
      if (member.setId !== set.id || !member.up) continue
      const included = this.configOf(set, member.key) !== undefined
      if (!included && member.state !== 'REMOVED') {
        if (set.primary === member.key) this.stepDownPrimary(set, now, 'removed from the config', 0)
        this.transition(member, 'REMOVED', now)
      } else if (included && member.state === 'REMOVED') this.transition(member, 'SECONDARY', now)
    }
  }

  resolveHosts(set: ReplicaSet): void {
    const next = new Map<string, string | undefined>()
    for (const m of set.config.members) {
      const host = m.host.toLowerCase()
      const key = this.hooks.resolveHost(set, m.host) ?? set.hostKeys.get(host)
      next.set(host, key && this.members.has(key) ? key : undefined)
    }
    set.hostKeys = next
  }

  // ---- the tick -----------------------------------------------------------------------------

  tick(now: number): void {
    for (const set of this.sets.values()) this.tickSet(set, now)
  }

  private tickSet(set: ReplicaSet, now: number): void {
    if (now - set.lastHeartbeatAt >= this.heartbeatMs(set)) {
      set.lastHeartbeatAt = now
      this.resolveHosts(set)
      for (const {member} of this.membersOf(set)) if (member?.up) member.lastHeartbeat = now
      this.probeLinks(set, now)
      this.refreshMembership(set, now)
    }
    this.checkPrimaryLiveness(set, now)
    const primary = this.primaryOf(set)
    if (primary) {
      this.generateWrites(set, now)
      const last = set.oplog.end > set.oplog.start ? set.oplog.wallAt(set.oplog.end - 1) : 0
      if (now - last >= MONGODB_DEFAULTS.periodicNoopIntervalMs * this.timing.timeScale) this.append(set, primary, {op: 'n', coll: '', id: '', doc: PERIODIC_NOOP}, now)
    } else set.lastWriteAt = now
    for (const {member} of this.membersOf(set)) if (member && member.up && member.key !== set.primary) this.replicate(set, member, now)
    this.elections(set, now)
  }

  /**
   * A heartbeat round: which running members' connections to which others the network drops. A
   * link that breaks is logged as mongod logs a member its heartbeats no longer reach.
   */
  private probeLinks(set: ReplicaSet, now: number): void {
    const reaches = this.hooks.reaches
    if (!reaches) return
    const live = this.membersOf(set).flatMap(({member}) => (member?.up ? [member] : []))
    const before = this.cutLinks.get(set.id)
    const cut = new Set<string>()
    for (const from of live) {
      for (const to of live) {
        if (from.key === to.key || reaches.call(this.hooks, set, from, to)) continue
        const key = linkKey(from.key, to.key)
        cut.add(key)
        if (!before?.has(key)) this.hooks.log(from.key, LOG.heartbeatFailed(this.hostOf(set, to.key), `Couldn't get a connection within the time limit`), now)
      }
    }
    if (cut.size > 0) this.cutLinks.set(set.id, cut)
    else this.cutLinks.delete(set.id)
  }

  /**
   * A primary that cannot see a majority of voters for electionTimeoutMillis steps down. A voter
   * counts when either direction works: mongod refreshes a member's liveness from its heartbeat
   * responses and from the position updates the member sends upstream.
   */
  private checkPrimaryLiveness(set: ReplicaSet, now: number): void {
    const primary = this.primaryOf(set)
    if (!primary) {
      set.majorityLostSince = undefined
      return
    }
    const seen = (member: Member) => this.sees(set, primary.key, member.key) || this.sees(set, member.key, primary.key)
    const votersUp = this.membersOf(set).filter(({config, member}) => config.votes > 0 && member?.up && seen(member)).length
    if (votersUp >= majorityOf(set.config)) {
      set.majorityLostSince = undefined
      return
    }
    set.majorityLostSince ??= now
    if (now - set.majorityLostSince >= this.electionTimeoutMs(set)) {
      this.stepDownPrimary(set, now, "can't see a majority of the set, relinquishing primary", 0)
    }
  }

  // ---- writes -------------------------------------------------------------------------------

  private generateWrites(set: ReplicaSet, now: number): void {
    const from = set.lastWriteAt || now
    set.lastWriteAt = now
    if (now <= from || set.writesPerSecond <= 0) return
    set.writeCarry += ((now - from) / 1000) * set.writesPerSecond
    const steps = Math.floor(set.writeCarry)
    set.writeCarry -= steps
    for (let k = 0; k < steps; k++) this.writeStep(set, from + ((k + 1) * (now - from)) / steps)
  }

  /** One step of the workload on the primary (used by the tick and to seed data in benchmarks). */
  writeStep(set: ReplicaSet, wallMs: number): void {
    const primary = set.primary ? this.members.get(set.primary) : undefined
    if (!primary) return
    const writes = nextWrites({database: set.database, seq: set.writeSeq++, wallMs, collections: set.data, recent: set.recent})
    const cap = this.timing.maxDocumentsPerDatabase ?? SIMULATION.maxDocumentsPerDatabase
    for (const write of writes) {
      if (write.op === 'i' && set.data.totalDocuments() >= cap) {
        // Retention: the services delete their oldest documents once a database is at its cap.
        const oldest = set.data.oldestId(write.coll)
        const before = oldest === undefined ? undefined : set.data.get(write.coll, oldest)
        if (oldest !== undefined && before !== undefined) this.append(set, primary, {op: 'd', coll: write.coll, id: oldest, prev: before}, wallMs)
      }
      const prev = write.op === 'i' ? undefined : set.data.get(write.coll, write.id)
      this.append(set, primary, {op: write.op, coll: write.coll, id: write.id, doc: write.doc, prev}, wallMs)
    }
  }

  /**
   * A client's write on the primary (mongorestore's inserts and oplog replay): logged and applied
   * exactly as the workload's writes are. False when the set has no primary to take it.
   */
  clientWrite(set: ReplicaSet, write: Pick<OplogEntry, 'op' | 'coll' | 'id' | 'doc' | 'prev'>, wallMs: number): boolean {
    const primary = set.primary ? this.members.get(set.primary) : undefined
    if (!primary) return false
    this.append(set, primary, write, wallMs)
    return true
  }

  private append(set: ReplicaSet, primary: Member, write: Pick<OplogEntry, 'op' | 'coll' | 'id' | 'doc' | 'prev'>, wallMs: number): void {
    let secs = Math.floor(wallMs / 1000)
    let ord = 1
    if (secs < set.lastTs.t) secs = set.lastTs.t
    if (secs === set.lastTs.t) ord = set.lastTs.i + 1
    set.lastTs = {t: secs, i: ord}
    const entry: OplogEntry = {secs, ord, term: set.term, wall: wallMs, op: write.op, coll: write.coll, id: write.id}
    if (write.doc !== undefined) entry.doc = write.doc
    if (write.prev !== undefined) entry.prev = write.prev
    set.oplog.append(entry)
    set.data.apply(entry)
    primary.applied = set.oplog.end
    set.oplog.forgetPrevAt(set.oplog.end - 1 - SIMULATION.undoWindowEntries)
    set.oplog.cap(this.timing.oplogMaxEntries ?? SIMULATION.oplogMaxEntries)
  }

  // ---- replication --------------------------------------------------------------------------

  lagOf(set: ReplicaSet, member: Member): number {
    const delay = (this.configOf(set, member.key)?.secondaryDelaySecs ?? 0) * 1000
    return this.timing.defaultReplicationLagMs + member.faultLagMs + delay
  }

  private replicate(set: ReplicaSet, member: Member, now: number): void {
    if (member.state === 'REMOVED' || member.state === 'DOWN') return
    if ((member.state === 'STARTUP2' || member.state === 'ROLLBACK') && member.busyUntil !== undefined && now < member.busyUntil) return
    const primary = this.primaryOf(set)
    // The sync source is the primary when the member can connect to it (chaining through another
    // secondary is not simulated); without one it waits, and an initial sync does not finish.
    const source = primary && this.sees(set, member.key, primary.key) ? primary : undefined
    if (member.state === 'STARTUP2') {
      if (primary && !source) return
      member.applied = source ? this.reachable(set, member, now) : set.oplog.end
      member.busyUntil = undefined
      this.hooks.log(member.key, LOG.initialSyncDone(), now)
      this.transition(member, 'SECONDARY', now)
      this.journal.members.add(member.key)
      return
    }
    if (member.state === 'ROLLBACK') {
      member.busyUntil = undefined
      this.transition(member, 'SECONDARY', now)
    }
    if (!source) return
    if (member.tail.length > 0) {
      this.rollBack(set, member, source, now)
      return
    }
    if (member.applied < set.oplog.start) {
      if (member.state !== 'RECOVERING') {
        this.hooks.log(member.key, LOG.tooStale(), now)
        this.transition(member, 'RECOVERING', now)
      }
      return
    }
    // Positions are persisted in batches by the data plane, not journalled per entry.
    const target = this.reachable(set, member, now)
    if (target > member.applied) member.applied = target
  }

  /** How far a member gets on the branch by now: every entry written at least its lag ago. */
  private reachable(set: ReplicaSet, member: Member, now: number): number {
    const from = Math.max(member.applied, set.oplog.start)
    return from + set.oplog.countUpToWall(from, set.oplog.end, now - this.lagOf(set, member))
  }

  /**
   * An old primary's writes that the set's branch does not have are rolled back (README
   * "Rollback"): recorded as rollback data (what MongoDB writes to <dbpath>/rollback/), summary
   * logged, the member goes ROLLBACK then SECONDARY and catches up from its common point.
   */
  private rollBack(set: ReplicaSet, member: Member, source: Member, now: number): void {
    const tail = member.tail
    const byNamespace: Record<string, number> = {}
    const documents: RollbackEvent['documents'] = []
    for (const entry of tail) {
      if (entry.op === 'n') continue
      const ns = `${set.database}.${entry.coll}`
      byNamespace[ns] = (byNamespace[ns] ?? 0) + 1
      const doc = entry.op === 'd' ? entry.prev : entry.doc
      if (doc !== undefined && documents.length < ROLLBACK_DOCUMENTS_KEPT) documents.push({ns, id: entry.id, doc: extendedJsonOf(doc)})
    }
    member.rbid++
    const last = tail[tail.length - 1]
    const commonPoint = set.oplog.opTimeBefore(member.applied)
    const event: RollbackEvent = {
      member: this.hostOf(set, member.key),
      at: now,
      rbid: member.rbid,
      syncSource: this.hostOf(set, source.key),
      commonPoint,
      lastRolledBack: {ts: {t: last.secs, i: last.ord}, t: last.term},
      entries: tail.length,
      byNamespace,
      dataDirectory: `${member.dbPath.replace(/\/+$/, '')}/rollback`,
      documents,
    }
    set.rollbacks.push(event)
    member.tail = []
    this.transition(member, 'ROLLBACK', now)
    member.busyUntil = now + this.timing.rollbackMs
    this.hooks.log(
      member.key,
      LOG.rollbackSummary({
        startTime: {$date: new Date(now).toISOString()},
        syncSource: event.syncSource,
        rollbackDataFileDirectory: event.dataDirectory,
        rbid: event.rbid,
        lastOptimeRolledBack: {ts: {$timestamp: event.lastRolledBack.ts}, t: event.lastRolledBack.t},
        commonPoint: {ts: {$timestamp: commonPoint.ts}, t: commonPoint.t},
        affectedNamespaces: Object.keys(byNamespace),
        totalEntriesRolledBackIncludingNoops: event.entries,
      }),
      now,
    )
    this.journal.sets.add(set.id)
    this.journal.members.add(member.key)
  }

  // ---- elections ----------------------------------------------------------------------------

  private elections(set: ReplicaSet, now: number): void {
    const primary = this.primaryOf(set)
    const timeout = this.electionTimeoutMs(set)
    const live = this.membersOf(set).filter((m): m is {config: MemberConfig; member: Member} => m.member !== undefined && m.member.up)
    // A member whose heartbeats reach the primary waits; one that has not heard from it for the
    // election time-out stands, whether or not the primary still runs on the other side.
    const hearsPrimary = (member: Member) => primary !== undefined && this.sees(set, member.key, primary.key)
    if (primary) {
      for (const {member} of live) if (member.key !== primary.key && hearsPrimary(member)) member.electionDeadline = now + timeout + this.offsetMs(set, member)
      this.priorityTakeovers(set, primary, live, now)
      if (this.primaryOf(set) !== primary || live.every(({member}) => member.key === primary.key || hearsPrimary(member))) return
    }
    const singleVoter = !primary && set.config.members.filter((m) => m.votes > 0).length === 1
    const candidates = live
      .filter(({config, member}) => isElectable(config) && member.state === 'SECONDARY' && member.frozenUntil <= now && !hearsPrimary(member))
      .filter(({member}) => singleVoter || (member.electionDeadline ?? Infinity) <= now)
      .sort((a, b) => (a.member.electionDeadline ?? 0) - (b.member.electionDeadline ?? 0) || b.config.priority - a.config.priority || a.member.key.localeCompare(b.member.key))
    for (const {member} of candidates) {
      if (this.runElection(set, member, now, {reason: 'electionTimeout'})) return
      member.electionDeadline = now + timeout + this.offsetMs(set, member)
    }
  }

  private priorityTakeovers(set: ReplicaSet, primary: Member, live: Array<{config: MemberConfig; member: Member}>, now: number): void {
    const primaryConfig = this.configOf(set, primary.key)
    if (!primaryConfig) return
    const primaryOpTime = lastAppliedOf(primary, set)
    const primaryWall = lastAppliedWall(primary, set)
    for (const {config, member} of live) {
      const eligible =
        member.key !== primary.key &&
        member.state === 'SECONDARY' &&
        this.sees(set, member.key, primary.key) &&
        isElectable(config) &&
        config.priority > primaryConfig.priority &&
        member.frozenUntil <= now &&
        freshEnoughForTakeover(lastAppliedOf(member, set), lastAppliedWall(member, set), primaryOpTime, primaryWall, MONGODB_DEFAULTS.priorityTakeoverFreshnessMs)
      if (!eligible) {
        member.takeoverAt = undefined
        continue
      }
      member.takeoverAt ??= now + priorityTakeoverDelayMs(set.config, config, this.electionTimeoutMs(set)) + this.offsetMs(set, member)
      if (now >= member.takeoverAt) {
        member.takeoverAt = undefined
        if (this.runElection(set, member, now, {reason: 'priorityTakeover'})) return
      }
    }
  }

  /** The voters a candidate can reach: up members of the config with their last OpTimes. */
  private voters(set: ReplicaSet): LiveVoter[] {
    const primary = this.primaryOf(set)
    const primaryPriority = primary ? this.configOf(set, primary.key)?.priority : undefined
    return this.membersOf(set)
      .filter((m): m is {config: MemberConfig; member: Member} => m.member !== undefined && m.member.up && m.member.state !== 'REMOVED')
      .map(({config, member}) => ({member: config, lastApplied: lastAppliedOf(member, set), lastVoteTerm: member.lastVoteTerm, healthyPrimaryPriority: primaryPriority, key: member.key}))
  }

  /**
   * A dry run, then the real election in term + 1 (README "Candidate Perspective"); with
   * `handoff` (rs.stepDown's election handoff) the dry run is skipped. Returns true when won.
   */
  runElection(set: ReplicaSet, candidate: Member, now: number, options: {reason: 'electionTimeout' | 'priorityTakeover' | 'stepUpRequestSkipDryRun'}): boolean {
    const config = this.configOf(set, candidate.key)
    if (!config) return false
    const view = {member: config, lastApplied: lastAppliedOf(candidate, set)}
    // Vote requests go out from the candidate: only the voters it reaches answer.
    const voters = this.voters(set).filter((voter) => this.sees(set, candidate.key, voter.key))
    const term = set.term + 1
    if (options.reason === 'priorityTakeover') this.hooks.log(candidate.key, LOG.priorityTakeover(term), now)
    else if (options.reason === 'electionTimeout') this.hooks.log(candidate.key, LOG.startingElection(set.config.settings.electionTimeoutMillis, term), now)
    if (options.reason !== 'stepUpRequestSkipDryRun') {
      const dry = tallyVotes(set.config, view, voters, term, true)
      if (dry.votes < dry.needed) {
        this.hooks.log(candidate.key, LOG.dryRunFailed(dry.votes, dry.needed), now)
        return false
      }
    }
    const real = tallyVotes(set.config, view, voters, term, false)
    // Voters record their vote durably (local.replset.election) whether or not the candidate wins.
    set.term = term
    candidate.lastVoteTerm = term
    for (const voter of voters) {
      const member = this.members.get(voter.key)
      if (member && member.key !== candidate.key && compareOpTimes(view.lastApplied, voter.lastApplied) >= 0 && voter.lastVoteTerm < term) {
        member.lastVoteTerm = term
        this.journal.members.add(member.key)
      }
    }
    this.journal.sets.add(set.id)
    if (real.votes < real.needed) return false
    this.becomePrimary(set, candidate, now)
    return true
  }

  /** The winner's branch becomes the set's branch; the old primary (if any) steps down. */
  becomePrimary(set: ReplicaSet, winner: Member, now: number): void {
    const old = set.primary ? this.members.get(set.primary) : undefined
    if (old && old.key !== winner.key && old.state === 'PRIMARY') {
      this.hooks.log(old.key, LOG.steppingDown('a newer term was seen'), now)
      this.transition(old, old.up ? 'SECONDARY' : 'DOWN', now)
    }
    this.rebaseOnto(set, winner)
    set.primary = winner.key
    set.primarySince = now
    set.electedAt = now
    set.majorityLostSince = undefined
    set.lastWriteAt = now
    winner.takeoverAt = undefined
    this.hooks.log(winner.key, LOG.electionSucceeded(set.term), now)
    this.transition(winner, 'PRIMARY', now)
    // The "new primary" no-op lets the commit point reach entries of earlier terms (README
    // "Transitioning to PRIMARY").
    this.append(set, winner, {op: 'n', coll: '', id: '', doc: NEW_PRIMARY_NOOP}, now)
    this.journal.members.add(winner.key)
  }

  /**
   * Makes `winner`'s history the set's branch: entries of the old branch it lacks are undone
   * from the data and kept as tails of the members that have them (they roll back when they
   * next sync); the winner's own tail becomes part of the branch.
   */
  private rebaseOnto(set: ReplicaSet, winner: Member): void {
    const cut = winner.applied
    const extra = winner.tail
    if (extra.length === 0 && cut === set.oplog.end) return
    const removed = set.oplog.slice(cut)
    const newBranchAt = (index: number): OplogEntry | undefined => (index < cut ? set.oplog.get(index) : extra[index - cut])
    for (const member of this.members.values()) {
      if (member.setId !== set.id || member.key === winner.key) continue
      if (member.applied > cut) {
        member.tail = [...removed.slice(0, member.applied - cut), ...member.tail]
        member.applied = cut
      }
      let common = 0
      while (common < member.tail.length) {
        const onBranch = newBranchAt(member.applied + common)
        if (!onBranch || !sameEntry(onBranch, member.tail[common])) break
        common++
      }
      if (common > 0 || member.tail.length > 0) {
        member.applied += common
        member.tail = member.tail.slice(common)
        this.journal.members.add(member.key)
      }
    }
    for (let i = removed.length - 1; i >= 0; i--) set.data.undo(removed[i])
    set.oplog.truncateFrom(cut)
    this.journal.truncations.push({set: set.id, at: cut})
    for (const entry of extra) {
      set.oplog.append(entry)
      set.data.apply(entry)
    }
    const last = set.oplog.end > set.oplog.start ? set.oplog.get(set.oplog.end - 1) : undefined
    if (last && (last.secs > set.lastTs.t || (last.secs === set.lastTs.t && last.ord > set.lastTs.i))) set.lastTs = {t: last.secs, i: last.ord}
    winner.applied = set.oplog.end
    winner.tail = []
  }

  /** Primary -> SECONDARY; `freezeMs` keeps it from standing again (rs.stepDown's stepDownSecs). */
  stepDownPrimary(set: ReplicaSet, now: number, reason: string, freezeMs: number): Member | undefined {
    const primary = set.primary ? this.members.get(set.primary) : undefined
    if (!primary) return undefined
    this.hooks.log(primary.key, LOG.steppingDown(reason), now)
    set.primary = undefined
    primary.frozenUntil = now + freezeMs
    this.transition(primary, primary.up ? (this.configOf(set, primary.key) ? 'SECONDARY' : 'REMOVED') : 'DOWN', now)
    for (const {member} of this.membersOf(set)) if (member && member.up) member.electionDeadline = now + this.electionTimeoutMs(set) + this.offsetMs(set, member)
    this.journal.sets.add(set.id)
    this.journal.members.add(primary.key)
    return primary
  }

  /** Majority commit point: the newest entry a majority of voters has applied on the branch. */
  commitPoint(set: ReplicaSet): OpTime {
    const applied = this.membersOf(set)
      .filter(({config, member}) => config.votes > 0 && member)
      .map(({member}) => (member as Member).applied)
      .sort((a, b) => b - a)
    const index = applied[majorityOf(set.config) - 1]
    return index === undefined ? set.oplog.opTimeBefore(set.oplog.start) : set.oplog.opTimeBefore(index)
  }

  // ---- creation -----------------------------------------------------------------------------

  createSet(options: {id: string; config: ReplSetConfig; clusterSet: string; homeCluster: string; homeNamespace: string; database: string; users: ReplicaSet['users']; now: number}): ReplicaSet {
    const set: ReplicaSet = {
      id: options.id,
      name: options.config._id,
      clusterSet: options.clusterSet,
      homeCluster: options.homeCluster,
      homeNamespace: options.homeNamespace,
      database: options.database,
      config: options.config,
      term: 0,
      oplog: new Oplog(),
      data: new Collections(),
      users: options.users,
      rollbacks: [],
      writeSeq: 0,
      lastTs: {t: 0, i: 0},
      writeCarry: 0,
      lastWriteAt: options.now,
      writesPerSecond: 0,
      recent: new Map(),
      hostKeys: new Map(),
      lastHeartbeatAt: options.now,
    }
    this.sets.set(set.id, set)
    this.journal.sets.add(set.id)
    return set
  }

  dropMember(key: string): void {
    const member = this.members.get(key)
    if (!member) return
    const set = this.setOf(member)
    if (set?.primary === key) set.primary = undefined
    this.members.delete(key)
    this.journal.droppedMembers.add(key)
  }

  drainJournal(): EngineJournal {
    const drained = {sets: this.journal.sets, members: this.journal.members, truncations: this.journal.truncations, droppedMembers: this.journal.droppedMembers}
    this.journal.sets = new Set()
    this.journal.members = new Set()
    this.journal.truncations = []
    this.journal.droppedMembers = new Set()
    return drained
  }
}

const linkKey = (from: string, to: string): string => `${from}>${to}`

export function newMember(key: string, placement: Member['placement'], setName: string, port: number, now: number, dbPath = '/data/db'): Member {
  return {
    key,
    placement,
    setName,
    port,
    dbPath,
    users: [],
    createdAt: now,
    applied: 0,
    tail: [],
    lastVoteTerm: -1,
    rbid: 0,
    up: false,
    upSince: now,
    auth: false,
    bindAll: true,
    state: 'DOWN',
    stateSince: now,
    frozenUntil: 0,
    faultLagMs: 0,
  }
}
