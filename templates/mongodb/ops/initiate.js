// mygate database operation "initiate" (mongosh --file; contract: templates/mongodb/ops/README.md).
// Initiates the replica set params.set with params.members on the member it connects to, unless the
// member already holds a config (a re-run after a kill changes nothing). Result JSON on the last
// line of stdout, a short verdict in /dev/termination-log.
'use strict'

const OP = 'initiate'
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

function memberDocument(spec, id) {
  const member = {_id: id, host: spec.host}
  for (const field of ['priority', 'votes', 'hidden', 'arbiterOnly', 'secondaryDelaySecs', 'tags']) {
    if (spec[field] !== undefined) member[field] = spec[field]
  }
  return member
}

function summary(conf) {
  return {set: conf._id, configVersion: conf.version, members: conf.members.map((m) => ({host: m.host, priority: m.priority, votes: m.votes}))}
}

function main() {
  if (!params.set || !Array.isArray(params.members) || params.members.length === 0) {
    throw new Error('OP_PARAMS needs "set" and a non-empty "members" list')
  }
  authenticate(db.getMongo())
  let initiated = true
  try {
    rs.status()
  } catch (error) {
    if (error.codeName !== 'NotYetInitialized') throw error
    initiated = false
  }
  if (initiated) {
    const conf = rs.conf()
    if (conf._id !== params.set) throw new Error(`this member belongs to replica set ${conf._id}, not ${params.set}`)
    return finish({op: OP, ok: true, changed: false, ...summary(conf), primary: db.hello().primary || null}, `initiate: no change (${conf._id} is already initiated)`, 0)
  }
  const config = {_id: params.set, members: params.members.map(memberDocument)}
  if (params.settings) config.settings = params.settings
  rs.initiate(config)
  const conf = rs.conf()
  return finish({op: OP, ok: true, changed: true, ...summary(conf), primary: db.hello().primary || null}, `initiate: initiated ${conf._id} with ${conf.members.length} members`, 0)
}

try {
  main()
} catch (error) {
  const failure = {code: error.code === undefined ? null : error.code, codeName: error.codeName || null, message: String(error.message || error)}
  finish({op: OP, ok: false, error: failure}, `FAILED: ${failure.message}`, 1)
}
