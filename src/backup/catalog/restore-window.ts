import {UsageError} from '../../errors.js'
import type {BackupEntry, OplogSliceEntry} from './entry.js'
import {compareOplogTimestamps, formatOplogTimestamp, nextOplogTimestamp, parseOplogTimestamp, type OplogTimestamp} from './oplog-timestamp.js'
import {breakPoint, describeBreak, epochOfPoint, epochOfTime, sortBreaks, type TimelineBreak} from './timeline-break.js'

/**
 * Point-in-time restore arithmetic: which moments can be restored, and from what.
 *
 * A base backup is restorable at its consistent point (the last oplog entry its archive holds).
 * From there, oplog slices extend it forward as long as they chain: a slice continues a chain
 * ending at P when its `after` is at or before P (overlap is harmless, the replay is idempotent)
 * and its `last` is beyond P. A slice whose `after` is later than P leaves a gap: writes between
 * were never captured, so the chain (and the window) stops at P.
 *
 * Worked example (timestamps as SECONDS:ORDINAL): base B1 consistent at 100:0, slices (100:0,
 * 160:2], (160:2, 220:0], (300:0, 360:0], base B2 at 310:0. The window is [100:0, 220:0] (the
 * third slice starts after a gap) plus [310:0, 360:0] (B2 picks the third slice up: its after,
 * 300:0, is before 310:0).
 */

export interface WindowSegment {
  from: OplogTimestamp
  to: OplogTimestamp
  /** RFC 3339 wall times of the two ends, for messages. */
  fromAt: string
  toAt: string
  /** Which side of the timeline breaks the segment is on (timeline-break.ts); 0 without breaks. */
  epoch: number
}

interface Chain {
  base: BackupEntry
  slices: OplogSliceEntry[]
  /** The first restorable point of the chain: the base's consistent point, or the break it follows. */
  start: OplogTimestamp
  startAt: string
  end: OplogTimestamp
  endAt: string
}

/**
 * The chain a base backup starts, on its own side of the timeline breaks: only slices that begin
 * on that side, and never reaching the next break (replaying past it would rebuild data the
 * service no longer has). A slice that straddles the next break still extends the chain up to
 * just before it: the replay stops there (--oplogLimit). A base taken after a break stands for the
 * data from the break on (it was taken of what the service reads since), even when its own oplog
 * is older (a restored set's last operation is the restore's).
 */
function chainFrom(base: BackupEntry, slices: OplogSliceEntry[], breaks: readonly TimelineBreak[] = []): Chain {
  const epoch = epochOfTime(base.startedAt, breaks)
  const previous = epoch > 0 ? breaks[epoch - 1] : undefined
  const next = breaks[epoch]
  const own = slices.filter((s) => epochOfTime(s.firstAt, breaks) === epoch)
  const sorted = own.sort((a, b) => compareOplogTimestamps(parseOplogTimestamp(a.range.last), parseOplogTimestamp(b.range.last)))
  let end = parseOplogTimestamp(base.oplog.last)
  let endAt = base.consistentAt
  const used: OplogSliceEntry[] = []
  for (const slice of sorted) {
    const after = parseOplogTimestamp(slice.range.after)
    const last = parseOplogTimestamp(slice.range.last)
    if (compareOplogTimestamps(last, end) <= 0) continue
    if (compareOplogTimestamps(after, end) > 0) break
    used.push(slice)
    end = last
    endAt = slice.lastAt
  }
  if (next && compareOplogTimestamps(end, breakPoint(next)) >= 0) {
    end = {seconds: breakPoint(next).seconds - 1, ordinal: 0xffffffff}
    endAt = new Date(breakPoint(next).seconds * 1000 - 1).toISOString()
  }
  let start = parseOplogTimestamp(base.oplog.last)
  let startAt = base.consistentAt
  if (previous && compareOplogTimestamps(breakPoint(previous), start) > 0) {
    start = breakPoint(previous)
    startAt = new Date(start.seconds * 1000).toISOString()
  }
  if (compareOplogTimestamps(end, start) < 0) {
    end = start
    endAt = startAt
  }
  return {base, slices: used, start, startAt, end, endAt}
}

