/**
 * Oplog positions as MongoDB writes them: a BSON Timestamp `(seconds, ordinal)` (the ordinal
 * counts the writes within one second) and the election term. OpTimes compare by term first, then
 * timestamp (repl/optime.h), which is what voters use to refuse a stale candidate.
 */
export interface Timestamp {
  t: number
  i: number
}

export interface OpTime {
  ts: Timestamp
  t: number
}

export const NULL_OPTIME: OpTime = {ts: {t: 0, i: 0}, t: -1}

export function compareTimestamps(a: Timestamp, b: Timestamp): number {
  return a.t - b.t || a.i - b.i
}

export function compareOpTimes(a: OpTime, b: OpTime): number {
  return a.t - b.t || compareTimestamps(a.ts, b.ts)
}

/** `SECONDS:ORDINAL`, the form `mongorestore --oplogLimit` takes. */
export function formatTimestamp(ts: Timestamp): string {
  return `${ts.t}:${ts.i}`
}

/** Parses `SECONDS[:ORDINAL]` (mongorestore's --oplogLimit form); undefined when malformed. */
export function parseTimestamp(text: string): Timestamp | undefined {
  const match = /^(\d+)(?::(\d+))?$/.exec(text.trim())
  if (!match) return undefined
  const t = Number(match[1])
  const i = match[2] === undefined ? 0 : Number(match[2])
  return Number.isSafeInteger(t) && Number.isSafeInteger(i) && t <= 0xffffffff && i <= 0xffffffff ? {t, i} : undefined
}
