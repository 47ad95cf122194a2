/**
 * When each database's latest backup is verified in the cluster (pure): weekly, at a night hour
 * of the database's backup time zone (the descriptor's `backup.timeZone`, UTC without one), on a
 * weekday and hour of its own so the verifications (each a scratch mongod and a full restore) do
 * not all run at once. Slots go to the databases in name order: weekday = i mod 7 (Sunday first),
 * hour = 2 + floor(i / 7) mod 4 (02:00 to 05:00), minute 45 (clear of the usual on-the-hour and
 * half-hour base backups). Twenty-eight databases fit before two share a slot.
 *
 * Worked example: billing-db, community-db, visitors-db -> "45 2 * * 0", "45 2 * * 1",
 * "45 2 * * 2"; the eighth database in name order gets "45 3 * * 0".
 */
export const VERIFY_MINUTE = 45
export const VERIFY_FIRST_HOUR = 2
export const VERIFY_HOURS = 4

export interface VerifySchedule {
  schedule: string
  timeZone?: string
  /** Set by `backup schedule --verify-set` (recorded on the CronJob), not the spread default. */
  overridden: boolean
}

export function spreadVerifyCron(slot: number): string {
  const weekday = slot % 7
  const hour = VERIFY_FIRST_HOUR + (Math.floor(slot / 7) % VERIFY_HOURS)
  return `${VERIFY_MINUTE} ${hour} * * ${weekday}`
}

/** The default weekly schedule of each database (by name), spread as above. */
export function spreadVerifySchedules(databases: readonly string[]): Map<string, string> {
  const sorted = [...new Set(databases)].sort()
  return new Map(sorted.map((database, slot) => [database, spreadVerifyCron(slot)]))
}

/** A week: a verification older than this is overdue (`backup status`). */
export const VERIFY_INTERVAL_MS = 7 * 86_400_000
