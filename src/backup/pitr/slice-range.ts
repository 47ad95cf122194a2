import {compareOplogTimestamps, formatOplogTimestamp, parseOplogTimestamp, type OplogTimestamp} from '../catalog/oplog-timestamp.js'

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

/** What the catalog holds of a service, as far as where its next slice starts. */
export interface CapturedSoFar {
  slices: ReadonlyArray<{range: {last: string}; firstAt: string}>
  backups: ReadonlyArray<{oplog: {last: string}; startedAt: string}>
  /** Timeline breaks (restore switch or undo, forced failover). */
  breaks: ReadonlyArray<{at: string}>
}

/**
 * Where the next slice of a service starts (nextSliceStart), counting only what was captured on
 * the live side of the newest timeline break: after a restore's switch (or its --undo) the service
 * writes to another replica set, whose oplog does not continue the old one's, so an old slice's
 * last entry says nothing of it (it may even be newer than the new set's entries, and a dump
 * "reaching back" to it would pass for contiguous). The chain starts again at the base backup taken
 * at the break (new-base-after-break.ts); a slice belongs to that side when its first operation is
 * at or after the break, a base when it started at or after it.
 *
 * Example: break at 10:00; slices (last 100:1, first op 09:58) and (last 130:2, first op 10:05);
 * bases (last 90:1, started 09:00) and (last 120:1, started 10:01) -> 130:2. Without the second
 * slice -> 120:1; without the second base too -> undefined (no base since the break).
 */
export function sliceStartOf(captured: CapturedSoFar): OplogTimestamp | undefined {
  const breakAt = Math.max(-Infinity, ...captured.breaks.map((b) => Date.parse(b.at)))
  const newest = (points: string[]) => points.map((p) => parseOplogTimestamp(p)).sort(compareOplogTimestamps).at(-1)
  const slices = captured.slices.filter((s) => Date.parse(s.firstAt) >= breakAt)
  const backups = captured.backups.filter((b) => Date.parse(b.startedAt) >= breakAt)
  return nextSliceStart(newest(slices.map((s) => s.range.last)), newest(backups.map((b) => b.oplog.last)))
}
