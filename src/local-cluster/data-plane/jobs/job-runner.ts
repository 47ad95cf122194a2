import {parse as parseYaml} from 'yaml'

import type {KubeObject} from '../../../kube/types.js'
import type {CommandContext} from '../commands.js'
import {resolveHost, type ClusterView} from '../network.js'
import {connectionDropped} from '../pod-connections.js'
import {parseTimestamp} from '../optime.js'
import {containerEnv} from '../pod/env.js'
import type {ObjectReader} from '../pod/objects.js'
import {canRead, identityOf, PodFiles} from '../pod/pod-files.js'
import {basename, type ContainerSpec, containerProcess, expandReferences, podSpecOf} from '../pod/pod-spec.js'
import {parseConnectionString} from '../programs/connection-string.js'
import {parseMongoshArgs, parseToolArgs, type ParsedCommandLine} from '../programs/options.js'
import type {Member} from '../state.js'
import {type ArchiveStore, runArchiveJob} from './archive-pipeline.js'
import {CONTRACT, scriptOp} from './contract.js'
import {type OpName, OPS} from './ops.js'
import {isScratchVerifyPod, runScratchVerifyJob} from './scratch-verify.js'
import {statusAllOp} from './status-all.js'
import {appUserOp} from './app-user.js'
import {Session} from './session.js'
import {type RedisJobAccess, runRedisCli} from '../redis/redis-cli.js'

/** What a database Job's container did: its log lines, exit code and termination message. */
export interface JobRun {
  container: string
  stdout: string[]
  stderr: string[]
  exitCode: number
  terminationMessage?: string
  /** Logs of the pod's other containers that ran before it (init containers), in order. */
  earlier?: Array<{container: string; stdout: string[]; stderr: string[]}>
}

export interface JobRunInput {
  pod: KubeObject
  /** The Job's own cluster, where it resolves names. */
  cluster: ClusterView
  clusters: readonly ClusterView[]
  objects: ObjectReader
  ctx: CommandContext
  /** The simulated member a mongod pod runs (undefined for other pods). */
  memberOfPod(cluster: string, pod: KubeObject): Member | undefined
  /** The shipped script (templates/mongodb/ops/NAME), to check the mounted one against. */
  shippedScript(name: string): string | undefined
  /** Where `mygate-local-store` transfers archives (the local provider's object store). */
  archiveStore?: ArchiveStore
  /** The simulated Redis servers, for redis-cli Jobs. */
  redis?: RedisJobAccess
  /** Told how long each step of an archive Job took (DataPlaneOptions.trace). */
  trace?: DataPlaneTrace
}

/** A step of the data plane's work and its duration in ms (benchmarks print them). */
export type DataPlaneTrace = (step: string, ms: number) => void

const PROGRAMS = ['mongosh', 'mongodump', 'mongorestore', 'redis-cli']
const DEFAULT_TERMINATION_PATH = '/dev/termination-log'
/** The kubelet's limits for a termination message: 4096 bytes; from logs, 80 lines or 2048 bytes. */
const MESSAGE_LIMIT = 4096
const FALLBACK_LINES = 80
const FALLBACK_BYTES = 2048

/**
 * The first container running mongosh, mongodump or mongorestore, if any; a backup Job runs
 * mongodump (or its download) in an init container, so those count too.
 */
export function databaseToolContainer(pod: KubeObject): ContainerSpec | undefined {
  const spec = podSpecOf(pod)
  return [...(spec.initContainers ?? []), ...spec.containers].find((c) => PROGRAMS.includes(basename(containerProcess(c).argv[0] ?? '')))
}

/**
 * Runs a database Job's container against the data plane as the real program would: parse its
 * command line against the documented options, resolve the connection from the Job's pod, check
 * the credentials, run the contract's script and report what the script would print.
 */
