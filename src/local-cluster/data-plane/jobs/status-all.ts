import {statusOp, type OpOutcome} from './ops.js'
import type {Session} from './session.js'

/**
 * templates/mongodb/ops/status-all.js performed on the simulated data plane, step by step: mongosh
 * runs it with `--nodb`, so there is no session of its own; for each entry of `params.sets` it
 * reads the database's credentials from the files of its Secret volume, opens a connection with
 * the entry's connection string (server selection as mongosh does it), authenticates, and reads
 * what status.js reads. A set that fails (no member answers, a missing or unreadable credentials
 * file, wrong password) is reported with its error; the others still are.
 */

export interface NoDbContext {
  params: Record<string, unknown>
  /** fs.readFileSync(path, 'utf8') inside the Job's container (mounts, owners and modes applied). */
  readFile(path: string): string
  /** `new Mongo(uri)`: server selection over the URI's hosts, from the Job's pod. */
  connectUri(uri: string): Session
  /** `new Mongo('mongodb://HOST/?directConnection=true')`, authenticated with the given credentials. */
  connectDirect(host: string, credentials: {user: string; password: string}): Session
}

interface SetEntry {
  set?: unknown
  connection?: unknown
  credentials?: unknown
  database?: unknown
}

export function statusAllOp(context: NoDbContext): OpOutcome {
  const entries = context.params.sets
  if (!Array.isArray(entries) || entries.length === 0) throw new Error('OP_PARAMS needs a non-empty "sets" list: [{set, connection, credentials, database?}]')
  const sets: Array<Record<string, unknown>> = []
  for (const entry of entries as SetEntry[]) {
    try {
      const directory = String(entry.credentials)
      const read = (key: string) => context.readFile(`${directory}/${key}`).trim()
      const credentials = {user: read('root-username'), password: read('root-password')}
      const session = context.connectUri(String(entry.connection))
      session.auth(credentials.user, credentials.password)
      const outcome = statusOp({
        session,
        params: {...(entry.database ? {database: entry.database} : {}), ...(context.params.maxLagSeconds === undefined ? {} : {maxLagSeconds: context.params.maxLagSeconds})},
        credentials,
        connect: (host) => context.connectDirect(host, credentials),
      })
      sets.push({name: entry.set, ...outcome.result})
    } catch (error) {
      const e = error as {code?: number; codeName?: string; message?: string}
      sets.push({name: entry.set, op: 'status', ok: false, error: {code: e.code ?? null, codeName: e.codeName ?? null, message: String(e.message ?? error)}})
    }
  }
  const counts = new Map<string, number>()
  for (const set of sets) {
    const key = set.ok ? String(set.verdict) : 'failed'
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  const summary = [...counts.keys()]
    .sort()
    .map((key) => `${counts.get(key)} ${key}`)
    .join(', ')
  return {result: {op: 'status-all', ok: true, sets}, verdict: `status-all: ${sets.length} sets: ${summary}`, exitCode: 0}
}
