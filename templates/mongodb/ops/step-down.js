// mygate database operation "step-down" (mongosh --file; contract: templates/mongodb/ops/README.md).
// Steps the primary down only if it is still params.expectedPrimary: a re-run after the step-down
// (or a primary that moved on its own) changes nothing, so the new primary is never stepped down.
// Connect with replicaSet=NAME so the session reaches the primary. Result JSON on the last line of
// stdout, a short verdict in /dev/termination-log.
'use strict'

const OP = 'step-down'
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

function main() {
  if (!params.expectedPrimary) throw new Error('OP_PARAMS needs "expectedPrimary": the member to step down')
  authenticate(db.getMongo())
  const before = db.hello()
  if (!before.primary) {
    return finish({op: OP, ok: true, changed: false, reason: 'no primary', primaryBefore: null, primaryAfter: null}, 'step-down: no change (no primary)', 0)
  }
  if (before.primary !== params.expectedPrimary) {
    const reason = `primary is ${before.primary}, not ${params.expectedPrimary}`
    return finish({op: OP, ok: true, changed: false, reason, primaryBefore: before.primary, primaryAfter: before.primary}, `step-down: no change (${reason})`, 0)
  }
  if (!before.isWritablePrimary) throw new Error(`connected to ${before.me}, not to the primary ${before.primary}: connect with replicaSet=${before.setName}`)
  rs.stepDown(params.stepDownSecs === undefined ? 60 : params.stepDownSecs, params.secondaryCatchUpPeriodSecs === undefined ? 10 : params.secondaryCatchUpPeriodSecs)
  let after = null
  const deadline = Date.now() + (params.waitSeconds === undefined ? 30 : params.waitSeconds) * 1000
  while (Date.now() < deadline) {
    const now = db.hello()
    if (now.primary && now.primary !== before.primary) {
      after = now.primary
      break
    }
    sleep(500)
  }
  return finish({op: OP, ok: true, changed: true, primaryBefore: before.primary, primaryAfter: after}, `step-down: ${before.primary} stepped down; primary now ${after || 'not yet elected'}`, 0)
}

try {
  main()
} catch (error) {
  const failure = {code: error.code === undefined ? null : error.code, codeName: error.codeName || null, message: String(error.message || error)}
  finish({op: OP, ok: false, error: failure}, `FAILED: ${failure.message}`, 1)
}
