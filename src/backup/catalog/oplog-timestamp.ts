import {UsageError} from '../../errors.js'

/**
 * An oplog timestamp: the BSON Timestamp of an operation, Unix seconds and an ordinal counting
 * operations within that second. Written `SECONDS:ORDINAL` (as mongorestore's `--oplogLimit`
 * takes it); two writes in the same second can only be told apart by it.
 */
export interface OplogTimestamp {
  seconds: number
  ordinal: number
}

const PATTERN = /^(\d{1,10}):(\d{1,10})$/
const UINT32_MAX = 0xffffffff

export function parseOplogTimestamp(text: string, what = 'oplog timestamp'): OplogTimestamp {
  const match = PATTERN.exec(text.trim())
  const seconds = match ? Number(match[1]) : NaN
  const ordinal = match ? Number(match[2]) : NaN
  if (!match || seconds > UINT32_MAX || ordinal > UINT32_MAX) {
    throw new UsageError(`${what} "${text}" is not an oplog timestamp`, {hint: 'write SECONDS:ORDINAL, e.g. 1764726000:3 (both unsigned 32-bit integers)'})
  }
  return {seconds, ordinal}
}

export function formatOplogTimestamp(ts: OplogTimestamp): string {
  return `${ts.seconds}:${ts.ordinal}`
}

export function compareOplogTimestamps(a: OplogTimestamp, b: OplogTimestamp): number {
  return a.seconds - b.seconds || a.ordinal - b.ordinal
}

/** The smallest timestamp after `ts` (the next ordinal in the same second). */
export function nextOplogTimestamp(ts: OplogTimestamp): OplogTimestamp {
  return ts.ordinal === UINT32_MAX ? {seconds: ts.seconds + 1, ordinal: 0} : {seconds: ts.seconds, ordinal: ts.ordinal + 1}
}