/**
 * The restorable window as disjoint segments, oldest first (gaps between them cannot be
 * restored; nor can a segment reach across a timeline break into the next one).
 */
export function restorableWindow(backups: BackupEntry[], slices: OplogSliceEntry[], breaks: readonly TimelineBreak[] = []): WindowSegment[] {
  const ordered = sortBreaks(breaks)
  const segments: WindowSegment[] = []
  const chains = backups
    .map((b) => ({chain: chainFrom(b, slices, ordered), epoch: epochOfTime(b.startedAt, ordered)}))
    .sort((a, b) => a.epoch - b.epoch || compareOplogTimestamps(a.chain.start, b.chain.start))
  for (const {chain, epoch} of chains) {
    const last = segments[segments.length - 1]
    if (last && last.epoch === epoch && compareOplogTimestamps(chain.start, last.to) <= 0) {
      if (compareOplogTimestamps(chain.end, last.to) > 0) {
        last.to = chain.end
        last.toAt = chain.endAt
      }
      continue
    }
    segments.push({from: chain.start, to: chain.end, fromAt: chain.startAt, toAt: chain.endAt, epoch})
  }
  return segments
}

/** The window for messages; with breaks, each one named where the timeline changes. */
export function formatWindow(segments: WindowSegment[], breaks: readonly TimelineBreak[] = []): string {
  if (segments.length === 0) return 'nothing is restorable (no backups)'
  const ordered = sortBreaks(breaks)
  const parts: string[] = []
  let epoch = 0
  for (const s of segments) {
    for (; epoch < s.epoch; epoch++) if (ordered[epoch]) parts.push(`[${describeBreak(ordered[epoch])}]`)
    parts.push(`${s.fromAt} (${formatOplogTimestamp(s.from)}) to ${s.toAt} (${formatOplogTimestamp(s.to)})`)
  }
  for (; epoch < ordered.length; epoch++) parts.push(`[${describeBreak(ordered[epoch])}: no backup since]`)
  return parts.join(', ')
}

/** What to restore to: a wall time (RFC 3339, second resolution) or an oplog timestamp. */
export type RestoreTarget =
  | {kind: 'time'; at: Date}
  | {kind: 'oplog'; ts: OplogTimestamp; inclusive: boolean}

/**
 * Reads `--to-time` (an RFC 3339 time or SECONDS:ORDINAL, the named op applied) or
 * `--oplogLimit` (SECONDS:ORDINAL, the named op excluded, as mongorestore's flag means).
 */
export function parseRestoreTarget(input: {toTime?: string; oplogLimit?: string}): RestoreTarget {
  if ((input.toTime === undefined) === (input.oplogLimit === undefined)) {
    throw new UsageError('give exactly one of --to-time and --oplogLimit', {hint: '--to-time 2026-12-03T09:15:00Z or --to-time 1764753300:2, or --oplogLimit 1764753300:3'})
  }
  if (input.oplogLimit !== undefined) return {kind: 'oplog', ts: parseOplogTimestamp(input.oplogLimit, '--oplogLimit'), inclusive: false}
  const text = input.toTime!.trim()
  if (/^\d+:\d+$/.test(text)) return {kind: 'oplog', ts: parseOplogTimestamp(text, '--to-time'), inclusive: true}
  const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/
  const ms = Date.parse(text)
  if (!rfc3339.test(text) || Number.isNaN(ms)) {
    throw new UsageError(`--to-time "${text}" is neither an RFC 3339 time nor an oplog timestamp`, {hint: 'e.g. 2026-12-03T09:15:00Z, 2026-12-03T14:45:00+05:30 or 1764753300:2'})
  }
  return {kind: 'time', at: new Date(ms)}
}

/**
 * The exclusive oplog bound for a target: mongorestore `--oplogLimit` replays operations strictly
 * before it. A time includes every operation of its second (oplog timestamps resolve seconds;
 * use SECONDS:ORDINAL to split one); an inclusive timestamp includes the op it names.
 */
export function oplogLimitFor(target: RestoreTarget): OplogTimestamp {
  if (target.kind === 'time') return {seconds: Math.floor(target.at.getTime() / 1000) + 1, ordinal: 0}
  return target.inclusive ? nextOplogTimestamp(target.ts) : target.ts
}

