// mygate database operation "status-all" (mongosh --nodb --file; contract: templates/mongodb/ops/README.md).
// The status of every replica set of an environment in one Job: one Job costs a pod start, and
// `db status` of all databases must answer within a second. For each set in params.sets it opens
// its own connection (`new Mongo(connection)`, no credentials in it), authenticates with the
// database's root credentials read from that database's Secret volume (params.sets[].credentials:
// a directory holding root-username and root-password), and reads what status.js reads. A set that
// cannot be reached is reported as such; the others still are. Changes nothing. Prints the result
// as one JSON object on the last line of stdout and a short verdict to /dev/termination-log.
'use strict'

const OP = 'status-all'
const params = JSON.parse(process.env.OP_PARAMS || '{}')
const MAX_LAG_SECONDS = params.maxLagSeconds === undefined ? 10 : params.maxLagSeconds
const fs = require('fs')

function finish(result, verdict, exitCode) {
  try {
    fs.writeFileSync('/dev/termination-log', verdict.slice(0, 4000))
  } catch {
    // The termination message is best effort; the log line below is the result.
  }
  print(JSON.stringify(result))
  quit(exitCode)
}

// The database's root credentials, from its Secret volume (never from env or the command line).
function credentialsIn(directory) {
  const read = (key) => fs.readFileSync(`${directory}/${key}`, 'utf8').trim()
  return {user: read('root-username'), password: read('root-password')}
}

function tsText(ts) {
  return ts ? `${ts.t}:${ts.i}` : null
}

function logTs(value) {
  if (!value) return null
  if (typeof value === 'string') return value
  const ts = value.$timestamp || value
  return `${ts.t}:${ts.i}`
}

function isoOf(date) {
  return date ? new Date(date).toISOString() : null
}

// mongosh's adminCommand returns the server's reply; a reply with ok: 0 is an error.
function adminCommand(connection, command) {
  const reply = connection.getDB('admin').adminCommand(command)
  if (reply && reply.ok === 0) throw Object.assign(new Error(reply.errmsg || 'command failed'), {code: reply.code, codeName: reply.codeName})
  return reply
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

function rollbacksOf(connection, host) {
  const out = []
  for (const line of adminCommand(connection, {getLog: 'global'}).log) {
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

// One set's status, shaped as status.js's result.
function statusOf(entry) {
  const credentials = credentialsIn(entry.credentials)
  const connection = new Mongo(entry.connection)
  connection.getDB('admin').auth(credentials.user, credentials.password)
  const hello = connection.getDB('admin').hello()
  let status
  try {
    status = adminCommand(connection, {replSetGetStatus: 1})
  } catch (error) {
    if (error.codeName !== 'NotYetInitialized') throw error
    return {op: 'status', ok: true, initiated: false, verdict: 'not-initiated', problems: ['the replica set is not initiated'], connectedTo: hello.me || null, set: null, members: []}
  }
  const conf = adminCommand(connection, {replSetGetConfig: 1}).config
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
      const direct = member.self ? connection : new Mongo(`mongodb://${member.host}/?directConnection=true&readPreference=secondaryPreferred`)
      if (!member.self) direct.getDB('admin').auth(credentials.user, credentials.password)
      member.rbid = adminCommand(direct, {serverStatus: 1}).repl.rbid
      rollbacks.push(...rollbacksOf(direct, member.host))
    } catch (error) {
      member.unreachable = String(error.message || error)
    }
  }
  const info = connection.getDB('local').getReplicationInfo()
  const oplog = connection.getDB('local').getCollection('oplog.rs')
  const first = oplog.find({}, {ts: 1}).sort({$natural: 1}).limit(1).toArray()[0]
  const last = oplog.find({}, {ts: 1}).sort({$natural: -1}).limit(1).toArray()[0]
  const voters = conf.members.filter((m) => m.votes > 0)
  const {verdict, problems} = verdictOf(members, primaryStatus)
  return {
    op: 'status',
    ok: true,
    initiated: true,
    verdict,
    problems,
    connectedTo: hello.me,
    set: status.set,
    term: status.term,
    configVersion: conf.version,
    primary: primaryStatus ? primaryStatus.name : null,
    majority: {votingMembers: voters.length, needed: status.majorityVoteCount, healthyVoters: members.filter((m) => m.votes > 0 && m.health === 1).length},
    members,
    oplog: {first: first ? tsText(first.ts) : null, last: last ? tsText(last.ts) : null, firstDate: isoOf(info.tFirst), lastDate: isoOf(info.tLast), windowSeconds: info.timeDiff},
    database: entry.database || null,
    collections: entry.database ? collectionStats(connection.getDB(entry.database)) : [],
    rollbacks,
  }
}

function main() {
  if (!Array.isArray(params.sets) || params.sets.length === 0) throw new Error('OP_PARAMS needs a non-empty "sets" list: [{set, connection, credentials, database?}]')
  const sets = []
  for (const entry of params.sets) {
    try {
      sets.push({name: entry.set, ...statusOf(entry)})
    } catch (error) {
      // One set that cannot be reached (no member answers, wrong credentials) must not hide the others.
      sets.push({name: entry.set, op: 'status', ok: false, error: {code: error.code === undefined ? null : error.code, codeName: error.codeName || null, message: String(error.message || error)}})
    }
  }
  const counts = {}
  for (const set of sets) {
    const key = set.ok ? set.verdict : 'failed'
    counts[key] = (counts[key] || 0) + 1
  }
  const summary = Object.keys(counts)
    .sort()
    .map((key) => `${counts[key]} ${key}`)
    .join(', ')
  return finish({op: OP, ok: true, sets}, `status-all: ${sets.length} sets: ${summary}`, 0)
}

try {
  main()
} catch (error) {
  const failure = {code: error.code === undefined ? null : error.code, codeName: error.codeName || null, message: String(error.message || error)}
  finish({op: OP, ok: false, error: failure}, `FAILED: ${failure.message}`, 1)
}
