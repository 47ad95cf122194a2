import {hashCollections} from '../../../formats/content-hash/content-hash.js'
import type {MemberSpec, ReplSetConfig} from '../config.js'
import {formatTimestamp} from '../optime.js'
import {nextReconfigStep} from '../reconfig-plan.js'
import type {Session} from './session.js'
import {transientBsonViews} from '../stored-document.js'

/**
 * The ops scripts of templates/mongodb/ops/, performed on the simulated data plane: each function
 * follows its script step by step (same reads, same decisions, same result JSON and verdict), so a
 * Job behaves locally as it would against real mongod. Errors thrown here end the op as the
 * scripts' catch-all does: `{op, ok: false, error: {code, codeName, message}}`, exit 1.
 */

export interface OpContext {
  session: Session
  params: Record<string, unknown>
  credentials?: {user: string; password?: string}
  /** `new Mongo('mongodb://HOST/?directConnection=true...')` from the Job's pod, authenticated. */
  connect(host: string): Session
}

export interface OpOutcome {
  result: Record<string, unknown>
  verdict: string
  exitCode: number
}

export type OpName = 'status' | 'initiate' | 'reconfigure' | 'step-down' | 'force-reconfigure' | 'hashes'
/** Every script's operation: the OPS above connect first; status-all runs with --nodb (status-all.ts). */
export type ScriptOp = OpName | 'status-all' | 'app-user'

export const OPS: Record<OpName, (context: OpContext) => OpOutcome> = {
  status: statusOp,
  initiate: initiateOp,
  reconfigure: reconfigureOp,
  'step-down': stepDownOp,
  'force-reconfigure': forceReconfigureOp,
  hashes: hashesOp,
}

const finish = (result: Record<string, unknown>, verdict: string, exitCode = 0): OpOutcome => ({result, verdict, exitCode})

function authenticate(context: OpContext, session: Session): void {
  if (context.credentials) session.auth(context.credentials.user, context.credentials.password)
}

const isoOf = (value: unknown): string | null => (value === undefined || value === null ? null : new Date(value as string).toISOString())

interface StatusMember {
  _id: number
  name: string
  health: number
  stateStr: string
  optime: {ts: string}
  optimeDate: string
  self?: boolean
}

