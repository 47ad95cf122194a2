/**
 * The documented command-line options of the programs database Jobs run, so the simulator parses
 * exactly what the real tools accept and refuses the rest as they do (a typo cannot hide behind
 * the simulation).
 *
 * - mongosh: https://www.mongodb.com/docs/mongodb-shell/reference/options/ ; the parser is
 *   mongosh's packages/arg-parser (cli-options.ts: CurrentCliOptionsSchema, the deprecated `ssl*`
 *   aliases, the unsupported ones). An unknown option prints "Error parsing command line:
 *   unrecognized option: --x" and mongosh exits 1 (packages/cli-repl/src/run.ts).
 * - mongodump / mongorestore: https://www.mongodb.com/docs/database-tools/mongodump/ and
 *   .../mongorestore/ ; the parser is mongo-tools' common/options (go-flags) plus each tool's
 *   options.go. An unknown flag prints "error parsing command line options: unknown flag `x'" and
 *   the tool exits 1 (util.ExitFailure). Options with an optional value (`--archive`) take it only
 *   as `--archive=VALUE`.
 */

export type OptionKind = 'flag' | 'value' | 'list' | 'optional-value'

export interface OptionSpec {
  kind: OptionKind
  /** Canonical long name (for aliases). */
  name?: string
  deprecatedFor?: string
  unsupported?: boolean
}

const flag: OptionSpec = {kind: 'flag'}
const value: OptionSpec = {kind: 'value'}
const list: OptionSpec = {kind: 'list'}

export const MONGOSH_OPTIONS: Record<string, OptionSpec> = {
  apiVersion: value, authenticationDatabase: value, authenticationMechanism: value, awsAccessKeyId: value, awsIamSessionToken: value,
  awsSecretAccessKey: value, awsSessionToken: value, csfleLibraryPath: value, cryptSharedLibPath: value, deepInspect: flag, db: value,
  gssapiServiceName: value, sspiHostnameCanonicalization: value, sspiRealmOverride: value, jsContext: value, host: value, keyVaultNamespace: value,
  kmsURL: value, locale: value, oidcFlows: value, oidcRedirectUri: value, oidcRedirectUrl: {kind: 'value', name: 'oidcRedirectUri'},
  password: value, p: {kind: 'value', name: 'password'}, port: value, username: value, u: {kind: 'value', name: 'username'},
  tlsCAFile: value, tlsCertificateKeyFile: value, tlsCertificateKeyFilePassword: value, tlsCertificateSelector: value, tlsCRLFile: value,
  tlsDisabledProtocols: value, apiDeprecationErrors: flag, apiStrict: flag, buildInfo: flag, 'build-info': {kind: 'flag', name: 'buildInfo'},
  exposeAsyncRewriter: flag, help: flag, h: {kind: 'flag', name: 'help'}, ipv6: flag, nodb: flag, norc: flag, oidcTrustedEndpoint: flag,
  oidcIdTokenAsAccessToken: flag, oidcIDTokenAsAccessToken: {kind: 'flag', name: 'oidcIdTokenAsAccessToken'}, oidcNoNonce: flag, quiet: flag,
  retryWrites: flag, shell: flag, skipStartupWarnings: flag, verbose: flag, version: flag, smokeTests: flag, perfTests: flag, tls: flag,
  tlsAllowInvalidCertificates: flag, tlsAllowInvalidHostnames: flag, tlsFIPSMode: flag, tlsUseSystemCA: flag, eval: list, file: list,
  f: {kind: 'list', name: 'file'}, json: {kind: 'optional-value'}, oidcDumpTokens: {kind: 'optional-value'}, browser: {kind: 'optional-value'},
  ssl: {kind: 'flag', deprecatedFor: 'tls'}, sslAllowInvalidCertificates: {kind: 'flag', deprecatedFor: 'tlsAllowInvalidCertificates'},
  sslAllowInvalidHostnames: {kind: 'flag', deprecatedFor: 'tlsAllowInvalidHostnames'}, sslPEMKeyFile: {kind: 'value', deprecatedFor: 'tlsCertificateKeyFile'},
  sslPEMKeyPassword: {kind: 'value', deprecatedFor: 'tlsCertificateKeyFilePassword'}, sslCAFile: {kind: 'value', deprecatedFor: 'tlsCAFile'},
  sslCertificateSelector: {kind: 'value', deprecatedFor: 'tlsCertificateSelector'}, sslCRLFile: {kind: 'value', deprecatedFor: 'tlsCRLFile'},
  sslDisabledProtocols: {kind: 'value', deprecatedFor: 'tlsDisabledProtocols'}, gssapiHostName: {kind: 'value', unsupported: true}, sslFIPSMode: {kind: 'flag', unsupported: true},
}

