import {UsageError} from '../../errors.js'
import type {BackupEntry, OplogSliceEntry} from './entry.js'
import {compareOplogTimestamps, formatOplogTimestamp, nextOplogTimestamp, parseOplogTimestamp, type OplogTimestamp} from './oplog-timestamp.js'

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
}

interface Chain {
  base: BackupEntry
  slices: OplogSliceEntry[]
  end: OplogTimestamp
  endAt: string
}

function chainFrom(base: BackupEntry, slices: OplogSliceEntry[]): Chain {
  const sorted = [...slices].sort((a, b) => compareOplogTimestamps(parseOplogTimestamp(a.range.last), parseOplogTimestamp(b.range.last)))
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
  return {base, slices: used, end, endAt}
}

/** The restorable window as disjoint segments, oldest first (gaps between them cannot be restored). */
export function restorableWindow(backups: BackupEntry[], slices: OplogSliceEntry[]): WindowSegment[] {
  const segments: WindowSegment[] = []
  const chains = backups
    .map((b) => chainFrom(b, slices))
    .sort((a, b) => compareOplogTimestamps(parseOplogTimestamp(a.base.oplog.last), parseOplogTimestamp(b.base.oplog.last)))
  for (const chain of chains) {
    const from = parseOplogTimestamp(chain.base.oplog.last)
    const last = segments[segments.length - 1]
    if (last && compareOplogTimestamps(from, last.to) <= 0) {
      if (compareOplogTimestamps(chain.end, last.to) > 0) {
        last.to = chain.end
        last.toAt = chain.endAt
      }
      continue
    }
    segments.push({from, to: chain.end, fromAt: chain.base.consistentAt, toAt: chain.endAt})
  }
  return segments
}

export function formatWindow(segments: WindowSegment[]): string {
  if (segments.length === 0) return 'nothing is restorable (no backups)'
  return segments.map((s) => `${s.fromAt} (${formatOplogTimestamp(s.from)}) to ${s.toAt} (${formatOplogTimestamp(s.to)})`).join(', ')
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
 * slice chain reaches it, and the slices to replay. A target outside the window is refused with
 * the window in the message.
 */
export function planPointInTimeRestore(backups: BackupEntry[], slices: OplogSliceEntry[], target: RestoreTarget): RestorePlan {
  const limit = oplogLimitFor(target)
  // The newest op to apply is strictly before the limit: for the window check, the target point.
  const point: OplogTimestamp = limit.ordinal > 0 ? {seconds: limit.seconds, ordinal: limit.ordinal - 1} : {seconds: limit.seconds - 1, ordinal: 0xffffffff}
  const candidates = backups
    .filter((b) => compareOplogTimestamps(parseOplogTimestamp(b.oplog.last), point) <= 0)
    .sort((a, b) => compareOplogTimestamps(parseOplogTimestamp(b.oplog.last), parseOplogTimestamp(a.oplog.last)))
  for (const base of candidates) {
    const chain = chainFrom(base, slices)
    const baseEnd = parseOplogTimestamp(base.oplog.last)
    // Reaching the target: the chain's end is at or beyond it, or the target falls in the same
    // second as the chain's end with nothing recorded after (a time target rounds to its second).
    const reaches = compareOplogTimestamps(chain.end, point) >= 0 || (target.kind === 'time' && chain.end.seconds === point.seconds)
    if (!reaches) continue
    const needed = chain.slices.filter((s) => compareOplogTimestamps(parseOplogTimestamp(s.range.after), point) < 0 && compareOplogTimestamps(parseOplogTimestamp(s.range.last), baseEnd) > 0)
    return {base, slices: needed, oplogLimit: formatOplogTimestamp(limit), lastAppliedAtMost: formatOplogTimestamp(point)}
  }
  const described = target.kind === 'time' ? target.at.toISOString() : `${formatOplogTimestamp(target.ts)}${target.inclusive ? '' : ' (excluded)'}`
  throw new UsageError(`${described} is outside the restorable window: ${formatWindow(restorableWindow(backups, slices))}`, {
    hint: 'pick a --to-time inside the window (`mygate backup list` shows the backups)',
    details: {window: restorableWindow(backups, slices).map((s) => ({from: formatOplogTimestamp(s.from), to: formatOplogTimestamp(s.to), fromAt: s.fromAt, toAt: s.toAt}))},
  })
}