export function statusOp(context: OpContext): OpOutcome {
  const {session, params} = context
  const maxLag = params.maxLagSeconds === undefined ? 10 : Number(params.maxLagSeconds)
  authenticate(context, session)
  const hello = session.hello()
  let status: Record<string, unknown>
  try {
    status = session.rsStatus()
  } catch (error) {
    if ((error as {codeName?: string}).codeName !== 'NotYetInitialized') throw error
    return finish({op: 'status', ok: true, initiated: false, verdict: 'not-initiated', problems: ['the replica set is not initiated'], connectedTo: hello.me ?? null, set: null, members: []}, 'status: not initiated')
  }
  const conf = session.rsConf()
  const statusMembers = status.members as StatusMember[]
  const primaryStatus = statusMembers.find((m) => m.stateStr === 'PRIMARY')
  const healthy = statusMembers.filter((m) => m.health === 1)
  const newest = primaryStatus ? Date.parse(primaryStatus.optimeDate) : Math.max(0, ...healthy.map((m) => Date.parse(m.optimeDate)))
  const members = statusMembers.map((m) => {
    const config = conf.members.find((c) => c._id === m._id)
    const applied = Date.parse(m.optimeDate)
    return {
      _id: m._id,
      host: m.name,
      state: m.health === 1 ? m.stateStr : 'DOWN',
      health: m.health,
      priority: config?.priority,
      votes: config?.votes,
      hidden: config?.hidden === true,
      arbiterOnly: config?.arbiterOnly === true,
      optime: m.health === 1 ? m.optime.ts : null,
      optimeDate: m.health === 1 ? isoOf(m.optimeDate) : null,
      lagSeconds: m.health === 1 && m.stateStr !== 'PRIMARY' && m.stateStr !== 'ARBITER' ? Math.max(0, Math.round((newest - applied) / 1000)) : m.stateStr === 'PRIMARY' ? 0 : null,
      self: m.self === true,
      rbid: null as number | null,
      unreachable: undefined as string | undefined,
    }
  })
  const rollbacks: Array<Record<string, unknown>> = []
  for (const member of members) {
    if (member.health !== 1 || member.arbiterOnly) continue
    try {
      const connection = member.self ? session : context.connect(member.host)
      member.rbid = connection.rbid()
      for (const event of connection.rollbackSummaries()) {
        rollbacks.push({
          member: member.host,
          at: new Date(event.at).toISOString(),
          rbid: event.rbid,
          syncSource: event.syncSource,
          commonPoint: formatTimestamp(event.commonPoint.ts),
          lastRolledBack: formatTimestamp(event.lastRolledBack.ts),
          entries: event.entries,
          namespaces: Object.keys(event.byNamespace),
          dataDirectory: event.dataDirectory,
        })
      }
    } catch (error) {
      member.unreachable = String((error as Error).message ?? error)
    }
  }
  const cleaned = members.map(({unreachable, ...rest}) => (unreachable === undefined ? rest : {...rest, unreachable}))
  const info = session.replicationInfo()
  const problems: string[] = []
  for (const member of members) {
    if (member.health !== 1) problems.push(`${member.host}: ${member.state}`)
    else if (!['PRIMARY', 'SECONDARY', 'ARBITER'].includes(member.state)) problems.push(`${member.host}: ${member.state}`)
    else if (member.lagSeconds !== null && member.lagSeconds > maxLag) problems.push(`${member.host}: lag ${member.lagSeconds}s > ${maxLag}s`)
  }
  const verdict = !primaryStatus ? 'no-primary' : problems.length === 0 ? 'healthy' : 'degraded'
  const allProblems = primaryStatus ? problems : ['no PRIMARY', ...problems]
  const voters = conf.members.filter((m) => m.votes > 0)
  const database = typeof params.database === 'string' && params.database ? params.database : null
  const result = {
    op: 'status',
    ok: true,
    initiated: true,
    verdict,
    problems: allProblems,
    connectedTo: hello.me,
    set: status.set,
    term: status.term,
    configVersion: conf.version,
    settings: {electionTimeoutMillis: conf.settings.electionTimeoutMillis, heartbeatIntervalMillis: conf.settings.heartbeatIntervalMillis},
    primary: primaryStatus ? primaryStatus.name : null,
    majority: {votingMembers: voters.length, needed: status.majorityVoteCount, healthyVoters: members.filter((m) => (m.votes ?? 0) > 0 && m.health === 1).length},
    members: cleaned,
    oplog: {first: info.first ?? null, last: info.last ?? null, firstDate: isoOf(info.tFirst), lastDate: isoOf(info.tLast), windowSeconds: info.timeDiff},
    database,
    collections: database ? session.collectionStats(database) : [],
    rollbacks,
    ...(typeof params.writesSince === 'string' && database ? {writesSince: {after: params.writesSince, ...session.writesSince(database, parseWritesSince(params.writesSince))}} : {}),
  }
  const lead = primaryStatus ? `primary ${primaryStatus.name}` : 'no primary'
  return finish(result, `status: ${verdict} (${lead}${allProblems.length ? `; ${allProblems.join('; ')}` : ''})`)
}

const MEMBER_FIELDS = ['priority', 'votes', 'hidden', 'arbiterOnly', 'secondaryDelaySecs', 'tags'] as const

function memberSpecs(value: unknown): MemberSpec[] | undefined {
  return Array.isArray(value) && value.length > 0 ? (value as MemberSpec[]) : undefined
}

function summary(conf: ReplSetConfig): Record<string, unknown> {
  return {set: conf._id, configVersion: conf.version, members: conf.members.map((m) => ({host: m.host, priority: m.priority, votes: m.votes}))}
}

