import {UsageError} from '../../errors.js'
import {CATALOG_SCHEMA_VERSION, servicePrefix} from './entry.js'
import type {OplogTimestamp} from './oplog-timestamp.js'

/**
 * A timeline break: the moment a service's live data stopped following the oplog its earlier
 * backups and slices captured. Two things make one:
 *
 * - a restore's switch: from then on the service writes to the restored set, whose data is the
 *   backup's, not the old set's history; replaying old slices past the switch would rebuild data
 *   the service no longer has;
 * - a restore's --undo: the service writes to the previous set again, whose oplog never held the
 *   writes the restored set took in between (they stay in the restored set);
 * - a forced failover: the survivors are forced into a new config and the writes the lost region
 *   took but never replicated are gone from the new timeline (MongoDB rolls them back when the old
 *   members rejoin: https://www.mongodb.com/docs/manual/core/replica-set-rollbacks/); old slices
 *   may hold exactly those writes.
 *
 * A restore to a moment T uses a base backup of T's side of every break: a chain that would
 * replay across a break is refused, naming it. Right after a break mygate takes a new base backup
 * of what the service reads (new-base-after-break.ts), which starts the new side's window.
 *
 * Stored beside the backups, one object per run that made it, keyed by the run id so a resumed
 * run finds its own break instead of writing a second one (a restore run's undo has its own):
 *
 *   backups/SERVICE/breaks/RUN-ID.json
 *   backups/SERVICE/breaks/RUN-ID-undo.json
 */
export type TimelineBreakReason = 'restore-switch' | 'restore-undo' | 'forced-failover'
const REASONS: readonly string[] = ['restore-switch', 'restore-undo', 'forced-failover']

export interface TimelineBreak {
  schemaVersion: number
  kind: 'timeline-break'
  service: string
  database: string
  /** RFC 3339: when the live data left the old timeline (the switch, the forced takeover). */
  at: string
  reason: TimelineBreakReason
  /** The restore run (rs-...) or failover run that made the break. */
  runId: string
  /** What the service reads from then on, for messages (a restored set, a region's members). */
  detail: string
}

export function timelineBreakKey(service: string, runId: string, reason?: TimelineBreakReason): string {
  return `${servicePrefix(service)}breaks/${runId}${reason === 'restore-undo' ? '-undo' : ''}.json`
}

/** `backups/S/breaks/RUN.json`. */
export const TIMELINE_BREAK_KEY = /^backups\/[^/]+\/breaks\/[^/]+\.json$/

export function parseTimelineBreak(text: string, key: string): TimelineBreak {
  let value: Partial<TimelineBreak>
  try {
    value = JSON.parse(text) as Partial<TimelineBreak>
  } catch (error) {
    throw new UsageError(`timeline break ${key} is not valid JSON`, {cause: error, hint: 'the object was changed outside mygate; restore a previous version of it'})
  }
  if (value.kind !== 'timeline-break' || typeof value.at !== 'string' || Number.isNaN(Date.parse(value.at)) || typeof value.runId !== 'string' || !REASONS.includes(String(value.reason))) {
    throw new UsageError(`timeline break ${key} is not a mygate timeline break record`)
  }
  if (typeof value.schemaVersion !== 'number' || value.schemaVersion > CATALOG_SCHEMA_VERSION) {
    throw new UsageError(`timeline break ${key} has schema version ${String(value.schemaVersion)}, newer than this mygate reads (${CATALOG_SCHEMA_VERSION})`, {hint: 'upgrade mygate'})
  }
  return value as TimelineBreak
}

/**
 * The first oplog timestamp of the new timeline: the break's second. Oplog timestamps resolve
 * seconds, and a restore's switch happens with the service's writes stopped (a forced takeover
 * with the old primary fenced), so no write of the old timeline shares that second with the new.
 */
export function breakPoint(b: Pick<TimelineBreak, 'at'>): OplogTimestamp {
  return {seconds: Math.floor(Date.parse(b.at) / 1000), ordinal: 0}
}

/** Breaks oldest first. */
export function sortBreaks(breaks: readonly TimelineBreak[]): TimelineBreak[] {
  return [...breaks].sort((a, b) => a.at.localeCompare(b.at) || a.runId.localeCompare(b.runId))
}

/**
 * Which side of the breaks a wall time is on: the number of breaks at or before it (0 = before
 * every break). Example: breaks at 10:00 and 12:00 -> 09:59 is 0, 10:00 is 1, 13:00 is 2.
 */
export function epochOfTime(at: string, breaks: readonly TimelineBreak[]): number {
  const ms = Date.parse(at)
  return breaks.filter((b) => Date.parse(b.at) <= ms).length
}

/** The same for an oplog timestamp: breaks whose point is at or before it. */
export function epochOfPoint(point: OplogTimestamp, breaks: readonly TimelineBreak[]): number {
  return breaks.filter((b) => {
    const k = breakPoint(b)
    return k.seconds < point.seconds || (k.seconds === point.seconds && k.ordinal <= point.ordinal)
  }).length
}

export function describeBreak(b: TimelineBreak): string {
  const why = b.reason === 'restore-switch' ? `restore ${b.runId} switched ${b.service}` : b.reason === 'restore-undo' ? `--undo of restore ${b.runId} switched ${b.service} back` : `forced failover ${b.runId}`
  return `timeline break at ${b.at} (${why}${b.detail ? `: ${b.detail}` : ''})`
}