export function runDatabaseJob(input: JobRunInput): JobRun | Promise<JobRun> | undefined {
  // The scheduled verification: its own scratch mongod beside the tools (scratch-verify.ts).
  if (isScratchVerifyPod(input.pod)) return runScratchVerifyJob(input)
  const container = databaseToolContainer(input.pod)
  if (!container) return undefined
  const program = basename(containerProcess(container).argv[0] ?? '')
  if (program === 'redis-cli') {
    const ran = runRedisCli(input, container)
    return {container: container.name, ...ran, ...terminationMessage(container, undefined, [...ran.stdout, ...ran.stderr], ran.exitCode)}
  }
  if (program !== 'mongosh') return runArchiveJob(input)
  const run = (stdout: string[], stderr: string[], exitCode: number, verdict?: string): JobRun => ({
    container: container.name,
    stdout,
    stderr,
    exitCode,
    ...terminationMessage(container, verdict, [...stdout, ...stderr], exitCode),
  })
  const envResult = containerEnv(input.pod, container, input.objects, {lenient: true})
  if (!envResult.ok) return run([], [`Error: ${envResult.message}`], 1)
  const env = envResult.env
  const argv = containerProcess(container).argv.map((arg) => expandReferences(arg, env))
  return runMongosh(input, container, env, argv.slice(1), run)
}

/**
 * A mongosh container inside a backup Job's pod (the restore Job's app-user step): run as a
 * database Job's container would be, its outcome as the pod's step.
 */
export function runMongoshContainer(input: JobRunInput, container: ContainerSpec): JobRun {
  const run: Finish = (stdout, stderr, exitCode, verdict) => ({container: container.name, stdout, stderr, exitCode, ...terminationMessage(container, verdict, [...stdout, ...stderr], exitCode)})
  const envResult = containerEnv(input.pod, container, input.objects, {lenient: true})
  if (!envResult.ok) return run([], [`Error: ${envResult.message}`], 1)
  const argv = containerProcess(container).argv.map((arg) => expandReferences(arg, envResult.env))
  return runMongosh(input, container, envResult.env, argv.slice(1), run)
}

export type Finish = (stdout: string[], stderr: string[], exitCode: number, verdict?: string) => JobRun

