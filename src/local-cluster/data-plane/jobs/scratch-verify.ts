import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {runInNewContext} from 'node:vm'
import {gunzipSync} from 'node:zlib'

import {hashCollections} from '../../../formats/content-hash/content-hash.js'
import type {KubeObject} from '../../../kube/types.js'
import {packagePath} from '../../../package-root.js'
import {containerEnv} from '../pod/env.js'
import {parseMongodArgs, runsMongod} from '../pod/mongod-launch.js'
import {PodFiles} from '../pod/pod-files.js'
import {basename, type ContainerSpec, containerProcess, expandReferences, podSpecOf} from '../pod/pod-spec.js'
import {parseConnectionString} from '../programs/connection-string.js'
import {parseMongoshArgs, parseToolArgs} from '../programs/options.js'
import {LOCAL_STORE_PROGRAM, readRawArchive, type Step} from './archive-pipeline.js'
import {droppedByPolicy, OBJECT_STORAGE_PEER, OBJECT_STORAGE_PORT} from './job-network.js'
import {type JobRun, type JobRunInput, terminationMessage, toolContractProblem, toolLine} from './job-runner.js'
import {idOf, replayEntries} from './restore-apply.js'
import {bsonOf} from '../stored-document.js'

/**
 * The scheduled verification Job (templates/backup/verify-job.yaml) as the local kubelet runs it:
 * container by container in the pod's order, each command checked as the real program would take
 * it, against the local data plane's object store and a scratch mongod that lives in the pod.
 *
 * - `mygate-local-store sync|get|put`: the simulated transfer image (a simulation: no such image).
 * - `sh /verify/NAME.sh ...`: the shipped script (byte for byte, templates/backup/verify/) with
 *   the semantics its comment documents: capture.sh keeps a program's output as files, transfer.sh
 *   copies an object whose key a file holds (and fails the pod on a failed verdict).
 * - `mongosh --nodb --file /verify/NAME.js`: the shipped script itself, run in a sandbox whose
 *   `fs` is the pod's emptyDirs and mounted ConfigMaps (mongosh scripts may `require` Node's
 *   built-in modules); `print` is its log, `quit(code)` its exit.
 * - the sidecar `mongod` (restartPolicy Always: it starts before the init containers after it and
 *   runs beside them, Kubernetes 1.29+): its options parsed as mongod's; it listens on its own
 *   --bind_ip and --port, which only the pod's containers reach (127.0.0.1).
 * - `mongorestore --host --port --gzip --archive --oplogReplay` into it: the archive's framing and
 *   per-collection CRCs checked as mongorestore's reader does, documents inserted as stored, the
 *   oplog replayed (restore-apply.ts); a scratch that already holds documents is refused.
 * - `mongosh URI --file /ops/hashes.js` against it: the ops script's result over the scratch.
 *
 * An init container that fails stops the pod (the rest never start); the main container's exit
 * is the Job's.
 */

/** True for a pod with a sidecar mongod: the scheduled verification's scratch restore. */
export function isScratchVerifyPod(pod: KubeObject): boolean {
  return (podSpecOf(pod).initContainers ?? []).some((c) => (c as {restartPolicy?: string}).restartPolicy === 'Always' && runsMongod(c))
}

const shippedVerify = new Map<string, string | undefined>()

/** A script as shipped in templates/backup/verify/ (read once). */
export function shippedVerifyScript(name: string): string | undefined {
  if (!shippedVerify.has(name)) {
    try {
      shippedVerify.set(name, readFileSync(packagePath('templates', 'backup', 'verify', name), 'utf8'))
    } catch {
      shippedVerify.set(name, undefined)
    }
  }
  return shippedVerify.get(name)
}

/** The scratch mongod: where it listens and what it holds (collection -> _id -> BSON). */
interface Scratch {
  host: string
  port: number
  database?: string
  collections: Map<string, Map<string, Uint8Array>>
}

interface PodState {
  input: JobRunInput
  files: PodFiles
  /** emptyDir contents by `VOLUME/RELATIVE/PATH`. */
  emptyDirs: Map<string, Buffer>
  scratch?: Scratch
}

