import {OperationFailedError} from '../../errors.js'

/**
 * Switching a service to another replica set is a change of its connection string: a replica-set
 * URI names the members (the seed list) and the set (`replicaSet=`), and a driver only accepts
 * members whose `setName` matches (https://www.mongodb.com/docs/manual/reference/connection-string/,
 * and the SDAM spec: a server reporting another setName is removed from the topology). Pointing a
 * Service at other pods would not do it. Pure string work on the standard format
 * `mongodb://[USER:PASSWORD@]HOST1[,HOST2...]/[DATABASE][?OPTIONS]`: the database path and every
 * other option are kept; the credentials are replaced by the target set's own.
 *
 * Example: retargetUri('mongodb://u:p@visitors-db-0.visitors-db...:27017/visitors?replicaSet=visitors-db&authSource=admin',
 *   {set: 'visitors-db-rk3x9', hosts: ['visitors-db-rk3x9-0.visitors-db-rk3x9...:27017'], username: 'r', password: 'q'})
 * -> 'mongodb://r:q@visitors-db-rk3x9-0.visitors-db-rk3x9...:27017/visitors?replicaSet=visitors-db-rk3x9&authSource=admin'
 */

export interface ParsedMongoUri {
  username?: string
  password?: string
  hosts: string[]
  /** The path after the hosts without its slash (the default database); '' when absent. */
  database: string
  options: URLSearchParams
}

const URI = /^mongodb:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?]+)(?:\/([^?]*))?(?:\?(.*))?$/

/** Parses a `mongodb://` URI; the message never repeats the URI (it holds a password). */
export function parseMongoUri(uri: string, what: string): ParsedMongoUri {
  const match = URI.exec(uri.trim())
  if (!match) throw new OperationFailedError(`${what} is not a mongodb:// connection string`, {hint: '`mygate secrets sync --env ENV` rebuilds it from the database topology'})
  return {
    ...(match[1] === undefined ? {} : {username: decodeURIComponent(match[1])}),
    ...(match[2] === undefined ? {} : {password: decodeURIComponent(match[2])}),
    hosts: match[3].split(','),
    database: match[4] ?? '',
    options: new URLSearchParams(match[5] ?? ''),
  }
}

export function formatMongoUri(parsed: ParsedMongoUri): string {
  const auth = parsed.username === undefined ? '' : `${encodeURIComponent(parsed.username)}${parsed.password === undefined ? '' : `:${encodeURIComponent(parsed.password)}`}@`
  const query = parsed.options.toString()
  return `mongodb://${auth}${parsed.hosts.join(',')}/${parsed.database}${query ? `?${query}` : ''}`
}

/** The replica set a URI names (`replicaSet=`), undefined for a direct connection. */
export function replicaSetOfUri(uri: string, what: string): string | undefined {
  return parseMongoUri(uri, what).options.get('replicaSet') ?? undefined
}

export interface RetargetInput {
  set: string
  hosts: readonly string[]
  username: string
  password: string
}

/** The same connection string, naming another set's members, name and credentials. */
export function retargetUri(uri: string, target: RetargetInput, what: string): string {
  if (target.hosts.length === 0) throw new OperationFailedError(`replica set ${target.set} has no members to switch to`)
  const parsed = parseMongoUri(uri, what)
  const options = new URLSearchParams(parsed.options)
  options.set('replicaSet', target.set)
  // The root user lives in admin: keep a given authSource, add it when missing.
  if (!options.has('authSource')) options.set('authSource', 'admin')
  return formatMongoUri({...parsed, username: target.username, password: target.password, hosts: [...target.hosts], options})
}
