import {Writable} from 'node:stream'
import {gunzipSync} from 'node:zlib'

import {droppedByPolicy, OBJECT_STORAGE_PEER, OBJECT_STORAGE_PORT} from './job-network.js'
import {writeArchive} from '../../../formats/mongo-archive/encode.js'
import {decodeArchive} from '../../../formats/mongo-archive/decode.js'
import {isOplogNamespace, namespaceName} from '../../../formats/mongo-archive/layout.js'
import {containerEnv} from '../pod/env.js'
import {PodFiles} from '../pod/pod-files.js'
import {basename, type ContainerSpec, containerProcess, expandReferences, podSpecOf} from '../pod/pod-spec.js'
import {parseTimestamp} from '../optime.js'
import {type DumpSnapshot, dumpSnapshot} from './dump-snapshot.js'
import {dumpOplogSlice, replayOplogFile} from './oplog-programs.js'
import {type DataPlaneTrace, type JobRun, type JobRunInput, prepareTool, runMongoshContainer, terminationMessage, toolLine} from './job-runner.js'
import {RestoreError, restoreIntoSet} from './restore-apply.js'

/**
 * The local provider's object store as the simulated `mygate-local-store` transfer container
 * reaches it (on clouds the Job's `aws s3 cp` / `gcloud storage cp` run with workload identity).
 * The daemon passes the store it shares with the CLI (under MYGATE_HOME).
 */
export interface ArchiveStore {
  put(url: string, bytes: Buffer): Promise<void>
  /** undefined when there is no such object. */
  get(url: string): Promise<Buffer | undefined>
  /** The keys of the objects under a `local://BUCKET/PREFIX` URL, in key order (a verification's catalog sync). */
  list?(url: string): Promise<string[]>
}

/** What the simulated tools report as their versions (archive header, log lines). */
export const SIMULATED_VERSIONS = {server: '7.0.14', tools: '100.10.0'}
export const LOCAL_STORE_PROGRAM = 'mygate-local-store'

export interface Step {
  stdout: string[]
  stderr: string[]
  exitCode: number
}

/**
 * A backup Job's pod, container by container as the kubelet runs them: init containers in order
 * (any failure fails the pod, the rest never start), then the main container. An emptyDir is
 * shared by the containers that mount it: mongodump writes the archive there, the transfer
 * container uploads it (or downloads it for mongorestore). Returns the outcome of the last
 * container that ran, with the logs of those before it.
 */
export async function runArchiveJob(input: JobRunInput): Promise<JobRun> {
  const spec = podSpecOf(input.pod)
  const files = new PodFiles(input.pod, input.objects)
  const emptyDirs = new Map<string, Buffer>()
  const earlier: NonNullable<JobRun['earlier']> = []
  const ordered = [...(spec.initContainers ?? []).map((c) => ({container: c, init: true})), ...spec.containers.map((c) => ({container: c, init: false}))]
  let last: {container: ContainerSpec; step: Step} | undefined
  for (const {container, init} of ordered) {
    if (last) earlier.push({container: last.container.name, stdout: last.step.stdout, stderr: last.step.stderr})
    const step = await runContainer(input, files, emptyDirs, container)
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
    ...terminationMessage(container, undefined, [...step.stdout, ...step.stderr], step.exitCode),
    ...(earlier.length > 0 ? {earlier} : {}),
  }
}

async function runContainer(input: JobRunInput, files: PodFiles, emptyDirs: Map<string, Buffer>, container: ContainerSpec): Promise<Step> {
  const envResult = containerEnv(input.pod, container, input.objects, {lenient: true})
  if (!envResult.ok) return {stdout: [], stderr: [`Error: ${envResult.message}`], exitCode: 1}
  const argv = containerProcess(container).argv.map((arg) => expandReferences(arg, envResult.env))
  const program = basename(argv[0] ?? '')
  const file = emptyDirFile(files, emptyDirs, container)
  if (program === 'mongodump' || program === 'mongorestore') {
    const prepared = prepareTool(input, container, program, argv.slice(1))
    if (!prepared.ok) return {stdout: [], stderr: prepared.stderr, exitCode: 1}
    try {
      // An oplog slice: mongodump of local.oplog.rs to a directory, mongorestore of one --oplogFile.
      if (program === 'mongodump' && prepared.tool.parsed.options.has('out')) return dumpOplogSlice(input, prepared.tool, file)
      if (program === 'mongorestore' && prepared.tool.parsed.options.has('oplogFile')) return replayOplogFile(input, files, container, prepared.tool, file)
      return program === 'mongodump' ? await dump(input, prepared.tool, file) : await restore(input, prepared.tool, file)
    } catch (error) {
      return {stdout: [], stderr: [toolLine(`Failed: ${(error as Error).message}`, input.ctx.now)], exitCode: 1}
    }
  }
  if (program === LOCAL_STORE_PROGRAM) return transfer(input, argv.slice(1), file)
  if (program === 'mongosh') {
    // The restore Job's app-user step (a restore from another environment's backup).
    const ran = runMongoshContainer(input, container)
    return {stdout: ran.stdout, stderr: ran.stderr, exitCode: ran.exitCode}
  }
  // Anything else (the key-file copies PodFiles already interpreted) changes nothing here.
  return {stdout: [], stderr: [], exitCode: 0}
}

