import {compareOplogTimestamps, formatOplogTimestamp, type OplogTimestamp} from '../catalog/oplog-timestamp.js'

/**
 * What an oplog slice covers, from what its dump found. The slice Job asks for `ts >= from`,
 * where `from` is the last operation already captured (the previous slice's last, or the base
 * backup's consistent point), so a complete oplog returns `from` itself first:
 *
 * - first == from: contiguous. The slice holds the operations after `from` up to its last one.
 *   (A scheduled slice dumps a trailing time window instead: first < from is contiguous too, the
 *   entries up to `from` being the overlap with what is already captured.)
 * - first > from: the capped oplog had already dropped `from` (and maybe more): the operations
 *   between `from` and `first` are lost. The slice is recorded with the gap; it starts a chain
 *   only for a later base backup.
 * - nothing after `from` (no entries, or only `from`): no new writes; no slice is recorded.
 *
 * Worked example: from 100:2, dumped entries 100:2, 100:3, 101:1 -> range (100:2, 101:1], no gap.
 * Entries 105:1, 106:1 -> range (105:1, 106:1] with gap {requestedAfter 100:2, firstAvailable 105:1}.
 */
export interface DumpedEntry {
  ts: OplogTimestamp
  /** Wall time (ms) the entry carries. */
  wallMs: number
}

export type SliceRange =
  | {kind: 'empty'; reason: string}
  | {kind: 'slice'; after: string; last: string; firstAt: string; lastAt: string; entries: number; gap?: {requestedAfter: string; firstAvailable: string}}

export function sliceRangeOf(from: OplogTimestamp, dumped: readonly DumpedEntry[]): SliceRange {
  const first = dumped[0]
  if (!first || compareOplogTimestamps(dumped[dumped.length - 1].ts, from) < 0) {
    return {kind: 'empty', reason: `the member read holds no oplog entry at or after ${formatOplogTimestamp(from)} (it is behind the previous slice)`}
  }
  // A scheduled slice dumps a trailing time window, which may reach back before `from`: that
  // overlap is already captured; reaching back to `from` (or before) proves there is no gap.
  const contiguous = compareOplogTimestamps(first.ts, from) <= 0
  const after = contiguous ? from : first.ts
  const operations = dumped.filter((e) => compareOplogTimestamps(e.ts, after) > 0)
  const last = operations.at(-1)
  if (!last) return {kind: 'empty', reason: `no writes after ${formatOplogTimestamp(from)}`}
  return {
    kind: 'slice',
    after: formatOplogTimestamp(after),
    last: formatOplogTimestamp(last.ts),
    firstAt: new Date(operations[0].wallMs).toISOString(),
    lastAt: new Date(last.wallMs).toISOString(),
    entries: operations.length,
    ...(contiguous ? {} : {gap: {requestedAfter: formatOplogTimestamp(from), firstAvailable: formatOplogTimestamp(first.ts)}}),
  }
}

/**
 * Where the next slice starts: the newest slice's last entry when there is a slice, else the
 * newest base backup's consistent point. Continuing from the newest slice even when a newer base
 * backup exists keeps the window continuous across the base (the new slice's `after` is before
 * the base's point, so it extends both chains); if the oplog no longer reaches that far back it
 * would not reach the base's point either, and the gap is recorded. Undefined without any backup.
 */
export function nextSliceStart(newestSliceLast: OplogTimestamp | undefined, newestBaseLast: OplogTimestamp | undefined): OplogTimestamp | undefined {
  return newestSliceLast ?? newestBaseLast
}
