// mygate database operation "status" (mongosh --file; contract: templates/mongodb/ops/README.md).
// Reads rs.status(), rs.conf(), the oplog window, each reachable member's rollback history and the
// application database's collections; changes nothing. Prints the result as one JSON object on the
// last line of stdout and a short verdict to /dev/termination-log.
/* global Timestamp -- mongosh's BSON Timestamp constructor (https://www.mongodb.com/docs/mongodb-shell/reference/data-types/#timestamp) */
'use strict'

const OP = 'status'
const params = JSON.parse(process.env.OP_PARAMS || '{}')
const MAX_LAG_SECONDS = params.maxLagSeconds === undefined ? 10 : params.maxLagSeconds

function finish(result, verdict, exitCode) {
  try {
    require('fs').writeFileSync('/dev/termination-log', verdict.slice(0, 4000))
  } catch {
    // The termination message is best effort; the log line below is the result.
  }
  print(JSON.stringify(result))
  quit(exitCode)
}

function authenticate(connection) {
  if (process.env.MONGO_USERNAME) connection.getDB('admin').auth(process.env.MONGO_USERNAME, process.env.MONGO_PASSWORD)
}

function tsText(ts) {
  return ts ? `${ts.t}:${ts.i}` : null
}

// A timestamp as the log's relaxed Extended JSON writes it ({$timestamp: {t, i}}), as SECONDS:ORDINAL.
function logTs(value) {
  if (!value) return null
  if (typeof value === 'string') return value
  const ts = value.$timestamp || value
  return `${ts.t}:${ts.i}`
}

function isoOf(date) {
  return date ? new Date(date).toISOString() : null
}

function collectionStats(database) {
  return database
    .getCollectionNames()
    .filter((name) => !name.startsWith('system.'))
    .sort()
    .map((name) => {
      const collection = database.getCollection(name)
      const stats = collection.aggregate([{$collStats: {storageStats: {}}}]).toArray()[0]
      return {name, count: collection.countDocuments({}), sizeBytes: stats ? stats.storageStats.size : 0}
    })
}

// Writes to the application database recorded in the oplog after `after` (SECONDS:ORDINAL):
// inserts, updates and deletes each count, so an update in place counts where a document count
// would not. Incomplete when the capped oplog no longer reaches back to `after`. Operations inside
// a transaction are one applyOps entry each ('c'), counted by their inner operations.
function writesSince(database, after) {
  const [t, i] = after.split(':').map(Number)
  const oplog = db.getSiblingDB('local').getCollection('oplog.rs')
  const first = oplog.find({}, {ts: 1}).sort({$natural: 1}).limit(1).toArray()[0]
  const counts = {inserts: 0, updates: 0, deletes: 0}
  const kinds = {i: 'inserts', u: 'updates', d: 'deletes'}
  const count = (entry) => {
    if (kinds[entry.op] && typeof entry.ns === 'string' && entry.ns.startsWith(`${database}.`)) counts[kinds[entry.op]]++
    if (entry.op === 'c' && entry.o && Array.isArray(entry.o.applyOps)) entry.o.applyOps.forEach(count)
  }
  oplog.find({ts: {$gt: Timestamp({t, i})}, op: {$in: ['i', 'u', 'd', 'c']}}).forEach(count)
  const complete = first !== undefined && (first.ts.t < t || (first.ts.t === t && first.ts.i <= i))
  return {after, ...counts, complete}
}

// The member's own rollback summaries, from its in-memory log (getLog keeps the newest 1024 lines).
function rollbacksOf(connection, host) {
  const out = []
  for (const line of connection.getDB('admin').adminCommand({getLog: 'global'}).log) {
    let entry
    try {
      entry = JSON.parse(line)
    } catch {
      continue
    }
    if (entry.msg !== 'Rollback summary') continue
    const attr = entry.attr || {}
    out.push({
      member: host,
      at: isoOf(entry.t && entry.t.$date),
      rbid: attr.rbid,
      syncSource: attr.syncSource,
      commonPoint: attr.commonPoint ? logTs(attr.commonPoint.ts) : null,
      lastRolledBack: attr.lastOptimeRolledBack ? logTs(attr.lastOptimeRolledBack.ts) : null,
      entries: attr.totalEntriesRolledBackIncludingNoops,
      namespaces: attr.affectedNamespaces || [],
      dataDirectory: attr.rollbackDataFileDirectory,
    })
  }
  return out
}

function connectTo(host) {
  const connection = new Mongo(`mongodb://${host}/?directConnection=true&readPreference=secondaryPreferred`)
  authenticate(connection)
  return connection
}