/** Reads and writes files of the pod's emptyDir volumes, as one container sees them. */
export interface FileAccess {
  read(path: string): Buffer | undefined
  /** An error message when the path is not writable. */
  write(path: string, bytes: Buffer): string | undefined
}

function emptyDirFile(files: PodFiles, emptyDirs: Map<string, Buffer>, container: ContainerSpec): FileAccess {
  const locate = (path: string) => {
    const mount = files.mountFor(container, path)
    const volume = mount ? files.volume(mount.name) : undefined
    if (!mount || !volume?.emptyDir) return undefined
    return {key: `${mount.name}/${path.slice(mount.mountPath.replace(/\/+$/, '').length).replace(/^\/+/, '')}`, readOnly: mount.readOnly === true}
  }
  return {
    read: (path) => {
      const at = locate(path)
      return at ? emptyDirs.get(at.key) : undefined
    },
    write: (path, bytes) => {
      const at = locate(path)
      if (!at) return `open ${path}: read-only file system (mount an emptyDir there)`
      if (at.readOnly) return `open ${path}: read-only file system`
      emptyDirs.set(at.key, bytes)
      return undefined
    },
  }
}

async function dump(input: JobRunInput, tool: NonNullable<Extract<ReturnType<typeof prepareTool>, {ok: true}>['tool']>, file: FileAccess): Promise<Step> {
  const at = input.ctx.now
  const member = tool.session.member
  const set = input.ctx.engine.setOf(member)
  if (!set) throw new Error('this member is not in a replica set: run initiate first')
  tool.session.collectionStats(set.database)
  const snapshot = dumpSnapshot(set, member)
  const gzip = tool.parsed.options.has('gzip')
  const stderr: string[] = []
  for (const collection of snapshot.collections) stderr.push(toolLine(`writing ${snapshot.database}.${collection.name} to archive '${tool.archive}'`, at))
  const {bytes} = await writeDumpArchive(snapshot, {oplog: tool.parsed.options.has('oplog'), gzip})
  const problem = file.write(tool.archive, bytes)
  if (problem) throw new Error(problem)
  for (const collection of snapshot.collections) stderr.push(toolLine(`done dumping ${snapshot.database}.${collection.name} (${collection.count} document${collection.count === 1 ? '' : 's'})`, at))
  if (tool.parsed.options.has('oplog')) {
    stderr.push(toolLine('writing captured oplog to ', at))
    stderr.push(toolLine(`\tdumped ${snapshot.oplog.length} oplog entr${snapshot.oplog.length === 1 ? 'y' : 'ies'}`, at))
  }
  return {stdout: [], stderr, exitCode: 0}
}

/**
 * The archive a simulated `mongodump --archive [--oplog] [--gzip]` writes from a snapshot: the
 * stored BSON copied into mongodump's archive format and, with --gzip, compressed as one stream
 * (mongodump's gzip writer wraps the archive stream). The compressor runs on libuv's thread pool
 * while the next chunk is framed, as mongodump's writer goroutine runs beside its readers.
 *
 * Level 1 rather than mongodump's default (Go's gzip.DefaultCompression, 6): the bytes inside are
 * the same archive and any gzip reader (mongorestore's included) reads every level, but level 6
 * costs four times level 1 here and would alone miss the dump's speed target (issue 12: at least
 * half the speed of `gzip -1` over the same bytes), for about 15% smaller archives.
 */
export const DUMP_GZIP_LEVEL = 1

export async function writeDumpArchive(snapshot: DumpSnapshot, options: {oplog: boolean; gzip: boolean}): Promise<{bytes: Buffer; archiveBytes: number}> {
  const chunks: Buffer[] = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk)
      done()
    },
  })
  const input = {
    serverVersion: SIMULATED_VERSIONS.server,
    toolVersion: SIMULATED_VERSIONS.tools,
    collections: snapshot.collections.map((c) => ({db: snapshot.database, collection: c.name, documents: c.documents()})),
    ...(options.oplog ? {oplog: snapshot.oplog} : {}),
  }
  const summary = await writeArchive(input, sink, options.gzip ? {gzip: DUMP_GZIP_LEVEL} : {})
  return {bytes: Buffer.concat(chunks), archiveBytes: summary.archiveBytes}
}