function initiateOp(context: OpContext): OpOutcome {
  const {session, params} = context
  const members = memberSpecs(params.members)
  if (!params.set || !members) throw new Error('OP_PARAMS needs "set" and a non-empty "members" list')
  authenticate(context, session)
  let initiated = true
  try {
    session.rsStatus()
  } catch (error) {
    if ((error as {codeName?: string}).codeName !== 'NotYetInitialized') throw error
    initiated = false
  }
  if (initiated) {
    const conf = session.rsConf()
    if (conf._id !== params.set) throw new Error(`this member belongs to replica set ${conf._id}, not ${String(params.set)}`)
    return finish({op: 'initiate', ok: true, changed: false, ...summary(conf), primary: session.hello().primary ?? null}, `initiate: no change (${conf._id} is already initiated)`)
  }
  const config = {
    _id: String(params.set),
    members: members.map((spec, id) => {
      const member: MemberSpec & {_id: number} = {_id: id, host: spec.host}
      for (const field of MEMBER_FIELDS) if (spec[field] !== undefined) (member as unknown as Record<string, unknown>)[field] = spec[field]
      return member
    }),
    ...(params.settings ? {settings: params.settings as Record<string, number>} : {}),
  }
  session.rsInitiate(config)
  const conf = session.rsConf()
  return finish({op: 'initiate', ok: true, changed: true, ...summary(conf), primary: session.hello().primary ?? null}, `initiate: initiated ${conf._id} with ${conf.members.length} members`)
}

function stepDownOp(context: OpContext): OpOutcome {
  const {session, params} = context
  if (!params.expectedPrimary) throw new Error('OP_PARAMS needs "expectedPrimary": the member to step down')
  authenticate(context, session)
  const before = session.hello() as {primary?: string; isWritablePrimary?: boolean; me?: string; setName?: string}
  if (!before.primary) return finish({op: 'step-down', ok: true, changed: false, reason: 'no primary', primaryBefore: null, primaryAfter: null}, 'step-down: no change (no primary)')
  if (before.primary !== params.expectedPrimary) {
    const reason = `primary is ${before.primary}, not ${String(params.expectedPrimary)}`
    return finish({op: 'step-down', ok: true, changed: false, reason, primaryBefore: before.primary, primaryAfter: before.primary}, `step-down: no change (${reason})`)
  }
  if (!before.isWritablePrimary) throw new Error(`connected to ${before.me}, not to the primary ${before.primary}: connect with replicaSet=${before.setName}`)
  session.rsStepDown(params.stepDownSecs === undefined ? 60 : Number(params.stepDownSecs), params.secondaryCatchUpPeriodSecs === undefined ? 10 : Number(params.secondaryCatchUpPeriodSecs))
  const now = session.hello() as {primary?: string}
  const after = now.primary && now.primary !== before.primary ? now.primary : null
  return finish({op: 'step-down', ok: true, changed: true, primaryBefore: before.primary, primaryAfter: after}, `step-down: ${before.primary} stepped down; primary now ${after ?? 'not yet elected'}`)
}

function reconfigureOp(context: OpContext): OpOutcome {
  const {session, params} = context
  const desired = memberSpecs(params.members)
  if (!desired) throw new Error('OP_PARAMS needs a non-empty "members" list: the desired members')
  authenticate(context, session)
  const hello = session.hello() as {isWritablePrimary?: boolean; me?: string; primary?: string; setName?: string}
  if (!hello.isWritablePrimary) {
    throw Object.assign(new Error(`connected to ${hello.me}, which is not the primary (${hello.primary ?? 'none'}): connect with replicaSet=${hello.setName}`), {codeName: 'NotWritablePrimary'})
  }
  const steps: Array<{version: number; changes: string[]}> = []
  for (let round = 0; round < 20; round++) {
    const conf = session.rsConf()
    const step = nextReconfigStep(conf, desired, hello.primary)
    if (step === undefined) break
    if ('error' in step) throw new Error(step.error)
    session.rsReconfig({...conf, members: step.config.members, version: conf.version + 1}, false)
    steps.push({version: conf.version + 1, changes: step.changes})
    if (!session.configCommitted()) throw new Error('the new config was not committed to a majority in time')
  }
  const conf = session.rsConf()
  const verdict = steps.length === 0 ? 'reconfigure: no change (already in the desired shape)' : `reconfigure: ${steps.length} step${steps.length === 1 ? '' : 's'} to config version ${conf.version}`
  return finish({op: 'reconfigure', ok: true, changed: steps.length > 0, steps, configVersion: conf.version, members: conf.members.map((m) => ({host: m.host, priority: m.priority, votes: m.votes, hidden: m.hidden}))}, verdict)
}