// healthy / degraded / no-primary, with the problems that make it so.
function verdictOf(members, primary) {
  const problems = []
  for (const member of members) {
    if (member.health !== 1) problems.push(`${member.host}: ${member.state}`)
    else if (!['PRIMARY', 'SECONDARY', 'ARBITER'].includes(member.state)) problems.push(`${member.host}: ${member.state}`)
    else if (member.lagSeconds !== null && member.lagSeconds > MAX_LAG_SECONDS) problems.push(`${member.host}: lag ${member.lagSeconds}s > ${MAX_LAG_SECONDS}s`)
  }
  if (!primary) return {verdict: 'no-primary', problems: ['no PRIMARY', ...problems]}
  return {verdict: problems.length === 0 ? 'healthy' : 'degraded', problems}
}

function main() {
  authenticate(db.getMongo())
  db.getMongo().setReadPref('primaryPreferred')
  const hello = db.hello()
  let status
  try {
    status = rs.status()
  } catch (error) {
    if (error.codeName !== 'NotYetInitialized') throw error
    const result = {op: OP, ok: true, initiated: false, verdict: 'not-initiated', problems: ['the replica set is not initiated'], connectedTo: hello.me || null, set: null, members: []}
    return finish(result, 'status: not initiated', 0)
  }
  const conf = rs.conf()
  const primaryStatus = status.members.find((m) => m.stateStr === 'PRIMARY')
  const healthy = status.members.filter((m) => m.health === 1)
  const newest = primaryStatus ? new Date(primaryStatus.optimeDate).getTime() : Math.max(0, ...healthy.map((m) => new Date(m.optimeDate).getTime()))
  const members = status.members.map((m) => {
    const config = conf.members.find((c) => c._id === m._id) || {}
    const applied = new Date(m.optimeDate).getTime()
    return {
      _id: m._id,
      host: m.name,
      state: m.health === 1 ? m.stateStr : 'DOWN',
      health: m.health,
      priority: config.priority,
      votes: config.votes,
      hidden: config.hidden === true,
      arbiterOnly: config.arbiterOnly === true,
      optime: m.health === 1 ? tsText(m.optime.ts) : null,
      optimeDate: m.health === 1 ? isoOf(m.optimeDate) : null,
      lagSeconds: m.health === 1 && m.stateStr !== 'PRIMARY' && m.stateStr !== 'ARBITER' ? Math.max(0, Math.round((newest - applied) / 1000)) : m.stateStr === 'PRIMARY' ? 0 : null,
      self: m.self === true,
      rbid: null,
    }
  })
  const rollbacks = []
  for (const member of members) {
    if (member.health !== 1 || member.arbiterOnly) continue
    try {
      const connection = member.self ? db.getMongo() : connectTo(member.host)
      member.rbid = connection.getDB('admin').serverStatus().repl.rbid
      rollbacks.push(...rollbacksOf(connection, member.host))
    } catch (error) {
      member.unreachable = String(error.message || error)
    }
  }
  const info = db.getReplicationInfo()
  const oplog = db.getSiblingDB('local').getCollection('oplog.rs')
  const first = oplog.find({}, {ts: 1}).sort({$natural: 1}).limit(1).toArray()[0]
  const last = oplog.find({}, {ts: 1}).sort({$natural: -1}).limit(1).toArray()[0]
  const voters = conf.members.filter((m) => m.votes > 0)
  const {verdict, problems} = verdictOf(members, primaryStatus)
  const result = {
    op: OP,
    ok: true,
    initiated: true,
    verdict,
    problems,
    connectedTo: hello.me,
    set: status.set,
    term: status.term,
    configVersion: conf.version,
    // The election timings the members run with: a failover derives its waits from them.
    settings: {electionTimeoutMillis: conf.settings.electionTimeoutMillis, heartbeatIntervalMillis: conf.settings.heartbeatIntervalMillis},
    primary: primaryStatus ? primaryStatus.name : null,
    majority: {votingMembers: voters.length, needed: status.majorityVoteCount, healthyVoters: members.filter((m) => m.votes > 0 && m.health === 1).length},
    members,
    oplog: {first: first ? tsText(first.ts) : null, last: last ? tsText(last.ts) : null, firstDate: isoOf(info.tFirst), lastDate: isoOf(info.tLast), windowSeconds: info.timeDiff},
    database: params.database || null,
    collections: params.database ? collectionStats(db.getSiblingDB(params.database)) : [],
    rollbacks,
    ...(params.writesSince && params.database ? {writesSince: writesSince(params.database, params.writesSince)} : {}),
  }
  const lead = primaryStatus ? `primary ${primaryStatus.name}` : 'no primary'
  return finish(result, `status: ${verdict} (${lead}${problems.length ? `; ${problems.join('; ')}` : ''})`, 0)
}

try {
  main()
} catch (error) {
  const failure = {code: error.code === undefined ? null : error.code, codeName: error.codeName || null, message: String(error.message || error)}
  finish({op: OP, ok: false, error: failure}, `FAILED: ${failure.message}`, 1)
}
