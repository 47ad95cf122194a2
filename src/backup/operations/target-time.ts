import {UsageError} from '../../errors.js'

/**
 * `backup restore --to-time T`: an RFC 3339 time or an oplog timestamp `SECONDS:ORDINAL`.
 * Two writes in the same second share the seconds and differ only by the ordinal, so only the
 * timestamp form can restore "between" them. Both become an exclusive oplog limit, the form
 * `mongorestore --oplogLimit` takes (it applies every entry strictly before it):
 *
 *   "2026-12-03T07:00:00Z" -> {t: 1796281200, i: 0}  every write before 07:00:00, none at it
 *   "2026-12-03T07:00:00.5Z" -> {t: 1796281201, i: 0}  writes within second 07:00:00 count as
 *                              before it (the oplog's timestamp has whole seconds only)
 *   "1796281200:3"          -> {t: 1796281200, i: 3}  writes 1..2 of that second, not 3
 */
export interface OplogLimit {
  t: number
  i: number
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/

export function parseTargetTime(text: string): OplogLimit {
  const value = text.trim()
  const stamp = /^(\d+):(\d+)$/.exec(value)
  if (stamp) {
    const t = Number(stamp[1])
    const i = Number(stamp[2])
    if (!Number.isSafeInteger(t) || !Number.isSafeInteger(i) || t > 0xffffffff || i > 0xffffffff) throw malformed(text)
    return {t, i}
  }
  const match = RFC3339.exec(value)
  if (!match) throw malformed(text)
  const ms = Date.parse(value.replace(' ', 'T'))
  // Date.parse rolls 2026-02-30 over to March: a time that does not exist is malformed.
  if (Number.isNaN(ms) || new Date(Date.UTC(+match[1], +match[2] - 1, +match[3])).getUTCDate() !== +match[3] || +match[4] > 23 || +match[5] > 59 || +match[6] > 59) throw malformed(text)
  return {t: Math.ceil(ms / 1000), i: 0}
}

/** Compares oplog positions: negative when a is earlier. */
export function compareLimits(a: OplogLimit, b: OplogLimit): number {
  return a.t - b.t || a.i - b.i
}

export function formatLimit(limit: OplogLimit): string {
  return `${limit.t}:${limit.i}`
}

/** The wall time an oplog position stands for (its second). */
export function limitDate(limit: OplogLimit): string {
  return new Date(limit.t * 1000).toISOString()
}

function malformed(text: string): UsageError {
  return new UsageError(`--to-time "${text}" is neither an RFC 3339 time nor an oplog timestamp`, {
    hint: 'use e.g. --to-time 2026-12-03T07:00:00Z, or --to-time SECONDS:ORDINAL (an oplog timestamp, e.g. 1796281200:3)',
  })
}
