/**
 * `mongodb://[user:password@]host1[:port1][,host2...]/[defaultauthdb][?options]`
 * (https://www.mongodb.com/docs/manual/reference/connection-string/). Option names are
 * case-insensitive; the Node.js driver (mongosh's) refuses unknown ones with MongoParseError.
 */
export interface ConnectionString {
  hosts: string[]
  username?: string
  password?: string
  database?: string
  options: Map<string, string>
}

/** The connection-string options the simulator understands, lower-cased. */
const KNOWN_OPTIONS = [
  'replicaset', 'directconnection', 'authsource', 'authmechanism', 'readpreference', 'readpreferencetags', 'serverselectiontimeoutms',
  'connecttimeoutms', 'sockettimeoutms', 'appname', 'tls', 'ssl', 'retrywrites', 'retryreads', 'w', 'journal', 'wtimeoutms', 'maxpoolsize',
  'minpoolsize', 'heartbeatfrequencyms', 'localthresholdms', 'maxstalenessseconds', 'readconcernlevel', 'compressors', 'loadbalanced',
]

export function parseConnectionString(text: string): {ok: true; value: ConnectionString} | {ok: false; error: string} {
  const match = /^mongodb:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?]+)(?:\/([^?]*))?(?:\?(.*))?$/.exec(text)
  if (!match) {
    return text.startsWith('mongodb+srv://')
      ? {ok: false, error: 'MongoParseError: mongodb+srv connection strings are not simulated locally: name the hosts'}
      : {ok: false, error: 'MongoParseError: Invalid scheme, expected connection string to start with "mongodb://" or "mongodb+srv://"'}
  }
  const options = new Map<string, string>()
  for (const pair of (match[5] ?? '').split('&').filter(Boolean)) {
    const [key, ...rest] = pair.split('=')
    const name = decodeURIComponent(key).toLowerCase()
    if (!KNOWN_OPTIONS.includes(name)) return {ok: false, error: `MongoParseError: option ${decodeURIComponent(key).toLowerCase()} is not supported`}
    options.set(name, decodeURIComponent(rest.join('=')))
  }
  return {
    ok: true,
    value: {
      hosts: match[3].split(','),
      ...(match[1] !== undefined && match[1] !== '' ? {username: decodeURIComponent(match[1])} : {}),
      ...(match[2] !== undefined ? {password: decodeURIComponent(match[2])} : {}),
      ...(match[4] ? {database: decodeURIComponent(match[4])} : {}),
      options,
    },
  }
}
