import {EJSON, serialize, Timestamp as BsonTimestamp} from 'bson'

import {compareTimestamps, type Timestamp} from '../optime.js'
import type {Member, ReplicaSet} from '../state.js'
import {oplogDocument} from './dump-snapshot.js'

/**
 * A simulated `mongodump --db=local --collection=oplog.rs --query=Q --out=DIR`: the oplog
 * entries of one member (what it has applied; a secondary's oplog is its own copy) that match a
 * range on `ts`, as the documents of local.oplog.rs. mongodump parses `--query` as Extended JSON
 * (https://www.mongodb.com/docs/database-tools/mongodump/#std-option-mongodump.--query; v2,
 * canonical or relaxed: `{"$timestamp": {"t": SECONDS, "i": ORDINAL}}`). The local data plane
 * evaluates the form an oplog slice needs, a conjunction of `$gt`/`$gte`/`$lt`/`$lte` on `ts`;
 * any other filter is refused by name rather than silently matching everything.
 */
export interface TsRange {
  /** Lower bound and whether it is inclusive ($gte) or not ($gt). */
  from?: {ts: Timestamp; inclusive: boolean}
  to?: {ts: Timestamp; inclusive: boolean}
  /**
   * A trailing window on the entries' wall time: `{"$expr": {"$gte": ["$wall", {"$subtract":
   * ["$$NOW", MS]}]}}` (aggregation expressions in find filters and the $$NOW variable: MongoDB
   * 4.2+), what a scheduled slice asks for since a CronJob's command cannot carry the previous
   * slice's timestamp. Milliseconds before the dump's own clock.
   */
  wallWithinMs?: number
}

export type QueryParse = {ok: true; range: TsRange} | {ok: false; error: string}

const BOUNDS: Record<string, {side: 'from' | 'to'; inclusive: boolean}> = {
  $gt: {side: 'from', inclusive: false},
  $gte: {side: 'from', inclusive: true},
  $lt: {side: 'to', inclusive: false},
  $lte: {side: 'to', inclusive: true},
}

export function parseOplogQuery(text: string | undefined): QueryParse {
  if (text === undefined || text.trim() === '') return {ok: true, range: {}}
  let query: unknown
  try {
    query = EJSON.parse(text, {relaxed: false})
  } catch (error) {
    return {ok: false, error: `error parsing query as Extended JSON: ${(error as Error).message}`}
  }
  if (typeof query !== 'object' || query === null || Array.isArray(query)) return {ok: false, error: 'error parsing query as Extended JSON: not a document'}
  const fields = Object.keys(query)
  if (fields.length === 0) return {ok: true, range: {}}
  if (fields.length === 1 && fields[0] === '$expr') {
    const within = wallWindowOf((query as {$expr: unknown}).$expr)
    return within === undefined ? {ok: false, error: 'the local data plane evaluates $expr only as {"$gte": ["$wall", {"$subtract": ["$$NOW", MILLISECONDS]}]} in an oplog query'} : {ok: true, range: {wallWithinMs: within}}
  }
  if (fields.some((f) => f !== 'ts')) {
    return {ok: false, error: `the local data plane evaluates only ranges on ts in an oplog query (got ${fields.join(', ')})`}
  }
  const condition = (query as {ts: unknown}).ts
  if (typeof condition !== 'object' || condition === null || condition instanceof BsonTimestamp) {
    return {ok: false, error: 'the local data plane evaluates only ranges on ts ({"ts": {"$gt": {"$timestamp": {...}}}}) in an oplog query'}
  }
  const range: TsRange = {}
  for (const [operator, value] of Object.entries(condition)) {
    const bound = BOUNDS[operator]
    if (!bound) return {ok: false, error: `the local data plane evaluates only $gt, $gte, $lt and $lte on ts (got ${operator})`}
    if (!(value instanceof BsonTimestamp)) return {ok: false, error: `${operator} on ts needs a {"$timestamp": {"t": SECONDS, "i": ORDINAL}} value`}
    range[bound.side] = {ts: {t: value.t, i: value.i}, inclusive: bound.inclusive}
  }
  return {ok: true, range}
}

function wallWindowOf(expr: unknown): number | undefined {
  const gte = (expr as {$gte?: unknown} | null)?.$gte
  if (!Array.isArray(gte) || gte.length !== 2 || gte[0] !== '$wall') return undefined
  const subtract = (gte[1] as {$subtract?: unknown} | null)?.$subtract
  if (!Array.isArray(subtract) || subtract.length !== 2 || subtract[0] !== '$$NOW') return undefined
  const ms = Number(subtract[1] instanceof Object && 'valueOf' in subtract[1] ? subtract[1].valueOf() : subtract[1])
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined
}

function matches(ts: Timestamp, range: TsRange): boolean {
  if (range.from) {
    const c = compareTimestamps(ts, range.from.ts)
    if (c < 0 || (c === 0 && !range.from.inclusive)) return false
  }
  if (range.to) {
    const c = compareTimestamps(ts, range.to.ts)
    if (c > 0 || (c === 0 && !range.to.inclusive)) return false
  }
  return true
}

/**
 * The member's oplog entries in the range, serialized as local.oplog.rs documents. The oplog of
 * one branch is ordered by ts, so the lower bound is found by binary search (a slice of the last
 * minutes out of a large oplog reads only those entries).
 */
export function dumpOplogRange(set: ReplicaSet, member: Member, range: TsRange, now = Date.now()): Buffer[] {
  const end = Math.min(Math.max(member.applied, set.oplog.start), set.oplog.end)
  let lo = set.oplog.start
  if (range.wallWithinMs !== undefined) {
    // Wall times grow along one branch like the timestamps: the first entry inside the window.
    const since = now - range.wallWithinMs
    lo += set.oplog.countUpToWall(lo, end, since - 1e-3)
  }
  if (range.from) {
    let hi = end
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compareTimestamps(set.oplog.opTimeAt(mid).ts, range.from.ts) < 0) lo = mid + 1
      else hi = mid
    }
  }
  const out: Buffer[] = []
  for (let index = lo; index < end; index++) {
    const {ts} = set.oplog.opTimeAt(index)
    if (range.to && compareTimestamps(ts, range.to.ts) > 0) break
    if (!matches(ts, range)) continue
    const bson = serialize(oplogDocument(set.database, set.oplog.get(index)))
    out.push(Buffer.from(bson.buffer, bson.byteOffset, bson.byteLength))
  }
  return out
}
