// mygate database operation "app-user" (mongosh --nodb --file; contract: templates/mongodb/ops/README.md).
// The last step of a restore from ANOTHER environment's backup: the restored set's application
// user is made to be this environment's, with this environment's generated password. A backup is a
// full-instance mongodump (--oplog needs one), so a real archive carries admin.system.users: the old
// environment's users with their SCRAM credentials, which mongorestore puts back. This script:
//   1. connects to params.connection (no credentials in it) as the set's own root user, read from
//      the files of its Secret volume (params.credentials: root-username, root-password);
//   2. reads the application user and its password from the files of THIS environment's database
//      Secret volume (params.appUser), never from an env var or the command line;
//   3. createUser (absent) or updateUser (present: the password is reset) with role root on admin;
//   4. drops every other user of admin except the set's own root: the old environment's
//      credentials must not open the restored data.
// Idempotent. Prints the result as one JSON object on the last line of stdout and a short verdict
// to /dev/termination-log.
'use strict'

const OP = 'app-user'
const params = JSON.parse(process.env.OP_PARAMS || '{}')
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

function credentialsIn(directory) {
  const read = (key) => fs.readFileSync(`${directory}/${key}`, 'utf8').trim()
  return {user: read('root-username'), password: read('root-password')}
}

function main() {
  if (!params.connection || !params.credentials || !params.appUser) throw new Error('OP_PARAMS needs "connection", "credentials" and "appUser"')
  const root = credentialsIn(params.credentials)
  const app = credentialsIn(params.appUser)
  const connection = new Mongo(params.connection)
  const admin = connection.getDB('admin')
  admin.auth(root.user, root.password)
  const existing = admin.getUser(app.user)
  if (existing) admin.updateUser(app.user, {pwd: app.password, roles: [{role: 'root', db: 'admin'}]})
  else admin.createUser({user: app.user, pwd: app.password, roles: [{role: 'root', db: 'admin'}]})
  const dropped = []
  for (const user of admin.getUsers().users) {
    if (user.user === root.user || user.user === app.user) continue
    admin.dropUser(user.user)
    dropped.push(user.user)
  }
  const action = existing ? 'updated' : 'created'
  return finish({op: OP, ok: true, user: app.user, action, dropped}, `app-user: ${app.user} ${action}; ${dropped.length} other user(s) dropped`, 0)
}

try {
  main()
} catch (error) {
  const failure = {code: error.code === undefined ? null : error.code, codeName: error.codeName || null, message: String(error.message || error)}
  finish({op: OP, ok: false, error: failure}, `FAILED: ${failure.message}`, 1)
}
