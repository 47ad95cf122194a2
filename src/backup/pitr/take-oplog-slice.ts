import {deserialize, type Timestamp} from 'bson'
import {randomBytes} from 'node:crypto'

import {UsageError, OperationFailedError} from '../../errors.js'
import {readBsonFile} from '../../formats/bson-file/bson-file.js'
import {mygateVersion} from '../../render/render-environment.js'
import {listCatalog} from '../catalog/catalog-store.js'
import {CATALOG_SCHEMA_VERSION, newBackupId, oplogSliceKeys, type OplogSliceEntry} from '../catalog/entry.js'
import type {OplogTimestamp} from '../catalog/oplog-timestamp.js'
import {runBackupJob} from '../jobs/run-backup-job.js'
import {renderOplogSliceJob} from '../jobs/slice-job-values.js'
import {archiveUrl} from '../jobs/transfer.js'
import type {BackupTarget} from '../operations/backup-targets.js'
import {type BackupSite, ensureServiceAccount, ensureToolsSecret, toolsSecretName} from '../operations/create-backup.js'
import {type ObjectStore, readSmallObject} from '../storage/object-store.js'
import {type DumpedEntry, sliceRangeOf, sliceStartOf} from './slice-range.js'

/**
 * One oplog slice of one database, now: the slice Job dumps local.oplog.rs from where the
 * catalog's newest capture ends (see nextSliceStart) and uploads it beside the backups; mygate
 * reads the object back, finds its exact range (first and last operation, or the gap when the
 * oplog no longer reached back) and writes the catalog entry last. A slice with no new writes
 * is not recorded (its object is removed).
 */
export interface TakeOplogSliceOptions {
  /** The environment's name (for messages). */
  environment: string
  site: BackupSite
  target: BackupTarget
  /** Replica-set members (`host:port`) of a replica set, as its config names them. */
  hostsOf(set: string): string[]
  /**
   * The replica set the database's service reads now (default: the database's own): after a
   * restore's switch the restored set (src/backup/restore/live-set.ts), whose oplog holds the
   * service's writes from then on. The entry still names the database.
   */
  setOf?(database: string): string
  /** Optional inclusive upper bound (default: everything the member has). */
  to?: OplogTimestamp
  image?: string
  sizeLimit?: string
  now?: () => Date
  jobTimeoutMs?: number
  onPhase?: (phase: string, detail: string) => void
}

export type OplogSliceOutcome =
  | {kind: 'slice'; entry: OplogSliceEntry; job: string; dumpSeconds: number}
  | {kind: 'nothing-new'; reason: string; job: string; from: string}

export async function takeOplogSlice(options: TakeOplogSliceOptions): Promise<OplogSliceOutcome> {
  const {site, target} = options
  const phase = options.onPhase ?? (() => {})
  const now = options.now ?? (() => new Date())
  const catalog = await listCatalog(site.store, {service: target.service})
  const from = sliceStartOf(catalog)
  if (!from) {
    const since = catalog.breaks.at(-1) ? ` since the timeline break at ${catalog.breaks.at(-1)?.at}` : ''
    throw new UsageError(`${target.service} has no base backup in ${site.store.location}${since}: an oplog slice extends one`, {hint: `take one first: \`mygate backup create --env ${options.environment} --service ${target.service}\``})
  }
  const set = options.setOf?.(target.database) ?? target.database
  const started = now()
  const id = newBackupId(target.service, started, randomBytes(3).toString('hex'))
  const keys = oplogSliceKeys(target.service, id, from.seconds)
  await ensureServiceAccount(site.client)
  await ensureToolsSecret(site.client, set, options.hostsOf(set), set)
  const location = site.locate(keys.object)
  phase('slice', `${set === target.database ? target.database : `${target.database} (restored set ${set})`}: local.oplog.rs from ${from.seconds}:${from.ordinal} -> ${archiveUrl(location)}`)
  const job = renderOplogSliceJob({
    sliceId: id,
    database: target.database,
    image: options.image ?? 'mongo:7.0',
    toolsSecret: toolsSecretName(set),
    ...(set === target.database ? {} : {targetSet: set}),
    location,
    from,
    ...(options.to ? {to: options.to} : {}),
    sizeLimit: options.sizeLimit ?? '1Gi',
  })
  const outcome = await runBackupJob(site.client, job, options.jobTimeoutMs ? {timeoutMs: options.jobTimeoutMs} : {})
  if (!(await site.store.head(keys.object))) {
    throw new OperationFailedError(`the slice Job ${outcome.job} finished but ${archiveUrl(location)} is not in the store`, {hint: `check the transfer container: \`kubectl logs job/${outcome.job} -c transfer -n mygate-data\``})
  }
  phase('range', `${target.database}: reading the slice's first and last operation`)
  const described = await describeOplogSlice(site.store, {id, target, region: site.region, key: keys.object, from})
  if (described.kind === 'empty') {
    await site.store.delete(keys.object)
    return {kind: 'nothing-new', reason: described.reason, job: outcome.job, from: `${from.seconds}:${from.ordinal}`}
  }
  const {entry} = described
  const range = entry
  phase('record', `${target.database}: ${keys.entry}${range.gap ? ` (gap: the oplog no longer held ${range.gap.requestedAfter}; it starts at ${range.gap.firstAvailable})` : ''}`)
  await site.store.put(keys.entry, Buffer.from(`${JSON.stringify(entry, null, 2)}\n`), {contentType: 'application/json'})
  return {kind: 'slice', entry, job: outcome.job, dumpSeconds: outcome.elapsedMs / 1000}
}

/**
 * A slice's catalog entry from its object alone, given where it was meant to start: its exact
 * range, or the gap, or nothing new (see sliceRangeOf).
 */
export async function describeOplogSlice(
  store: ObjectStore,
  input: {id: string; target: Pick<BackupTarget, 'service' | 'database'>; region: string; key: string; from: OplogTimestamp},
): Promise<{kind: 'slice'; entry: OplogSliceEntry} | {kind: 'empty'; reason: string}> {
  const head = await store.head(input.key)
  if (!head) throw new OperationFailedError(`${store.location}/${input.key} is not in the store`)
  const range = sliceRangeOf(input.from, readSliceEntries(await readSmallObject(store, input.key), `${store.location}/${input.key}`))
  if (range.kind === 'empty') return range
  return {
    kind: 'slice',
    entry: {
      schemaVersion: CATALOG_SCHEMA_VERSION,
      kind: 'oplog-slice',
      id: input.id,
      service: input.target.service,
      database: input.target.database,
      region: input.region,
      range: {after: range.after, last: range.last},
      ...(range.gap ? {gap: range.gap} : {}),
      firstAt: range.firstAt,
      lastAt: range.lastAt,
      entries: range.entries,
      object: {key: input.key, size: head.size, sha256: head.sha256},
      mygateVersion: mygateVersion(),
      encryptionKeyId: head.encryptionKeyId ?? '',
    },
  }
}

/** The timestamps and wall times of a slice object (gzipped .bson of local.oplog.rs documents). */
export function readSliceEntries(bytes: Uint8Array, what: string): DumpedEntry[] {
  return readBsonFile(bytes, what).map((bson) => {
    const doc = deserialize(bson, {promoteValues: true})
    const ts = doc.ts as Timestamp
    const wall = doc.wall instanceof Date ? doc.wall.getTime() : ts.t * 1000
    return {ts: {seconds: ts.t, ordinal: ts.i}, wallMs: wall}
  })
}