/** Options every mongo-tools program shares (common/options/options.go), long name -> spec; short names separately. */
const TOOL_COMMON: Record<string, OptionSpec> = {
  help: flag, version: flag, config: value, verbose: {kind: 'optional-value'}, quiet: flag, numThreads: value, failpoints: value, trace: flag,
  uri: value, host: value, port: value, dialTimeout: value, socketTimeout: value, TCPKeepAliveSeconds: value, serverSelectionTimeout: value, compressors: value,
  ssl: flag, sslCAFile: value, sslPEMKeyFile: value, sslPEMKeyPassword: value, sslCRLFile: value, sslAllowInvalidCertificates: flag,
  sslAllowInvalidHostnames: flag, sslFIPSMode: flag, tlsInsecure: flag, username: value, password: value, authenticationDatabase: value,
  authenticationMechanism: value, awsSessionToken: value, gssapiServiceName: value, gssapiHostName: value, db: value, collection: value,
}
const TOOL_SHORT: Record<string, string> = {h: 'host', u: 'username', p: 'password', d: 'db', c: 'collection', v: 'verbose'}

export const MONGODUMP_OPTIONS: Record<string, OptionSpec> = {
  ...TOOL_COMMON,
  query: value, queryFile: value, readPreference: value, forceTableScan: flag, internalOnlySourceWritesDoneBarrier: value,
  out: value, gzip: flag, oplog: flag, archive: {kind: 'optional-value'}, dumpDbUsersAndRoles: flag, excludeCollection: list,
  excludeCollectionsWithPrefix: list, numParallelCollections: value, viewsAsCollections: flag,
}
export const MONGODUMP_SHORT: Record<string, string> = {...TOOL_SHORT, q: 'query', o: 'out', j: 'numParallelCollections'}

export const MONGORESTORE_OPTIONS: Record<string, OptionSpec> = {
  ...TOOL_COMMON,
  objcheck: flag, oplogReplay: flag, oplogLimit: value, oplogFile: value, archive: {kind: 'optional-value'}, restoreDbUsersAndRoles: flag,
  dir: value, gzip: flag, drop: flag, dryRun: flag, writeConcern: value, noIndexRestore: flag, convertLegacyIndexes: flag, noOptionsRestore: flag,
  keepIndexVersion: flag, maintainInsertionOrder: flag, numParallelCollections: value, numInsertionWorkersPerCollection: value, stopOnError: flag,
  bypassDocumentValidation: flag, preserveUUID: flag, tempUsersColl: value, tempRolesColl: value, batchSize: value, fixDottedHashIndex: flag,
  excludeCollection: list, excludeCollectionsWithPrefix: list, nsExclude: list, nsInclude: list, nsFrom: list, nsTo: list,
}
export const MONGORESTORE_SHORT: Record<string, string> = {...TOOL_SHORT, j: 'numParallelCollections'}

export interface ParsedCommandLine {
  /** Options by canonical name; lists hold every occurrence. */
  options: Map<string, string[]>
  positional: string[]
  warnings: string[]
}

