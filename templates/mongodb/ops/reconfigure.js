// mygate database operation "reconfigure" (mongosh --file; contract: templates/mongodb/ops/README.md).
// Brings the replica set's members, priorities and votes to params.members, one voting member per
// reconfig as MongoDB requires (since 4.4), waiting for each config to be committed before the
// next. Reads the config before every step, so a re-run after a kill continues where it stopped
// and a set already in the desired shape is left alone. Connect with replicaSet=NAME (it runs on
// the primary). Result JSON on the last line of stdout, a short verdict in /dev/termination-log.
'use strict'

const OP = 'reconfigure'
const params = JSON.parse(process.env.OP_PARAMS || '{}')
const MAX_VOTING_MEMBERS = 7

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

// The next single reconfig toward `desiredSpecs` (same algorithm as the local simulator's
// src/local-cluster/data-plane/reconfig-plan.ts): every change that leaves the voters alone, plus
// at most one voter change (additions before removals unless at the 7-voter limit).
function nextReconfigStep(current, desiredSpecs, primaryHost) {
  const desiredOf = (spec) => ({
    host: spec.host,
    arbiterOnly: spec.arbiterOnly === true,
    hidden: spec.hidden === true,
    priority: spec.priority === undefined ? (spec.arbiterOnly ? 0 : 1) : spec.priority,
    votes: spec.votes === undefined ? 1 : spec.votes,
    secondaryDelaySecs: spec.secondaryDelaySecs === undefined ? 0 : spec.secondaryDelaySecs,
    tags: spec.tags || {},
  })
  const sameTags = (a, b) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort())
  const desired = desiredSpecs.map(desiredOf)
  const key = (host) => host.toLowerCase()
  const wanted = new Map(desired.map((d) => [key(d.host), d]))
  if (primaryHost !== undefined) {
    const target = wanted.get(key(primaryHost))
    if (!target || target.votes === 0 || target.priority === 0 || target.hidden || target.arbiterOnly) {
      return {error: `the desired config makes the current primary ${primaryHost} unelectable: move the primary first (step-down), then reconfigure`}
    }
  }
  for (const member of current.members) {
    const target = wanted.get(key(member.host))
    if (target && target.arbiterOnly !== member.arbiterOnly) return {error: `${member.host} cannot change arbiterOnly in place: remove it, then add it back`}
  }
  const members = current.members.map((m) => ({...m, tags: {...m.tags}}))
  const changes = []
  for (const member of members) {
    const target = wanted.get(key(member.host))
    if (!target || target.votes !== member.votes) continue
    for (const field of ['priority', 'hidden', 'secondaryDelaySecs']) {
      if (member[field] !== target[field]) {
        changes.push(`${member.host}: ${field} ${member[field]} -> ${target[field]}`)
        member[field] = target[field]
      }
    }
    if (!sameTags(member.tags, target.tags)) {
      changes.push(`${member.host}: tags`)
      member.tags = {...target.tags}
    }
  }
  const nonVoterRemovals = members.filter((m) => m.votes === 0 && !wanted.has(key(m.host)))
  for (const member of nonVoterRemovals) changes.push(`remove non-voting ${member.host}`)
  let next = members.filter((m) => !nonVoterRemovals.includes(m))
  let nextId = Math.max(-1, ...current.members.map((m) => m._id)) + 1
  const present = new Set(next.map((m) => key(m.host)))
  for (const target of desired) {
    if (present.has(key(target.host)) || target.votes !== 0) continue
    next.push({_id: nextId++, host: target.host, arbiterOnly: target.arbiterOnly, buildIndexes: true, hidden: target.hidden, priority: target.priority, tags: {...target.tags}, secondaryDelaySecs: target.secondaryDelaySecs, votes: 0})
    changes.push(`add non-voting ${target.host}`)
  }
  const voters = next.filter((m) => m.votes > 0).length
  const grow = () => {
    for (const member of next) {
      const target = wanted.get(key(member.host))
      if (target && member.votes === 0 && target.votes === 1) {
        Object.assign(member, {votes: 1, priority: target.priority, hidden: target.hidden, secondaryDelaySecs: target.secondaryDelaySecs, tags: {...target.tags}})
        changes.push(`${member.host}: votes 0 -> 1`)
        return true
      }
    }
    for (const target of desired) {
      if (target.votes === 1 && !next.some((m) => key(m.host) === key(target.host))) {
        next.push({_id: nextId++, host: target.host, arbiterOnly: target.arbiterOnly, buildIndexes: true, hidden: target.hidden, priority: target.priority, tags: {...target.tags}, secondaryDelaySecs: target.secondaryDelaySecs, votes: 1})
        changes.push(`add voter ${target.host}`)
        return true
      }
    }
    return false
  }
  const shrink = () => {
    const removal = next.find((m) => m.votes > 0 && !wanted.has(key(m.host)))
    if (removal) {
      next = next.filter((m) => m !== removal)
      changes.push(`remove voter ${removal.host}`)
      return true
    }
    for (const member of next) {
      const target = wanted.get(key(member.host))
      if (target && member.votes === 1 && target.votes === 0) {
        Object.assign(member, {votes: 0, priority: 0, hidden: target.hidden, secondaryDelaySecs: target.secondaryDelaySecs, tags: {...target.tags}})
        changes.push(`${member.host}: votes 1 -> 0`)
        return true
      }
    }
    return false
  }
  if (voters >= MAX_VOTING_MEMBERS) {
    if (!shrink()) grow()
  } else if (!grow()) shrink()
  return changes.length === 0 ? undefined : {config: {members: next}, changes}
}

function waitCommitted(deadline) {
  while (Date.now() < deadline) {
    if (db.adminCommand({replSetGetConfig: 1, commitmentStatus: true}).commitmentStatus) return
    sleep(500)
  }
  throw new Error('the new config was not committed to a majority in time')
}

function summary(conf) {
  return {configVersion: conf.version, members: conf.members.map((m) => ({host: m.host, priority: m.priority, votes: m.votes, hidden: m.hidden}))}
}

function main() {
  if (!Array.isArray(params.members) || params.members.length === 0) throw new Error('OP_PARAMS needs a non-empty "members" list: the desired members')
  authenticate(db.getMongo())
  const hello = db.hello()
  if (!hello.isWritablePrimary) {
    const error = new Error(`connected to ${hello.me}, which is not the primary (${hello.primary || 'none'}): connect with replicaSet=${hello.setName}`)
    error.codeName = 'NotWritablePrimary'
    throw error
  }
  const deadline = Date.now() + (params.timeoutSeconds === undefined ? 120 : params.timeoutSeconds) * 1000
  const steps = []
  for (let round = 0; round < 20; round++) {
    const conf = rs.conf()
    const step = nextReconfigStep(conf, params.members, hello.primary)
    if (step === undefined) break
    if (step.error) throw new Error(step.error)
    rs.reconfig({...conf, members: step.config.members})
    steps.push({version: conf.version + 1, changes: step.changes})
    waitCommitted(deadline)
  }
  const conf = rs.conf()
  const verdict = steps.length === 0 ? 'reconfigure: no change (already in the desired shape)' : `reconfigure: ${steps.length} step${steps.length === 1 ? '' : 's'} to config version ${conf.version}`
  return finish({op: OP, ok: true, changed: steps.length > 0, steps, ...summary(conf)}, verdict, 0)
}

try {
  main()
} catch (error) {
  const failure = {code: error.code === undefined ? null : error.code, codeName: error.codeName || null, message: String(error.message || error)}
  finish({op: OP, ok: false, error: failure}, `FAILED: ${failure.message}`, 1)
}
