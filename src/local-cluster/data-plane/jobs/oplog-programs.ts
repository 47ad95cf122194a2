import {gunzipSync, gzipSync} from 'node:zlib'

import {splitBsonDocuments} from '../../../formats/bson-file/bson-file.js'
import {parseTimestamp} from '../optime.js'
import type {PodFiles} from '../pod/pod-files.js'
import type {ContainerSpec} from '../pod/pod-spec.js'
import type {FileAccess, Step} from './archive-pipeline.js'
import {type JobRunInput, type ToolSession, toolLine} from './job-runner.js'
import {dumpOplogRange, parseOplogQuery} from './oplog-dump.js'
import {RestoreError, replayOplogIntoSet} from './restore-apply.js'

/**
 * The two programs of an oplog slice, as the real tools behave:
 *
 * - `mongodump --db=local --collection=oplog.rs --query=Q [--gzip] --out=DIR` writes
 *   DIR/local/oplog.rs.bson (BSON documents back to back; `.bson.gz` with --gzip) and its
 *   DIR/local/oplog.rs.metadata.json next to it (https://www.mongodb.com/docs/database-tools/mongodump/#output-format).
 * - `mongorestore --oplogReplay --oplogFile=FILE [--oplogLimit=T] [--gzip] --dir=EMPTY` replays
 *   that one file (mongo-tools: CreateIntentForOplog; `--oplogFile` cannot be combined with
 *   `--archive`), onto whatever the target holds, stopping before the first entry at or after T.
 */

export function dumpOplogSlice(input: JobRunInput, tool: ToolSession, file: FileAccess): Step {
  const at = input.ctx.now
  const {options} = tool.parsed
  const member = tool.session.member
  const set = input.ctx.engine.setOf(member)
  if (!set) throw new Error('this member is not in a replica set: run initiate first')
  // Reading local.oplog.rs needs an authenticated user, as any find does.
  tool.session.replicationInfo()
  const query = parseOplogQuery(options.get('query')?.at(-1))
  if (!query.ok) throw new Error(query.error)
  const documents = dumpOplogRange(set, member, query.range, at)
  const gzip = options.has('gzip')
  const dir = `${(options.get('out')?.at(-1) ?? 'dump').replace(/\/+$/, '')}/local`
  const bsonPath = `${dir}/oplog.rs.bson${gzip ? '.gz' : ''}`
  const metadataPath = `${dir}/oplog.rs.metadata.json${gzip ? '.gz' : ''}`
  const plain = Buffer.concat(documents)
  const metadata = Buffer.from(JSON.stringify({indexes: [], uuid: '', collectionName: 'oplog.rs', type: 'collection', options: {capped: true}}))
  const problem = file.write(bsonPath, gzip ? gzipSync(plain) : plain) ?? file.write(metadataPath, gzip ? gzipSync(metadata) : metadata)
  if (problem) throw new Error(problem)
  return {
    stdout: [],
    stderr: [toolLine(`writing local.oplog.rs to ${bsonPath}`, at), toolLine(`done dumping local.oplog.rs (${documents.length} document${documents.length === 1 ? '' : 's'})`, at)],
    exitCode: 0,
  }
}

export function replayOplogFile(input: JobRunInput, files: PodFiles, container: ContainerSpec, tool: ToolSession, file: FileAccess): Step {
  const at = input.ctx.now
  const {options} = tool.parsed
  const dir = options.get('dir')?.at(-1) ?? 'dump'
  if (!files.mountFor(container, dir)) throw new Error(`mongorestore target '${dir}' invalid: stat ${dir}: no such file or directory`)
  const path = options.get('oplogFile')?.at(-1) ?? ''
  const bytes = file.read(path)
  if (!bytes) throw new Error(`error scanning filesystem: stat ${path}: no such file or directory`)
  let plain: Buffer
  try {
    plain = options.has('gzip') ? gunzipSync(bytes) : bytes
  } catch (error) {
    throw new Error(`${path}: gzip: invalid header (${(error as Error).message})`, {cause: error})
  }
  const oplog = splitBsonDocuments(plain, path)
  const member = tool.session.member
  const set = input.ctx.engine.setOf(member)
  if (!set || member.state !== 'PRIMARY') throw new Error(`${member.placement.pod} is not the primary: connect with replicaSet=NAME`)
  tool.session.rsStatus()
  const limitText = options.get('oplogLimit')?.at(-1)
  const limit = limitText ? parseTimestamp(limitText) : undefined
  let outcome
  try {
    outcome = replayOplogIntoSet(input.ctx.engine, set, oplog, limit, at)
  } catch (error) {
    if (error instanceof RestoreError) throw new Error(error.message.replace(/^Failed: /, ''), {cause: error})
    throw error
  }
  return {
    stdout: [],
    stderr: [
      toolLine('preparing collections to restore from', at),
      toolLine(`replaying oplog from ${path}`, at),
      toolLine(`applied ${outcome.oplogApplied} oplog entries`, at),
      toolLine('0 document(s) restored successfully. 0 document(s) failed to restore.', at),
    ],
    exitCode: 0,
  }
}