export interface RestorePlan {
  base: BackupEntry
  /** Slices to replay after the archive's own oplog, oldest first. */
  slices: OplogSliceEntry[]
  /** Pass to mongorestore `--oplogLimit`: operations at or after it are not applied. */
  oplogLimit: string
  /** The last operation applied is the newest one strictly before oplogLimit (at most this timestamp). */
  lastAppliedAtMost: string
}

/**
 * Chooses the newest base backup whose consistent point is at or before the target and whose
 * slice chain reaches it, and the slices to replay, on the target's side of every timeline break.
 * A target outside the window is refused with the window in the message; one that only a replay
 * across a break would reach is refused naming the break.
 */
export function planPointInTimeRestore(backups: BackupEntry[], slices: OplogSliceEntry[], target: RestoreTarget, breaks: readonly TimelineBreak[] = []): RestorePlan {
  const ordered = sortBreaks(breaks)
  const limit = oplogLimitFor(target)
  // The newest op to apply is strictly before the limit: for the window check, the target point.
  const point: OplogTimestamp = limit.ordinal > 0 ? {seconds: limit.seconds, ordinal: limit.ordinal - 1} : {seconds: limit.seconds - 1, ordinal: 0xffffffff}
  const epoch = epochOfPoint(point, ordered)
  const candidates = backups
    .filter((b) => epochOfTime(b.startedAt, ordered) === epoch)
    .map((b) => chainFrom(b, slices, ordered))
    .filter((c) => compareOplogTimestamps(c.start, point) <= 0)
    .sort((a, b) => compareOplogTimestamps(parseOplogTimestamp(b.base.oplog.last), parseOplogTimestamp(a.base.oplog.last)))
  for (const chain of candidates) {
    const base = chain.base
    const baseEnd = parseOplogTimestamp(base.oplog.last)
    // Reaching the target: the chain's end is at or beyond it, or the target falls in the same
    // second as the chain's end with nothing recorded after (a time target rounds to its second).
    const reaches = compareOplogTimestamps(chain.end, point) >= 0 || (target.kind === 'time' && chain.end.seconds === point.seconds)
    if (!reaches) continue
    const needed = chain.slices.filter((s) => compareOplogTimestamps(parseOplogTimestamp(s.range.after), point) < 0 && compareOplogTimestamps(parseOplogTimestamp(s.range.last), baseEnd) > 0)
    return {base, slices: needed, oplogLimit: formatOplogTimestamp(limit), lastAppliedAtMost: formatOplogTimestamp(point)}
  }
  const described = target.kind === 'time' ? target.at.toISOString() : `${formatOplogTimestamp(target.ts)}${target.inclusive ? '' : ' (excluded)'}`
  const window = restorableWindow(backups, slices, ordered)
  const details = {
    window: window.map((s) => ({from: formatOplogTimestamp(s.from), to: formatOplogTimestamp(s.to), fromAt: s.fromAt, toAt: s.toAt, epoch: s.epoch})),
    breaks: ordered.map((b) => ({at: b.at, reason: b.reason, runId: b.runId})),
  }
  // Reachable only by ignoring the breaks: the replay would cross one. Name it.
  if (ordered.length > 0 && reachableIgnoringBreaks(backups, slices, target)) {
    const crossed = epoch > 0 ? ordered[epoch - 1] : ordered[0]
    throw new UsageError(`${described} cannot be restored: the replay would cross the ${describeBreak(crossed)}, after which the older backups and oplog no longer lead to the live data; restorable: ${formatWindow(window, ordered)}`, {
      hint: 'pick a --to-time inside one side of the break (`mygate backup list` shows the breaks)',
      details,
    })
  }
  throw new UsageError(`${described} is outside the restorable window: ${formatWindow(window, ordered)}`, {
    hint: 'pick a --to-time inside the window (`mygate backup list` shows the backups)',
    details,
  })
}

function reachableIgnoringBreaks(backups: BackupEntry[], slices: OplogSliceEntry[], target: RestoreTarget): boolean {
  try {
    planPointInTimeRestore(backups, slices, target, [])
    return true
  } catch (error) {
    if (error instanceof UsageError) return false
    throw error
  }
}