function runMongosh(input: JobRunInput, container: ContainerSpec, env: ReadonlyMap<string, string>, args: string[], finish: Finish): JobRun {
  const parsed = parseMongoshArgs(args)
  if (!parsed.ok) return finish([], parsed.stderr, 1)
  const {options, positional, warnings} = parsed.parsed
  if (options.has('eval')) return finish([], ['the local data plane runs only the contract scripts (templates/mongodb/ops/*.js) in Jobs; --eval is simulated for probes only'], 1)
  const rest = [...positional]
  const specifier = rest.length > 0 && (rest[0].startsWith('mongodb://') || rest[0].startsWith('mongodb+srv://') || !(rest[0].endsWith('.js') || rest[0].endsWith('.mongodb'))) ? rest.shift() : undefined
  const files = [...(options.get('file') ?? []), ...rest]
  if (files.length !== 1) return finish([], [`the local data plane runs exactly one contract script per Job (got ${files.length})`], 1)
  const credentialInArgs = options.has('password') || options.has('username') || (specifier !== undefined && /^mongodb(\+srv)?:\/\/[^/]*@/.test(specifier))
  if (credentialInArgs) return finish([], [`mygate contract: credentials come from ${CONTRACT.usernameEnv}/${CONTRACT.passwordEnv} (env from the database Secret), never from the command line`], 1)
  const script = files[0]
  const file = new PodFiles(input.pod, input.objects).lookup(container, script)
  if (!file.ok) return finish([], [file.kind === 'mount-failed' ? file.message : `Error: ENOENT: no such file or directory, open '${script}'`], 1)
  const name = basename(script)
  const op = scriptOp(name)
  if (!op) return finish([], [`${name} is not one of the contract scripts (${Object.keys(CONTRACT.scripts).join(', ')}): the local data plane cannot run it`], 1)
  const shipped = input.shippedScript(name)
  if (shipped === undefined || shipped.replace(/\r\n/g, '\n') !== file.file.content.replace(/\r\n/g, '\n')) {
    return finish([], [`${script} differs from templates/mongodb/ops/${name}: the local data plane runs the shipped scripts only (render the ConfigMap from the template)`], 1)
  }
  let params: Record<string, unknown>
  try {
    params = JSON.parse(env.get(CONTRACT.paramsEnv) || '{}') as Record<string, unknown>
  } catch (error) {
    return finish([], [`SyntaxError: ${(error as Error).message}`], 1)
  }
  // With --nodb mongosh opens no connection of its own: only a script that opens its own
  // connections (status-all.js, with `new Mongo(uri)`) can run; the others use `db` at once.
  if (options.has('nodb')) {
    if (op !== 'status-all' && op !== 'app-user') return finish([], [`ReferenceError: db is not defined (${name} needs a connection; --nodb is for status-all.js and app-user.js)`], 1)
    return runNoDbScript(input, container, op, params, warnings, finish)
  }
  if (op === 'status-all' || op === 'app-user') return finish(warnings, [`mygate contract: ${name} opens its own connections: run it with --nodb`], 1)
  const host = options.get('host')?.at(-1)
  const port = options.get('port')?.at(-1)
  const uri = specifier ?? (host ? `mongodb://${host}${port && !host.includes(':') ? `:${port}` : ''}/` : `mongodb://127.0.0.1:${port ?? 27017}/`)
  const connection = connect(input, uri)
  if (!connection.ok) return finish(warnings, [connection.error], 1)
  const user = env.get(CONTRACT.usernameEnv)
  const credentials = user ? {user, password: env.get(CONTRACT.passwordEnv)} : undefined
  const context = {
    session: connection.session,
    params,
    credentials,
    connect: (target: string): Session => {
      const other = connect(input, `mongodb://${target}/?directConnection=true`)
      if (!other.ok) throw new Error(other.error.replace(/^\w+: /, ''))
      if (credentials) other.session.auth(credentials.user, credentials.password)
      return other.session
    },
  }
  try {
    const outcome = OPS[op as OpName](context)
    return finish([...warnings, JSON.stringify(outcome.result)], [], outcome.exitCode, outcome.verdict)
  } catch (error) {
    const e = error as {code?: number; codeName?: string; message?: string}
    const failure = {code: e.code ?? null, codeName: e.codeName ?? null, message: String(e.message ?? error)}
    return finish([...warnings, JSON.stringify({op, ok: false, error: failure})], [], 1, `FAILED: ${failure.message}`)
  }
}

/** A `--nodb` script (status-all.js, app-user.js): it reads credential files and opens its own connections. */
function runNoDbScript(input: JobRunInput, container: ContainerSpec, op: 'status-all' | 'app-user', params: Record<string, unknown>, warnings: string[], finish: Finish): JobRun {
  const files = new PodFiles(input.pod, input.objects)
  const identity = identityOf(podSpecOf(input.pod), container)
  const context = {
    params,
    readFile: (path: string): string => {
      const file = files.lookup(container, path)
      if (!file.ok) throw Object.assign(new Error(file.kind === 'mount-failed' ? file.message : `ENOENT: no such file or directory, open '${path}'`), {code: 'ENOENT'})
      if (!canRead(identity, file.file)) throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), {code: 'EACCES'})
      return file.file.content
    },
    connectUri: (uri: string): Session => {
      if (/^mongodb(\+srv)?:\/\/[^/]*@/.test(uri)) throw new Error('mygate contract: credentials come from the Secret volume files, never from a connection string in OP_PARAMS')
      const connection = connect(input, uri)
      if (!connection.ok) throw new Error(connection.error)
      return connection.session
    },
    connectDirect: (host: string, credentials: {user: string; password: string}): Session => {
      const connection = connect(input, `mongodb://${host}/?directConnection=true`)
      if (!connection.ok) throw new Error(connection.error.replace(/^\w+: /, ''))
      connection.session.auth(credentials.user, credentials.password)
      return connection.session
    },
  }
  try {
    const outcome = op === 'app-user' ? appUserOp(context) : statusAllOp(context)
    return finish([...warnings, JSON.stringify(outcome.result)], [], outcome.exitCode, outcome.verdict)
  } catch (error) {
    const e = error as {code?: number; codeName?: string; message?: string}
    const failure = {code: e.code ?? null, codeName: e.codeName ?? null, message: String(e.message ?? error)}
    return finish([...warnings, JSON.stringify({op, ok: false, error: failure})], [], 1, `FAILED: ${failure.message}`)
  }
}