export type ParseResult = {ok: true; parsed: ParsedCommandLine} | {ok: false; stderr: string[]}

/** mongosh's parser: `--name value`, `--name=value`, single-dash aliases; unknown options fail. */
export function parseMongoshArgs(args: readonly string[]): ParseResult {
  const options = new Map<string, string[]>()
  const positional: string[] = []
  const warnings: string[] = []
  const usageError = (message: string): ParseResult => ({ok: false, stderr: [`MongoshUnimplementedError:   ${message}`]})
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg)
      continue
    }
    const body = arg.replace(/^--?/, '')
    const eq = body.indexOf('=')
    const name = eq === -1 ? body : body.slice(0, eq)
    const spec = MONGOSH_OPTIONS[name]
    if (!spec) return usageError(`Error parsing command line: unrecognized option: ${arg.split('=')[0]}`)
    if (spec.unsupported) return usageError(`Argument --${name} is not supported in mongosh`)
    const canonical = spec.deprecatedFor ?? spec.name ?? name
    if (spec.deprecatedFor) warnings.push(`WARNING: argument --${name} is deprecated and will be removed. Use --${spec.deprecatedFor} instead.`)
    let text: string
    if (eq !== -1) text = body.slice(eq + 1)
    else if (spec.kind === 'flag' || spec.kind === 'optional-value') text = 'true'
    else {
      if (i + 1 >= args.length) return usageError(`Error parsing command line: option --${name} requires a value`)
      text = args[++i]
    }
    options.set(canonical, [...(options.get(canonical) ?? []), text])
  }
  return {ok: true, parsed: {options, positional, warnings}}
}

/** go-flags as mongo-tools configure it: `--name value`, `--name=value`, short `-d value`, `-vvv`. */
export function parseToolArgs(tool: 'mongodump' | 'mongorestore', args: readonly string[]): ParseResult {
  const table = tool === 'mongodump' ? MONGODUMP_OPTIONS : MONGORESTORE_OPTIONS
  const shorts = tool === 'mongodump' ? MONGODUMP_SHORT : MONGORESTORE_SHORT
  const options = new Map<string, string[]>()
  const positional: string[] = []
  const stamp = new Date().toISOString().replace('Z', '+0000')
  const usageError = (message: string): ParseResult => ({ok: false, stderr: [`${stamp}\terror parsing command line options: ${message}`, `${stamp}\ttry '${tool} --help' for more information`]})
  const add = (name: string, text: string) => options.set(name, [...(options.get(name) ?? []), text])
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (arg === '--') {
      positional.push(...args.slice(i + 1))
      break
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=')
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq)
      const spec = table[name]
      if (!spec) return usageError(`unknown flag \`${name}'`)
      if (spec.kind === 'flag') {
        if (eq !== -1) return usageError(`bool flag \`--${name}' cannot have an argument`)
        add(name, 'true')
      } else if (spec.kind === 'optional-value') add(name, eq === -1 ? '' : arg.slice(eq + 1))
      else if (eq !== -1) add(name, arg.slice(eq + 1))
      else {
        if (i + 1 >= args.length) return usageError(`expected argument for flag \`--${name}'`)
        add(name, args[++i])
      }
      continue
    }
    if (arg.startsWith('-') && arg.length > 1) {
      const letter = arg[1]
      const name = shorts[letter]
      if (!name) return usageError(`unknown flag \`${letter}'`)
      const spec = table[name]
      if (name === 'verbose') {
        add(name, String(arg.length - 1))
        continue
      }
      if (spec.kind === 'flag') add(name, 'true')
      else if (arg.length > 2) add(name, arg.slice(arg[2] === '=' ? 3 : 2))
      else {
        if (i + 1 >= args.length) return usageError(`expected argument for flag \`-${letter}'`)
        add(name, args[++i])
      }
      continue
    }
    positional.push(arg)
  }
  return {ok: true, parsed: {options, positional, warnings: []}}
}
