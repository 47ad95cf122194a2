// mygate database operation "force-reconfigure" (mongosh --file; contract: templates/mongodb/ops/README.md).
// For a replica set that lost its majority: reconfigures the surviving member it connects to with
// params.members, forcing it (rs.reconfig(cfg, {force: true})). Reads the config first: when it
// already has these members, votes and priorities nothing happens (a re-run never forces twice),
// and it refuses while any member is PRIMARY (MongoDB: never force when there is a primary).
// Result JSON on the last line of stdout, a short verdict in /dev/termination-log.
'use strict'

const OP = 'force-reconfigure'
const params = JSON.parse(process.env.OP_PARAMS || '{}')

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

function wanted(spec) {
  return {host: spec.host, priority: spec.priority === undefined ? 1 : spec.priority, votes: spec.votes === undefined ? 1 : spec.votes}
}

function alreadyApplied(conf, desired) {
  if (conf.members.length !== desired.length) return false
  return desired.every((d) => conf.members.some((m) => m.host.toLowerCase() === d.host.toLowerCase() && m.priority === d.priority && m.votes === d.votes))
}

function main() {
  if (!Array.isArray(params.members) || params.members.length === 0) throw new Error('OP_PARAMS needs a non-empty "members" list: the members to keep')
  authenticate(db.getMongo())
  const desired = params.members.map(wanted)
  const conf = rs.conf()
  const summary = (c) => c.members.map((m) => ({host: m.host, priority: m.priority, votes: m.votes}))
  if (alreadyApplied(conf, desired)) {
    return finish({op: OP, ok: true, changed: false, configVersion: conf.version, members: summary(conf)}, 'force-reconfigure: no change (already applied)', 0)
  }
  const primary = rs.status().members.find((m) => m.stateStr === 'PRIMARY')
  if (primary) throw new Error(`${primary.name} is PRIMARY: a forced reconfiguration is only for a set that has lost its majority`)
  let nextId = Math.max(...conf.members.map((m) => m._id)) + 1
  const members = desired.map((d) => {
    const existing = conf.members.find((m) => m.host.toLowerCase() === d.host.toLowerCase())
    return existing ? {...existing, priority: d.priority, votes: d.votes} : {_id: nextId++, host: d.host, priority: d.priority, votes: d.votes}
  })
  const removed = conf.members.filter((m) => !desired.some((d) => d.host.toLowerCase() === m.host.toLowerCase())).map((m) => m.host)
  rs.reconfig({...conf, members}, {force: true})
  const after = rs.conf()
  return finish({op: OP, ok: true, changed: true, configVersion: after.version, members: summary(after), removed}, `force-reconfigure: forced config version ${after.version} with ${members.length} members (removed ${removed.join(', ') || 'none'})`, 0)
}

try {
  main()
} catch (error) {
  const failure = {code: error.code === undefined ? null : error.code, codeName: error.codeName || null, message: String(error.message || error)}
  finish({op: OP, ok: false, error: failure}, `FAILED: ${failure.message}`, 1)
}