/** mongosh's connection: direct to one member, or server selection over a replica set's members. */
export function connect(input: JobRunInput, uri: string): {ok: true; session: Session} | {ok: false; error: string} {
  const parsed = parseConnectionString(uri)
  if (!parsed.ok) return parsed
  const {hosts, options} = parsed.value
  const setName = options.get('replicaset')
  const direct = options.get('directconnection') === 'true' || (hosts.length === 1 && !setName)
  if (direct && hosts.length > 1) return {ok: false, error: 'MongoParseError: directConnection option requires exactly one host'}
  const namespace = String(input.pod.metadata.namespace)
  const reach = (host: string): {ok: true; member: Member} | {ok: false; error: string} => {
    const resolution = resolveHost(host, input.cluster, namespace, input.clusters)
    if (!resolution.ok) return {ok: false, error: resolution.error}
    if (resolution.endpoints.length > 1 && direct) {
      return {ok: false, error: `${host} resolves to ${resolution.endpoints.length} pods: a direct connection would reach one of them at random; name one member (POD.SERVICE.NAMESPACE.svc.cluster.local)`}
    }
    const endpoint = resolution.endpoints[0]
    const target = input.clusters.find((c) => c.name === endpoint.cluster) ?? input.cluster
    const dropped = connectionDropped({cluster: input.cluster, pod: input.pod}, {cluster: target, pod: endpoint.pod}, endpoint.port)
    if (dropped) return {ok: false, error: `connection timed out (${host}): ${dropped}`}
    const member = input.memberOfPod(endpoint.cluster, endpoint.pod)
    const view = input.clusters.find((c) => c.name === endpoint.cluster)
    if (!member || !member.up || view?.isDown()) return {ok: false, error: `connection timed out (${host})`}
    if (member.port !== endpoint.port || !member.bindAll) return {ok: false, error: `connect ECONNREFUSED ${host}`}
    return {ok: true, member}
  }
  if (direct) {
    const target = reach(hosts[0])
    if (!target.ok) return {ok: false, error: `MongoServerSelectionError: ${target.error}`}
    return {ok: true, session: new Session(input.ctx, target.member)}
  }
  // Server selection: discover the set from the seeds, then pick by read preference.
  const seen = new Map<string, Member>()
  // As the driver's error does (its topology description), say why the seeds were not reachable.
  const unreachable: string[] = []
  const queue = [...hosts]
  while (queue.length > 0) {
    const host = queue.shift() as string
    if (seen.has(host.toLowerCase())) continue
    const target = reach(host)
    if (!target.ok) {
      unreachable.push(target.error)
      continue
    }
    seen.set(host.toLowerCase(), target.member)
    const hello = new Session(input.ctx, target.member).hello() as {setName?: string; hosts?: string[]; passives?: string[]}
    if (setName && hello.setName !== setName) continue
    for (const other of [...(hello.hosts ?? []), ...(hello.passives ?? [])]) if (!seen.has(other.toLowerCase())) queue.push(other)
  }
  const members = [...seen.values()].filter((m) => !setName || input.ctx.engine.setOf(m)?.name === setName)
  const preference = options.get('readpreference') ?? 'primary'
  const primary = members.find((m) => m.state === 'PRIMARY')
  const secondaries = members.filter((m) => m.state === 'SECONDARY')
  const chosen =
    preference === 'primary' ? primary
    : preference === 'primaryPreferred' ? (primary ?? secondaries[0])
    : preference === 'secondary' ? secondaries[0]
    : preference === 'secondaryPreferred' ? (secondaries[0] ?? primary)
    : (primary ?? secondaries[0])
  if (!chosen) {
    const why = unreachable.length > 0 ? ` (${unreachable.at(-1)})` : ''
    return {ok: false, error: `MongoServerSelectionError: Server selection timed out after ${Number(options.get('serverselectiontimeoutms') ?? 30000)} ms${why}`}
  }
  return {ok: true, session: new Session(input.ctx, chosen)}
}

