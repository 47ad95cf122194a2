/**
 * Connection strings for database Jobs, in the standard format
 * (https://www.mongodb.com/docs/manual/reference/connection-string/). Never with credentials: a
 * Job reads them from the database's Secret (MONGO_USERNAME / MONGO_PASSWORD), so nothing secret
 * is on a command line or in a Job spec.
 *
 * - {@link directConnection}: one member, `directConnection=true` (initiate, force-reconfigure,
 *   the status of a given member): the driver talks to that member whatever its state.
 * - {@link replicaSetConnection}: a seed list with `replicaSet=NAME`: the driver discovers the set
 *   and talks to its PRIMARY (reconfigure, step-down); `readPreference=primaryPreferred` lets a
 *   status answer when there is no primary.
 */

export type ReadPreference = 'primary' | 'primaryPreferred' | 'secondary' | 'secondaryPreferred' | 'nearest'

/** Example: directConnection('billing-db-0.billing-db.mygate-data.svc.cluster.local:27017') -> mongodb://billing-db-0...:27017/?directConnection=true */
export function directConnection(host: string): string {
  return `mongodb://${checkHost(host)}/?directConnection=true`
}

/**
 * Example: replicaSetConnection('billing-db', ['a:27017', 'b:27017'], {readPreference: 'primaryPreferred'})
 * -> mongodb://a:27017,b:27017/?replicaSet=billing-db&readPreference=primaryPreferred
 */
export function replicaSetConnection(set: string, hosts: readonly string[], options: {readPreference?: ReadPreference} = {}): string {
  if (hosts.length === 0) throw new Error(`replica set ${set} has no members to connect to`)
  const query = new URLSearchParams({replicaSet: set})
  if (options.readPreference && options.readPreference !== 'primary') query.set('readPreference', options.readPreference)
  return `mongodb://${hosts.map(checkHost).join(',')}/?${query.toString()}`
}

function checkHost(host: string): string {
  // A host is `name:port`; anything else (credentials, a path) does not belong in a Job's argument.
  if (!/^[a-z0-9.-]+:\d+$/i.test(host)) throw new Error(`not a host:port: ${host}`)
  return host
}