function forceReconfigureOp(context: OpContext): OpOutcome {
  const {session, params} = context
  const specs = memberSpecs(params.members)
  if (!specs) throw new Error('OP_PARAMS needs a non-empty "members" list: the members to keep')
  authenticate(context, session)
  const desired = specs.map((d) => ({host: d.host, priority: d.priority === undefined ? 1 : d.priority, votes: d.votes === undefined ? 1 : d.votes}))
  const conf = session.rsConf()
  const short = (c: ReplSetConfig) => c.members.map((m) => ({host: m.host, priority: m.priority, votes: m.votes}))
  const applied = conf.members.length === desired.length && desired.every((d) => conf.members.some((m) => m.host.toLowerCase() === d.host.toLowerCase() && m.priority === d.priority && m.votes === d.votes))
  if (applied) return finish({op: 'force-reconfigure', ok: true, changed: false, configVersion: conf.version, members: short(conf)}, 'force-reconfigure: no change (already applied)')
  const primary = (session.rsStatus().members as StatusMember[]).find((m) => m.stateStr === 'PRIMARY')
  if (primary) throw new Error(`${primary.name} is PRIMARY: a forced reconfiguration is only for a set that has lost its majority`)
  let nextId = Math.max(...conf.members.map((m) => m._id)) + 1
  const members = desired.map((d) => {
    const existing = conf.members.find((m) => m.host.toLowerCase() === d.host.toLowerCase())
    return existing ? {...existing, priority: d.priority, votes: d.votes} : {_id: nextId++, host: d.host, priority: d.priority, votes: d.votes}
  })
  const removed = conf.members.filter((m) => !desired.some((d) => d.host.toLowerCase() === m.host.toLowerCase())).map((m) => m.host)
  session.rsReconfig({...conf, members}, true)
  const after = session.rsConf()
  return finish(
    {op: 'force-reconfigure', ok: true, changed: true, configVersion: after.version, members: short(after), removed},
    `force-reconfigure: forced config version ${after.version} with ${members.length} members (removed ${removed.join(', ') || 'none'})`,
  )
}

/**
 * hashes.js: per collection, the count and the summed SHA-256 of each document's BSON. The
 * simulated members keep each document's BSON bytes, exactly what the script's raw find hands
 * back, and they are hashed with the catalog's own function.
 */
function hashesOp(context: OpContext): OpOutcome {
  const {session, params} = context
  if (typeof params.database !== 'string' || !params.database) throw new Error('OP_PARAMS needs "database": the application database to hash')
  const database = params.database
  authenticate(context, session)
  const found = session.collectionDocuments(database)
  const hashes = hashCollections(
    // One document's bytes at a time, in one reused buffer (the hash keeps nothing of them).
    found.map((c) => ({ns: `${database}.${c.name}`, documents: transientBsonViews(c.documents)})),
  )
  const collections = found.map((c) => {
    const hash = hashes[`${database}.${c.name}`]
    return {name: c.name, count: hash.documents, hash: hash.sha256Sum}
  })
  const documents = collections.reduce((total, c) => total + c.count, 0)
  return finish({op: 'hashes', ok: true, database, collections}, `hashes: ${collections.length} collections, ${documents} documents in ${database}`)
}

/** status.js splits SECONDS:ORDINAL the same way (a malformed one fails the script, as Timestamp would). */
function parseWritesSince(text: string): {t: number; i: number} {
  const match = /^(\d+):(\d+)$/.exec(text)
  if (!match) throw new Error(`writesSince "${text}" is not SECONDS:ORDINAL`)
  return {t: Number(match[1]), i: Number(match[2])}
}
