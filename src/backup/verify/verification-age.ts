import {VERIFY_INTERVAL_MS} from './verify-schedule.js'

/**
 * How recent a database's last verification is, against the weekly schedule (pure). Overdue when
 * no verification happened in the last week although the service has had a backup for a week (the
 * schedule had its chance to run): a backup taken an hour ago is not yet "unverified for a week".
 *
 * Worked example: now Dec 10 12:00Z, last verification Dec 7 09:00Z -> "verified 3d ago", not
 * overdue. Last verification Nov 30, oldest backup Nov 1 -> overdue, "no verification in 7d+".
 */
export interface VerificationAgeInput {
  now: Date
  lastVerification?: {at: string; verdict: 'passed' | 'failed'}
  /** RFC 3339 end time of the service's oldest catalogued backup. */
  oldestBackupAt?: string
  intervalMs?: number
}

export interface VerificationAge {
  /** The last verification's age (absent when never verified). */
  ageMs?: number
  verdict?: 'passed' | 'failed'
  overdue: boolean
  /** "verified 3d ago", "never verified". */
  summary: string
  problem?: string
}

export function verificationAge(input: VerificationAgeInput): VerificationAge {
  const interval = input.intervalMs ?? VERIFY_INTERVAL_MS
  const now = input.now.getTime()
  const ageMs = input.lastVerification ? Math.max(0, now - Date.parse(input.lastVerification.at)) : undefined
  const hadAWeek = input.oldestBackupAt !== undefined && now - Date.parse(input.oldestBackupAt) > interval
  const overdue = hadAWeek && (ageMs === undefined || ageMs > interval)
  return {
    ...(ageMs !== undefined ? {ageMs, verdict: input.lastVerification!.verdict} : {}),
    overdue,
    summary: ageMs === undefined ? 'never verified' : `verified ${formatAge(ageMs)} ago`,
    ...(overdue ? {problem: `no verification in ${formatAge(interval)}+`} : {}),
  }
}

/** Whole days from a day on, whole hours from an hour, else minutes ("3d", "5h", "12m"). */
export function formatAge(ms: number): string {
  if (ms >= 86_400_000) return `${Math.floor(ms / 86_400_000)}d`
  if (ms >= 3_600_000) return `${Math.floor(ms / 3_600_000)}h`
  return `${Math.floor(ms / 60_000)}m`
}