async function restore(input: JobRunInput, tool: NonNullable<Extract<ReturnType<typeof prepareTool>, {ok: true}>['tool']>, file: FileAccess): Promise<Step> {
  const at = input.ctx.now
  const bytes = file.read(tool.archive)
  if (!bytes) throw new Error(`error opening archive ${tool.archive}: no such file or directory`)
  const member = tool.session.member
  const set = input.ctx.engine.setOf(member)
  if (!set || member.state !== 'PRIMARY') throw new Error(`${member.placement.pod} is not the primary: connect with replicaSet=NAME`)
  tool.session.rsStatus()
  const timed = stepTimer(input.trace)
  let raw: Buffer
  try {
    raw = tool.parsed.options.has('gzip') ? gunzipSync(bytes) : bytes
  } catch (error) {
    throw new Error(`stream or file does not appear to be a gzip archive: ${(error as Error).message}`, {cause: error})
  }
  timed('restore: gunzip')
  const decoded = await readRawArchive(raw)
  timed('restore: read the archive (framing, CRCs)')
  const replay = tool.parsed.options.has('oplogReplay')
  if (replay && !decoded.hasOplog) throw new Error('no oplog file to replay; make sure you run mongodump with --oplog')
  const limitText = tool.parsed.options.get('oplogLimit')?.at(-1)
  const limit = limitText ? parseTimestamp(limitText) : undefined
  const stderr = [toolLine(`preparing collections to restore from`, at)]
  let outcome
  try {
    outcome = restoreIntoSet(input.ctx.engine, set, {collections: decoded.collections, oplog: decoded.oplog, replay, ...(limit ? {oplogLimit: limit} : {})}, at)
    timed('restore: insert and replay')
  } catch (error) {
    if (error instanceof RestoreError) throw new Error(error.message.replace(/^Failed: /, ''), {cause: error})
    throw error
  }
  let total = 0
  for (const restored of outcome.restored) {
    stderr.push(toolLine(`restoring ${restored.namespace} from archive '${tool.archive}'`, at))
    stderr.push(toolLine(`finished restoring ${restored.namespace} (${restored.documents} document${restored.documents === 1 ? '' : 's'}, 0 failures)`, at))
    total += restored.documents
  }
  if (replay) {
    stderr.push(toolLine('replaying oplog', at))
    stderr.push(toolLine(`applied ${outcome.oplogApplied} oplog entries`, at))
  }
  stderr.push(toolLine(`${total} document(s) restored successfully. 0 document(s) failed to restore.`, at))
  return {stdout: [], stderr, exitCode: 0}
}

/** `mygate-local-store put FILE URL` / `get URL FILE`: the simulated transfer container. */
async function transfer(input: JobRunInput, args: string[], file: FileAccess): Promise<Step> {
  const fail = (message: string): Step => ({stdout: [], stderr: [`${LOCAL_STORE_PROGRAM}: ${message}`], exitCode: 1})
  const [verb, from, to, ...rest] = args
  if (!['put', 'get'].includes(verb ?? '') || !from || !to || rest.length > 0) return fail('usage: mygate-local-store put FILE local://BUCKET/KEY | get local://BUCKET/KEY FILE')
  const store = input.archiveStore
  if (!store) return fail('no local object store is attached to this control plane')
  const dropped = droppedByPolicy(input.cluster, input.pod, OBJECT_STORAGE_PEER, OBJECT_STORAGE_PORT)
  if (dropped) return fail(`connection to the object store timed out: ${dropped}`)
  if (verb === 'put') {
    if (!to.startsWith('local://')) return fail(`${to}: not a local:// URL`)
    const bytes = file.read(from)
    if (!bytes) return fail(`${from}: no such file or directory`)
    await store.put(to, bytes)
    return {stdout: [`uploaded ${from} to ${to} (${bytes.length} bytes)`], stderr: [], exitCode: 0}
  }
  if (!from.startsWith('local://')) return fail(`${from}: not a local:// URL`)
  const timed = stepTimer(input.trace)
  const bytes = await store.get(from)
  timed('download from the object store')
  if (!bytes) return fail(`${from}: no such object`)
  const problem = file.write(to, bytes)
  if (problem) return fail(problem)
  return {stdout: [`downloaded ${from} to ${to} (${bytes.length} bytes)`], stderr: [], exitCode: 0}
}

/** Calls trace with the time since the previous call (or its creation). */
function stepTimer(trace: DataPlaneTrace | undefined): (step: string) => void {
  let last = performance.now()
  return (step) => {
    const now = performance.now()
    trace?.(step, now - last)
    last = now
  }
}

async function* oneChunk(bytes: Buffer): AsyncIterable<Uint8Array> {
  yield bytes
}

/**
 * An uncompressed archive's collections and oplog as raw BSON (views into `raw`), its framing and
 * CRCs checked by the decoder: mongorestore inserts the bytes it reads, it does not decode them.
 */
export async function readRawArchive(raw: Buffer): Promise<{collections: Array<{db: string; collection: string; documents: Uint8Array[]}>; oplog: Uint8Array[]; hasOplog: boolean}> {
  const byName = new Map<string, {db: string; collection: string; documents: Uint8Array[]}>()
  const oplog: Uint8Array[] = []
  let hasOplog = false
  for await (const event of decodeArchive(oneChunk(raw), {gzip: false})) {
    if (event.kind === 'prelude') {
      for (const c of event.collections) {
        if (isOplogNamespace(c)) hasOplog = true
        else byName.set(namespaceName(c), {db: c.db, collection: c.collection, documents: []})
      }
    } else if (event.kind === 'documents') {
      const target = event.oplog ? oplog : byName.get(namespaceName(event.ns))?.documents
      if (target) for (const bson of event.documents) target.push(bson)
    }
  }
  return {collections: [...byName.values()], oplog, hasOplog}
}
