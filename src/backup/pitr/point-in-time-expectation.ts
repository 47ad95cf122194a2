import {hashArchiveAtConsistentPoint} from '../../formats/content-hash/archive-hashes.js'
import {type ContentHashes, hashOpFromOplogEntry, type HashOp} from '../../formats/content-hash/content-hash.js'
import {rawField} from '../../formats/content-hash/raw-bson.js'
import {readBsonFile} from '../../formats/bson-file/bson-file.js'
import type {OplogSliceEntry} from '../catalog/entry.js'
import type {RestorePlan} from '../catalog/restore-window.js'
import {compareOplogTimestamps, formatOplogTimestamp, parseOplogTimestamp, type OplogTimestamp} from '../catalog/oplog-timestamp.js'
import {streamOf} from '../operations/create-backup.js'
import {type ObjectStore, readSmallObject} from '../storage/object-store.js'

/**
 * What a point-in-time restore must leave, computed from the stored objects alone (never from a
 * live count): the base archive's collections with its own oplog applied (its consistent point),
 * then every slice operation after that point and strictly before the plan's `--oplogLimit`, in
 * order. The same operations the restore Job's mongorestore runs apply, so a restore (or a
 * verification of one) compares its hashes with these, and `lastApplied` names the last
 * operation the restore applied: the newest one before the limit.
 */
export interface PointInTimeExpectation {
  collections: ContentHashes
  /** `SECONDS:ORDINAL` of the last operation applied (the base's consistent point when no slice op is). */
  lastApplied: string
  /** Slice operations replayed after the base's consistent point. */
  sliceOperations: number
}

/**
 * The operation a replay of `slices` up to `oplogLimit` (exclusive) applied last: the newest slice
 * operation before the limit, or `consistentPoint` (the base's) when none is after it.
 */
export async function lastSliceOperationBefore(store: ObjectStore, slices: readonly OplogSliceEntry[], oplogLimit: string, consistentPoint: string): Promise<string> {
  const limit = parseOplogTimestamp(oplogLimit)
  let last = parseOplogTimestamp(consistentPoint)
  for (const slice of slices) {
    const what = `${store.location}/${slice.object.key}`
    for (const entry of readBsonFile(await readSmallObject(store, slice.object.key), what)) {
      const ts = timestampOf(entry, what)
      if (compareOplogTimestamps(ts, limit) >= 0) return formatOplogTimestamp(last)
      if (compareOplogTimestamps(ts, last) > 0) last = ts
    }
  }
  return formatOplogTimestamp(last)
}

/** A BSON timestamp field (type 0x11): the low four bytes are the ordinal, the high four the seconds. */
function timestampOf(entry: Uint8Array, what: string): OplogTimestamp {
  const field = rawField(entry, 'ts')
  if (!field || field.type !== 0x11) throw new Error(`${what}: an oplog entry without a ts timestamp`)
  const view = Buffer.from(field.value.buffer, field.value.byteOffset, 8)
  return {ordinal: view.readUInt32LE(0), seconds: view.readUInt32LE(4)}
}

export async function expectedStateAtPointInTime(store: ObjectStore, plan: RestorePlan): Promise<PointInTimeExpectation> {
  const consistent = parseOplogTimestamp(plan.base.oplog.last)
  const limit = parseOplogTimestamp(plan.oplogLimit)
  let last = consistent
  const ops: HashOp[] = []
  for (const slice of plan.slices) {
    const what = `${store.location}/${slice.object.key}`
    for (const entry of readBsonFile(await readSmallObject(store, slice.object.key), what)) {
      const ts = timestampOf(entry, what)
      if (compareOplogTimestamps(ts, limit) >= 0) break
      // Operations up to the consistent point are in the base already (a slice may overlap it).
      if (compareOplogTimestamps(ts, last) <= 0) continue
      ops.push(hashOpFromOplogEntry(entry))
      last = ts
    }
  }
  const hashed = await hashArchiveAtConsistentPoint(() => streamOf(store, plan.base.archive.key), {gzip: true, extraOps: ops})
  return {collections: hashed.collections, lastApplied: formatOplogTimestamp(last), sliceOperations: ops.length}
}
