import {UsageError} from '../../errors.js'
import type {BackupEntry, OplogSliceEntry} from './entry.js'
import {compareOplogTimestamps, parseOplogTimestamp} from './oplog-timestamp.js'

/**
 * Which backups `backup prune` keeps, decided by mygate (the buckets only expire noncurrent
 * versions). A backup is kept when any rule keeps it:
 *
 * - keepWithinMs (the descriptor's `retention: 90d`): every backup finished in that span before now;
 * - keepDaily N: the newest backup of each of the N most recent calendar days that have one, days
 *   read in `timeZone` (so "daily" means the team's days, not UTC's); keepWeekly N the same with
 *   ISO weeks (Monday first), keepMonthly N with calendar months, as restic's and borg's
 *   --keep-daily/weekly/monthly do;
 * - the last verified backup (the newest whose latest verification passed) is never deleted:
 *   a retention that would leave only unproven backups fails closed;
 * - the newest backup is always kept.
 *
 * Oplog slices are kept while they can still be replayed: those ending after the oldest kept
 * backup's consistent point.
 *
 * Worked example (timeZone Asia/Kolkata, UTC+5:30; keepDaily 2, keepWeekly 1, nothing within):
 * backups at 2026-12-01T20:00Z (Dec 2 01:30 local), 2026-12-02T10:00Z (Dec 2 15:30 local),
 * 2026-12-02T17:00Z (Dec 2 22:30 local) and 2026-12-03T02:00Z (Dec 3 07:30 local). Daily keeps the
 * newest of Dec 3 (02:00Z) and of Dec 2 (17:00Z); weekly (all in the week of Monday Nov 30) keeps
 * 02:00Z again. 2026-12-01T20:00Z and 2026-12-02T10:00Z are deleted, unless one of them is the
 * last verified backup. In UTC the first one would be the only backup of Dec 1 and be kept.
 */

export interface RetentionPolicy {
  keepWithinMs?: number
  keepDaily?: number
  keepWeekly?: number
  keepMonthly?: number
  /** IANA zone the calendar days, weeks and months are read in. Default UTC. */
  timeZone?: string
}

export interface RetentionDecision {
  keep: Array<{backup: BackupEntry; reasons: string[]}>
  delete: BackupEntry[]
  keepSlices: OplogSliceEntry[]
  deleteSlices: OplogSliceEntry[]
}

/** Calendar date of an instant in a zone: [year, month (1-12), day]. */
function localDate(at: Date, timeZone: string): [number, number, number] {
  let parts: Intl.DateTimeFormatPart[]
  try {
    parts = new Intl.DateTimeFormat('en-CA', {timeZone, year: 'numeric', month: '2-digit', day: '2-digit'}).formatToParts(at)
  } catch (error) {
    throw new UsageError(`time zone "${timeZone}" is not an IANA time zone`, {cause: error, hint: 'e.g. UTC, Asia/Kolkata, Europe/Paris'})
  }
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value)
  return [get('year'), get('month'), get('day')]
}

/** ISO 8601 week of a calendar date, as "YYYY-Www" (the week-year can differ from the date's year). */
function isoWeek([year, month, day]: [number, number, number]): string {
  const date = new Date(Date.UTC(year, month - 1, day))
  const weekday = (date.getUTCDay() + 6) % 7 // Monday 0
  date.setUTCDate(date.getUTCDate() - weekday + 3) // the Thursday of this week decides the year
  const weekYear = date.getUTCFullYear()
  // Week 1's Thursday falls on January 1-7, so whole weeks since January 1 count the week.
  const week = 1 + Math.floor((date.getTime() - Date.UTC(weekYear, 0, 1)) / 86_400_000 / 7)
  return `${weekYear}-W${String(week).padStart(2, '0')}`
}

function isVerified(backup: BackupEntry): boolean {
  const last = backup.verifications[backup.verifications.length - 1]
  return last?.verdict === 'passed'
}

export function applyRetention(backups: BackupEntry[], slices: OplogSliceEntry[], policy: RetentionPolicy, now: Date): RetentionDecision {
  const timeZone = policy.timeZone ?? 'UTC'
  const newestFirst = [...backups].sort((a, b) => b.finishedAt.localeCompare(a.finishedAt) || b.id.localeCompare(a.id))
  const reasons = new Map<string, string[]>()
  const keep = (b: BackupEntry, reason: string) => reasons.set(b.id, [...(reasons.get(b.id) ?? []), reason])

  if (newestFirst[0]) keep(newestFirst[0], 'newest')
  const lastVerified = newestFirst.find(isVerified)
  if (lastVerified) keep(lastVerified, 'last verified')
  if (policy.keepWithinMs !== undefined) {
    for (const b of newestFirst) if (now.getTime() - Date.parse(b.finishedAt) <= policy.keepWithinMs) keep(b, 'within retention')
  }
  const buckets: Array<[number | undefined, string, (d: [number, number, number]) => string]> = [
    [policy.keepDaily, 'daily', (d) => d.join('-')],
    [policy.keepWeekly, 'weekly', isoWeek],
    [policy.keepMonthly, 'monthly', (d) => `${d[0]}-${d[1]}`],
  ]
  for (const [count, name, bucketOf] of buckets) {
    if (!count) continue
    const seen = new Set<string>()
    for (const b of newestFirst) {
      const bucket = bucketOf(localDate(new Date(b.finishedAt), timeZone))
      if (seen.has(bucket)) continue
      if (seen.size === count) break
      seen.add(bucket)
      keep(b, `${name} ${bucket}`)
    }
  }

  const kept = newestFirst.filter((b) => reasons.has(b.id))
  const oldestKept = kept[kept.length - 1]
  const keepSlices: OplogSliceEntry[] = []
  const deleteSlices: OplogSliceEntry[] = []
  for (const slice of slices) {
    const reachable = oldestKept && compareOplogTimestamps(parseOplogTimestamp(slice.range.last), parseOplogTimestamp(oldestKept.oplog.last)) > 0
    ;(reachable ? keepSlices : deleteSlices).push(slice)
  }
  return {
    keep: kept.map((backup) => ({backup, reasons: reasons.get(backup.id)!})),
    delete: newestFirst.filter((b) => !reasons.has(b.id)),
    keepSlices,
    deleteSlices,
  }
}
