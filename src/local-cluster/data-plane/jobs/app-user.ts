import type {OpOutcome} from './ops.js'
import type {NoDbContext} from './status-all.js'

/**
 * templates/mongodb/ops/app-user.js performed on the simulated data plane, step by step: mongosh
 * runs it with `--nodb`; it reads the set's root credentials and the application user's from the
 * files of their Secret volumes, connects with the connection string (server selection as mongosh
 * does it), authenticates as root, creates the application user or resets its password, and drops
 * every other user of admin. The simulated dump holds the service's database only (no
 * admin.system.users), so there is usually nothing to drop here; a real archive brings the old
 * environment's users, and the script drops them the same way.
 */
export function appUserOp(context: NoDbContext): OpOutcome {
  const {params} = context
  if (!params.connection || !params.credentials || !params.appUser) throw new Error('OP_PARAMS needs "connection", "credentials" and "appUser"')
  const read = (directory: unknown) => {
    const value = (key: string) => context.readFile(`${String(directory)}/${key}`).trim()
    return {user: value('root-username'), password: value('root-password')}
  }
  const root = read(params.credentials)
  const app = read(params.appUser)
  const session = context.connectUri(String(params.connection))
  session.auth(root.user, root.password)
  const existing = session.adminUsers().includes(app.user)
  if (existing) session.updateUser(app.user, app.password)
  else session.createUser(app.user, app.password)
  const dropped: string[] = []
  for (const user of session.adminUsers()) {
    if (user === root.user || user === app.user) continue
    session.dropUser(user)
    dropped.push(user)
  }
  const action = existing ? 'updated' : 'created'
  return {result: {op: 'app-user', ok: true, user: app.user, action, dropped}, verdict: `app-user: ${app.user} ${action}; ${dropped.length} other user(s) dropped`, exitCode: 0}
}