/** A mongodump / mongorestore process that passed its checks: connected and authenticated. */
export interface ToolSession {
  session: Session
  parsed: ParsedCommandLine
  /** The `--archive=PATH` file. */
  archive: string
}

/**
 * mongodump / mongorestore before they touch data: the command line is checked against the
 * tools' documented options and the contract (archive, gzip, oplog); the connection string (with
 * its credentials) comes from the `--config` file (a Secret volume: mongo-tools reads `uri` and
 * `password` from it); the connection (with `--readPreference`) and the credentials are checked.
 * What the tools then do with the archive is archive-pipeline.ts.
 */
export function prepareTool(input: JobRunInput, container: ContainerSpec, tool: 'mongodump' | 'mongorestore', args: string[]): {ok: true; tool: ToolSession} | {ok: false; stderr: string[]} {
  const fail = (message: string) => ({ok: false as const, stderr: [toolLine(message)]})
  const parsed = parseToolArgs(tool, args)
  if (!parsed.ok) return {ok: false, stderr: parsed.stderr}
  const problem = toolContractProblem(tool, parsed.parsed)
  if (problem) return fail(problem)
  const {options, positional} = parsed.parsed
  const argUri = options.get('uri')?.at(-1) ?? positional.find((p) => p.startsWith('mongodb://'))
  if ((argUri && /^mongodb:\/\/[^/]*@/.test(argUri)) || options.has('password')) {
    return fail('mygate contract: credentials come from the --config file (a Secret volume), never from the command line')
  }
  const configPath = options.get('config')?.at(-1)
  if (!configPath) return fail('mygate contract: pass --config=FILE, a Secret volume file holding the connection string (uri: ...)')
  const file = new PodFiles(input.pod, input.objects).lookup(container, configPath)
  if (!file.ok) return fail(file.kind === 'mount-failed' ? file.message : `error opening file with --config: open ${configPath}: no such file or directory`)
  const config = toolsConfig(file.file.content)
  if ('error' in config) return fail(`error parsing config file ${configPath}: ${config.error}`)
  const uri = config.uri ?? argUri
  if (!uri) return fail('mygate contract: the --config file holds the connection string as uri: mongodb://USER:PASSWORD@HOSTS/?replicaSet=NAME&authSource=admin')
  const parsedUri = parseConnectionString(uri)
  if (!parsedUri.ok) return fail(`error parsing uri: ${parsedUri.error}`)
  // --readPreference on the command line applies unless the connection string sets one.
  const preference = options.get('readPreference')?.at(-1)
  const bare = uri.replace(/^mongodb:\/\/[^/]*@/, 'mongodb://')
  const withPreference = preference && !parsedUri.value.options.has('readpreference') ? `${bare}${bare.includes('?') ? '&' : '/?'}readPreference=${preference}` : bare
  const connection = connect(input, withPreference)
  if (!connection.ok) return fail(`Failed: can't create session: ${connection.error}`)
  const user = parsedUri.value.username ?? options.get('username')?.at(-1)
  if (user) {
    try {
      connection.session.auth(user, parsedUri.value.password ?? config.password)
    } catch {
      return fail(`Failed: can't create session: failed to connect to ${uri.replace(/\/\/[^@/]*@/, '//')}: connection() error occurred during connection handshake: auth error: sasl conversation error: unable to authenticate using mechanism "SCRAM-SHA-256": (AuthenticationFailed) Authentication failed.`)
    }
  }
  return {ok: true, tool: {session: connection.session, parsed: parsed.parsed, archive: options.get('archive')?.at(-1) ?? ''}}
}

/** mongo-tools' log line: an RFC 3339 time with milliseconds and a numeric zone, a tab, the message. */
export function toolLine(message: string, at = Date.now()): string {
  return `${new Date(at).toISOString().replace('Z', '+0000')}\t${message}`
}