export async function runScratchVerifyJob(input: JobRunInput): Promise<JobRun> {
  const spec = podSpecOf(input.pod)
  const state: PodState = {input, files: new PodFiles(input.pod, input.objects), emptyDirs: new Map()}
  const earlier: NonNullable<JobRun['earlier']> = []
  const ordered = [...(spec.initContainers ?? []).map((c) => ({container: c, init: true})), ...spec.containers.map((c) => ({container: c, init: false}))]
  let last: {container: ContainerSpec; step: Step & {message?: string}} | undefined
  for (const {container, init} of ordered) {
    if (last) earlier.push({container: last.container.name, stdout: last.step.stdout, stderr: last.step.stderr})
    const step = await runContainer(state, container)
    last = {container, step}
    if (step.exitCode !== 0 && init) break
  }
  if (!last) return {container: '', stdout: [], stderr: [], exitCode: 0}
  const {container, step} = last
  return {
    container: container.name,
    stdout: step.stdout,
    stderr: step.stderr,
    exitCode: step.exitCode,
    ...terminationMessage(container, step.message, [...step.stdout, ...step.stderr], step.exitCode),
    ...(earlier.length > 0 ? {earlier} : {}),
  }
}

type ContainerStep = Step & {message?: string}
const failed = (line: string, exitCode = 1): ContainerStep => ({stdout: [], stderr: [line], exitCode})

async function runContainer(state: PodState, container: ContainerSpec): Promise<ContainerStep> {
  const envResult = containerEnv(state.input.pod, container, state.input.objects, {lenient: true})
  if (!envResult.ok) return failed(`Error: ${envResult.message}`)
  const env = envResult.env
  const argv = containerProcess(container).argv.map((arg) => expandReferences(arg, env))
  if ((container as {restartPolicy?: string}).restartPolicy === 'Always') return startScratch(state, container, argv)
  return runProgram(state, container, env, argv)
}

async function runProgram(state: PodState, container: ContainerSpec, env: ReadonlyMap<string, string>, argv: string[]): Promise<ContainerStep> {
  const program = basename(argv[0] ?? '')
  switch (program) {
    case LOCAL_STORE_PROGRAM:
      return localStore(state, container, argv.slice(1))
    case 'sh':
      return shellScript(state, container, env, argv.slice(1))
    case 'mongosh':
      return mongosh(state, container, env, argv.slice(1))
    case 'mongorestore':
      return mongorestore(state, container, argv.slice(1))
    default:
      return failed(`the local data plane runs the verification's shipped programs only (mygate-local-store, sh /verify/*.sh, mongosh, mongorestore, mongod), not ${program || '(no command)'}`, 127)
  }
}

// ---- the pod's files ------------------------------------------------------------------------

/** A path inside one of the container's emptyDir mounts, or why it is not one. */
function emptyDirPath(state: PodState, container: ContainerSpec, path: string): {key: string; readOnly: boolean} | undefined {
  const mount = state.files.mountFor(container, path)
  if (!mount || !state.files.volume(mount.name)?.emptyDir) return undefined
  const relative = path.slice(mount.mountPath.replace(/\/+$/, '').length).replace(/^\/+/, '')
  return {key: `${mount.name}/${relative}`, readOnly: mount.readOnly === true}
}

function readPodFile(state: PodState, container: ContainerSpec, path: string): Buffer | undefined {
  const at = emptyDirPath(state, container, path)
  if (at) return state.emptyDirs.get(at.key)
  const file = state.files.lookup(container, path)
  return file.ok ? Buffer.from(file.file.content) : undefined
}

function writePodFile(state: PodState, container: ContainerSpec, path: string, bytes: Buffer): string | undefined {
  const at = emptyDirPath(state, container, path)
  if (!at || at.readOnly) return `EROFS: read-only file system, open '${path}'`
  state.emptyDirs.set(at.key, bytes)
  return undefined
}

/** The entries directly under a directory of an emptyDir (files and subdirectories). */
function listPodDir(state: PodState, container: ContainerSpec, path: string): string[] | undefined {
  const at = emptyDirPath(state, container, path.replace(/\/+$/, ''))
  if (!at) return undefined
  const prefix = at.key.endsWith('/') ? at.key : `${at.key}/`
  const names = new Set<string>()
  for (const key of state.emptyDirs.keys()) if (key.startsWith(prefix)) names.add(key.slice(prefix.length).split('/')[0])
  return names.size > 0 ? [...names].sort() : undefined
}