/** mongo-tools' --config YAML: only uri, password, sslPEMKeyPassword, destinationPassword (yaml.UnmarshalStrict). */
export function toolsConfig(text: string): {uri?: string; password?: string} | {error: string} {
  let parsed: unknown
  try {
    parsed = parseYaml(text)
  } catch (error) {
    return {error: (error as Error).message}
  }
  if (parsed === null || parsed === undefined) return {}
  if (typeof parsed !== 'object' || Array.isArray(parsed)) return {error: 'yaml: unmarshal errors: not a map'}
  const allowed = ['password', 'uri', 'sslPEMKeyPassword', 'destinationPassword']
  const unknown = Object.keys(parsed).find((key) => !allowed.includes(key))
  if (unknown) return {error: `yaml: unmarshal errors: field ${unknown} not found in type struct`}
  const values = parsed as Record<string, unknown>
  return {...(typeof values.uri === 'string' ? {uri: values.uri} : {}), ...(typeof values.password === 'string' ? {password: values.password} : {})}
}

/** The contract's rules and the tools' own cross-option checks. */
export function toolContractProblem(tool: 'mongodump' | 'mongorestore', parsed: ParsedCommandLine): string | undefined {
  const {options} = parsed
  const last = (name: string) => options.get(name)?.at(-1)
  if (tool === 'mongodump') {
    // The tools' own checks first (mongodump/options.go, ValidateOptions).
    if (options.has('archive') && options.has('out')) return 'illegal argument combination: --archive and --out'
    if (options.has('oplog') && (options.has('db') || options.has('collection'))) return '--oplog mode only supported on full dumps'
    if ((options.has('query') || options.has('queryFile')) && !options.has('collection')) return 'cannot dump using a query without a specified collection'
    if (options.has('archive')) return undefined
    // An oplog slice: local.oplog.rs (and only it) to a directory, one .bson file to upload.
    if (options.has('out') && last('db') === 'local' && last('collection') === 'oplog.rs') return undefined
    return `mygate contract: ${tool} Jobs use --archive=PATH (one file per backup), or --db=local --collection=oplog.rs --out=DIR for an oplog slice`
  }
  const limit = last('oplogLimit')
  if (limit !== undefined) {
    if (!options.has('oplogReplay')) return 'cannot use --oplogLimit without --oplogReplay enabled'
    if (!parseTimestamp(limit)) return `error parsing timestamp argument to --oplogLimit: ${limit} is not SECONDS[:ORDINAL]`
  }
  if (options.has('oplogFile')) {
    // mongorestore/mongorestore.go ParseAndValidateOptions.
    if (!options.has('oplogReplay')) return 'cannot use --oplogFile without --oplogReplay enabled'
    if (options.has('archive')) return 'cannot use --oplogFile with --archive specified'
    if (!options.has('dir')) return "mygate contract: an oplog replay names its (empty) target directory with --dir=DIR (mongorestore's default 'dump' does not exist in the Job)"
    return undefined
  }
  if (!options.has('archive')) return `mygate contract: ${tool} Jobs use --archive=PATH (one file per backup), or --oplogFile=FILE with --oplogReplay to replay an oplog slice`
  if (options.has('dir')) return 'illegal argument combination: --archive and --dir'
  return undefined
}

/**
 * The container's termination message: what the script wrote to /dev/termination-log when the
 * container reads its message from there; with FallbackToLogsOnError and a failure without one,
 * the log's tail (the kubelet's 80 lines / 2048 bytes); never over 4096 bytes.
 */
export function terminationMessage(container: ContainerSpec, verdict: string | undefined, lines: string[], exitCode: number): {terminationMessage?: string} {
  const path = container.terminationMessagePath ?? DEFAULT_TERMINATION_PATH
  let message = path === DEFAULT_TERMINATION_PATH && verdict ? verdict : ''
  if (!message && exitCode !== 0 && container.terminationMessagePolicy === 'FallbackToLogsOnError') {
    const tail = lines.slice(-FALLBACK_LINES).join('\n')
    message = tail.length > FALLBACK_BYTES ? tail.slice(-FALLBACK_BYTES) : tail
  }
  message = message.slice(0, MESSAGE_LIMIT)
  return message ? {terminationMessage: message} : {}
}