/** A script the container runs: it must be the shipped one, byte for byte. */
function shippedFile(state: PodState, container: ContainerSpec, path: string, shipped: (name: string) => string | undefined, where: string): {ok: true; source: string} | {ok: false; step: ContainerStep} {
  const file = state.files.lookup(container, path)
  if (!file.ok) return {ok: false, step: failed(file.kind === 'mount-failed' ? file.message : `${path}: No such file or directory`)}
  const expected = shipped(basename(path))
  if (expected === undefined || expected.replace(/\r\n/g, '\n') !== file.file.content.replace(/\r\n/g, '\n')) {
    return {ok: false, step: failed(`${path} differs from ${where}/${basename(path)}: the local data plane runs the shipped scripts only (render the ConfigMap from the template)`)}
  }
  return {ok: true, source: file.file.content}
}

// ---- programs -------------------------------------------------------------------------------

/** `mygate-local-store sync URL DIR --include=*\/NAME | get URL FILE | put FILE URL`. */
async function localStore(state: PodState, container: ContainerSpec, args: string[]): Promise<ContainerStep> {
  const fail = (message: string) => failed(`${LOCAL_STORE_PROGRAM}: ${message}`)
  const store = state.input.archiveStore
  if (!store) return fail('no local object store is attached to this control plane')
  const dropped = droppedByPolicy(state.input.cluster, state.input.pod, OBJECT_STORAGE_PEER, OBJECT_STORAGE_PORT)
  if (dropped) return fail(`connection to the object store timed out: ${dropped}`)
  const [verb, from, to, ...rest] = args
  if (verb === 'sync') {
    const include = rest.length === 1 ? /^--include=\*\/([^/*]+)$/.exec(rest[0])?.[1] : undefined
    if (!from?.startsWith('local://') || !from.endsWith('/') || !to || !include || !store.list) return fail('usage: mygate-local-store sync local://BUCKET/PREFIX/ DIR --include=*/NAME')
    const prefix = from.replace(/^local:\/\/[^/]+\//, '')
    const copied: string[] = []
    for (const key of await store.list(from)) {
      if (basename(key) !== include) continue
      const bytes = await store.get(`${from}${key.slice(prefix.length)}`)
      if (!bytes) continue
      const problem = writePodFile(state, container, `${to.replace(/\/+$/, '')}/${key.slice(prefix.length)}`, bytes)
      if (problem) return fail(problem)
      copied.push(key)
    }
    return {stdout: copied.map((key) => `download: ${from}${key.slice(prefix.length)}`), stderr: [], exitCode: 0}
  }
  if (!['put', 'get'].includes(verb ?? '') || !from || !to || rest.length > 0) return fail('usage: mygate-local-store put FILE local://BUCKET/KEY | get local://BUCKET/KEY FILE | sync local://BUCKET/PREFIX/ DIR --include=*/NAME')
  if (verb === 'put') {
    if (!to.startsWith('local://')) return fail(`${to}: not a local:// URL`)
    const bytes = readPodFile(state, container, from)
    if (!bytes) return fail(`${from}: no such file or directory`)
    await store.put(to, bytes)
    return {stdout: [`uploaded ${from} to ${to} (${bytes.length} bytes)`], stderr: [], exitCode: 0}
  }
  if (!from.startsWith('local://')) return fail(`${from}: not a local:// URL`)
  const bytes = await store.get(from)
  if (!bytes) return fail(`${from}: no such object`)
  const problem = writePodFile(state, container, to, bytes)
  if (problem) return fail(problem)
  return {stdout: [`downloaded ${from} to ${to} (${bytes.length} bytes)`], stderr: [], exitCode: 0}
}

/** `sh /verify/capture.sh OUT PROGRAM...` and `sh /verify/transfer.sh get|put KEY_FILE FILE PREFIX COPY...`. */
async function shellScript(state: PodState, container: ContainerSpec, env: ReadonlyMap<string, string>, args: string[]): Promise<ContainerStep> {
  const [script, ...rest] = args
  if (!script) return failed('sh: the local data plane runs shipped script files only, not sh without one', 2)
  const checked = shippedFile(state, container, script, shippedVerifyScript, 'templates/backup/verify')
  if (!checked.ok) return checked.step
  const name = basename(script)
  if (name === 'capture.sh') {
    const [out, ...command] = rest
    if (!out || command.length === 0) return failed('usage: capture.sh OUT PROGRAM [ARG...]', 2)
    const started = Date.now()
    const inner = await runProgram(state, container, env, command)
    const files: Array<[string, string]> = [
      ['started', String(started)],
      ['stdout', inner.stdout.map((l) => `${l}\n`).join('')],
      ['stderr', inner.stderr.map((l) => `${l}\n`).join('')],
      ['exit', `${inner.exitCode}\n`],
      ['finished', String(Date.now())],
    ]
    for (const [suffix, text] of files) {
      const problem = writePodFile(state, container, `${out}.${suffix}`, Buffer.from(text))
      if (problem) return failed(`capture.sh: ${problem}`)
    }
    return {stdout: [], stderr: inner.stderr, exitCode: 0}
  }
  if (name === 'transfer.sh') {
    const [direction, keyFile, file, prefix, ...copy] = rest
    if (!direction || !keyFile || !file || prefix === undefined || copy.length === 0) return failed('usage: transfer.sh get|put KEY_FILE FILE URL_PREFIX COPY...', 2)
    const key = readPodFile(state, container, keyFile)?.toString('utf8').trim()
    if (key === undefined) return failed(`cat: ${keyFile}: No such file or directory`)
    if (!key.startsWith('backups/')) return failed(`transfer.sh: ${keyFile} does not hold a backups/ key`, 2)
    const copied = await runProgram(state, container, env, direction === 'get' ? [...copy, `${prefix}${key}`, file] : [...copy, file, `${prefix}${key}`])
    if (direction === 'get' || copied.exitCode !== 0) return copied
    const folder = file.replace(/\/[^/]*$/, '')
    const status = readPodFile(state, container, `${folder}/verdict.status`)?.toString('utf8').trim()
    if (status === undefined) return copied
    const summary = readPodFile(state, container, `${folder}/verdict.summary`)?.toString('utf8') ?? ''
    return {stdout: [...copied.stdout, summary], stderr: copied.stderr, exitCode: status === 'passed' ? 0 : 1, message: summary}
  }
  return failed(`sh: ${script} is not one of the verification's scripts`, 2)
}

/** The sidecar mongod: options as mongod parses them, listening where they say. */
function startScratch(state: PodState, container: ContainerSpec, argv: string[]): ContainerStep {
  if (!runsMongod(container)) return failed(`the local data plane runs a mongod sidecar only, not ${argv[0] ?? '(no command)'}`)
  const parsed = parseMongodArgs(argv.slice(1))
  if ('unknown' in parsed) return failed(`Error parsing command line: unrecognised option '${parsed.unknown}'`, 2)
  const dbPath = parsed.values.get('--dbpath') ?? '/data/db'
  if (!emptyDirPath(state, container, dbPath)) return failed(`Data directory ${dbPath} not found. Create the missing directory or specify another path using (1) the --dbpath command line option, or (2) by adding the 'storage.dbPath' option in the configuration file.`, 100)
  const host = parsed.flags.has('--bind_ip_all') ? '0.0.0.0' : (parsed.values.get('--bind_ip') ?? '127.0.0.1')
  state.scratch = {host, port: Number(parsed.values.get('--port') ?? 27017), collections: new Map()}
  return {stdout: [`{"msg":"Waiting for connections","attr":{"port":${state.scratch.port}}}`], stderr: [], exitCode: 0}
}

/** The scratch mongod if `host:port` reaches it from inside the pod. */
function scratchAt(state: PodState, host: string, port: number): Scratch | undefined {
  const scratch = state.scratch
  if (!scratch || scratch.port !== port) return undefined
  const loopback = host === '127.0.0.1' || host === 'localhost'
  return loopback && (scratch.host === '0.0.0.0' || scratch.host.split(',').some((h) => h.trim() === '127.0.0.1' || h.trim() === 'localhost')) ? scratch : undefined
}

async function mongorestore(state: PodState, container: ContainerSpec, args: string[]): Promise<ContainerStep> {
  const parsed = parseToolArgs('mongorestore', args)
  if (!parsed.ok) return {stdout: [], stderr: parsed.stderr, exitCode: 1}
  const problem = toolContractProblem('mongorestore', parsed.parsed)
  if (problem) return failed(toolLine(problem))
  const {options} = parsed.parsed
  const host = options.get('host')?.at(-1) ?? 'localhost'
  const port = Number(options.get('port')?.at(-1) ?? 27017)
  const scratch = scratchAt(state, host.split(':')[0], host.includes(':') ? Number(host.split(':')[1]) : port)
  if (!scratch) return failed(toolLine(`Failed: can't create session: could not connect to server: connection() error occurred during connection handshake: dial tcp ${host}:${port}: connect: connection refused`))
  const archive = options.get('archive')?.at(-1) ?? ''
  const bytes = readPodFile(state, container, archive)
  if (!bytes) return failed(toolLine(`Failed: error opening archive ${archive}: no such file or directory`))
  if ([...scratch.collections.values()].some((c) => c.size > 0)) return failed(toolLine('Failed: the scratch mongod already holds documents: the verification restores once into an empty one'))
  try {
    let raw: Buffer
    try {
      raw = options.has('gzip') ? gunzipSync(bytes) : bytes
    } catch (error) {
      throw new Error(`stream or file does not appear to be a gzip archive: ${(error as Error).message}`, {cause: error})
    }
    const decoded = await readRawArchive(raw)
    if (options.has('oplogReplay') && !decoded.hasOplog) throw new Error('no oplog file to replay; make sure you run mongodump with --oplog')
    const stderr: string[] = [toolLine(`preparing collections to restore from`)]
    let total = 0
    for (const c of decoded.collections) {
      scratch.database = c.db
      const documents = scratch.collections.get(c.collection) ?? new Map<string, Uint8Array>()
      scratch.collections.set(c.collection, documents)
      for (const bson of c.documents) documents.set(idOf(bson), bson)
      stderr.push(toolLine(`finished restoring ${c.db}.${c.collection} (${c.documents.length} document${c.documents.length === 1 ? '' : 's'}, 0 failures)`))
      total += c.documents.length
    }
    if (options.has('oplogReplay')) {
      const replayed = replayEntries(decoded.oplog, scratch.database ?? '', undefined, (op, coll, id, doc) => {
        const documents = scratch.collections.get(coll) ?? new Map<string, Uint8Array>()
        scratch.collections.set(coll, documents)
        if (op === 'd') documents.delete(id)
        else if (doc !== undefined) documents.set(id, bsonOf(doc))
      })
      stderr.push(toolLine('replaying oplog'), toolLine(`applied ${replayed.oplogApplied} oplog entries`))
    }
    stderr.push(toolLine(`${total} document(s) restored successfully. 0 document(s) failed to restore.`))
    return {stdout: [], stderr, exitCode: 0}
  } catch (error) {
    return failed(toolLine(`Failed: ${(error as Error).message}`))
  }
}

async function mongosh(state: PodState, container: ContainerSpec, env: ReadonlyMap<string, string>, args: string[]): Promise<ContainerStep> {
  const parsed = parseMongoshArgs(args)
  if (!parsed.ok) return {stdout: [], stderr: parsed.stderr, exitCode: 1}
  const {options, positional} = parsed.parsed
  if (options.has('eval')) return failed('the local data plane runs only shipped scripts in Jobs; --eval is simulated for probes only')
  const rest = [...positional]
  const uri = rest.length > 0 && rest[0].startsWith('mongodb://') ? rest.shift() : undefined
  const files = [...(options.get('file') ?? []), ...rest]
  if (files.length !== 1) return failed(`the local data plane runs exactly one script per mongosh (got ${files.length})`)
  const script = files[0]
  if (options.has('nodb')) {
    const checked = shippedFile(state, container, script, shippedVerifyScript, 'templates/backup/verify')
    if (!checked.ok) return checked.step
    return runNoDbScript(state, container, env, checked.source)
  }
  const checked = shippedFile(state, container, script, state.input.shippedScript, 'templates/mongodb/ops')
  if (!checked.ok) return checked.step
  if (basename(script) !== 'hashes.js') return failed(`${basename(script)}: the verification's scratch mongod runs hashes.js only`)
  const target = parseConnectionString(uri ?? `mongodb://${options.get('host')?.at(-1) ?? '127.0.0.1'}:${options.get('port')?.at(-1) ?? 27017}/`)
  if (!target.ok) return failed(`MongoParseError: ${target.error}`)
  const [host, port] = (target.value.hosts[0] ?? '').split(':')
  const scratch = scratchAt(state, host, Number(port || 27017))
  if (!scratch) return failed(`MongoServerSelectionError: connect ECONNREFUSED ${target.value.hosts[0] ?? ''}`)
  let params: {database?: unknown}
  try {
    params = JSON.parse(env.get('OP_PARAMS') || '{}') as {database?: unknown}
  } catch (error) {
    return failed(`SyntaxError: ${(error as Error).message}`)
  }
  if (typeof params.database !== 'string' || !params.database) {
    return {stdout: [JSON.stringify({op: 'hashes', ok: false, error: {code: null, codeName: null, message: 'OP_PARAMS needs "database": the application database to hash'}})], stderr: [], exitCode: 1}
  }
  const database = params.database
  // A database the scratch does not hold lists no collections, as on a real server.
  const names = scratch.database === database ? [...scratch.collections.keys()].filter((n) => !n.startsWith('system.')).sort() : []
  const hashes = hashCollections(names.map((name) => ({ns: `${database}.${name}`, documents: (scratch.collections.get(name) as Map<string, Uint8Array>).values()})))
  const collections = names.map((name) => ({name, count: hashes[`${database}.${name}`].documents, hash: hashes[`${database}.${name}`].sha256Sum}))
  const documents = collections.reduce((n, c) => n + c.count, 0)
  return {stdout: [JSON.stringify({op: 'hashes', ok: true, database, collections})], stderr: [], exitCode: 0, message: `hashes: ${collections.length} collections, ${documents} documents in ${database}`}
}

/** Thrown by the sandbox's quit(): mongosh exits there, whatever the script would do next. */
class Quit {
  constructor(readonly code: number) {}
}

/**
 * A `mongosh --nodb` script in a sandbox: `require('fs')` reads and writes the pod's files as the
 * container sees them, `require('crypto')` is Node's own, `print` logs, `quit(code)` exits.
 */
function runNoDbScript(state: PodState, container: ContainerSpec, env: ReadonlyMap<string, string>, source: string): ContainerStep {
  const stdout: string[] = []
  let message: string | undefined
  let exited: number | undefined
  const enoent = (path: string) => Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), {code: 'ENOENT'})
  const descriptors = new Map<number, {bytes: Buffer; position: number}>()
  const fs = {
    existsSync: (path: string) => readPodFile(state, container, path) !== undefined || listPodDir(state, container, path) !== undefined,
    readdirSync: (path: string) => {
      const names = listPodDir(state, container, path)
      if (!names) throw enoent(path)
      return names
    },
    readFileSync: (path: string, encoding?: string) => {
      const bytes = readPodFile(state, container, path)
      if (!bytes) throw enoent(path)
      return encoding ? bytes.toString(encoding as BufferEncoding) : bytes
    },
    writeFileSync: (path: string, data: string | Uint8Array) => {
      if (exited !== undefined) return
      if (path === '/dev/termination-log') {
        message = String(data)
        return
      }
      const problem = writePodFile(state, container, path, Buffer.from(data))
      if (problem) throw Object.assign(new Error(problem), {code: 'EROFS'})
    },
    openSync: (path: string) => {
      const bytes = readPodFile(state, container, path)
      if (!bytes) throw enoent(path)
      const fd = descriptors.size + 3
      descriptors.set(fd, {bytes, position: 0})
      return fd
    },
    readSync: (fd: number, buffer: Uint8Array, offset: number, length: number) => {
      const open = descriptors.get(fd)
      if (!open) throw Object.assign(new Error('EBADF: bad file descriptor, read'), {code: 'EBADF'})
      const n = open.bytes.copy(buffer, offset, open.position, Math.min(open.bytes.length, open.position + length))
      open.position += n
      return n
    },
    closeSync: (fd: number) => {
      descriptors.delete(fd)
    },
  }
  const modules: Record<string, unknown> = {fs, crypto: {createHash}}
  const sandbox = {
    require: (name: string) => {
      if (!(name in modules)) throw new Error(`Cannot find module '${name}' (the local data plane offers fs and crypto)`)
      return modules[name]
    },
    process: {env: Object.fromEntries(env)},
    print: (...values: unknown[]) => {
      if (exited === undefined) stdout.push(values.map(String).join(' '))
    },
    quit: (code?: number) => {
      exited ??= code ?? 0
      throw new Quit(exited)
    },
    Buffer,
  }
  try {
    runInNewContext(source, sandbox, {timeout: 10_000})
  } catch (error) {
    if (!(error instanceof Quit) && exited === undefined) return {stdout, stderr: [`Uncaught ${String(error)}`], exitCode: 1}
  }
  return {stdout, stderr: [], exitCode: exited ?? 0, ...(message ? {message} : {})}
}
