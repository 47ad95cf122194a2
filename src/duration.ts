import {UsageError} from './errors.js'

const UNIT_MS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000}
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g

/**
 * Parses Go-style durations: "30s", "1m30s", "250ms", "2h", "7d". Returns milliseconds.
 * @param what names the flag or field for the error message, e.g. "--pause".
 */
export function parseDuration(text: string, what = 'duration'): number {
  const trimmed = text.trim()
  if (trimmed === '0') return 0
  let total = 0
  let consumed = 0
  for (const match of trimmed.matchAll(PART)) {
    if (match.index !== consumed) break
    total += Number(match[1]) * UNIT_MS[match[2]]
    consumed += match[0].length
  }
  if (trimmed === '' || consumed !== trimmed.length) {
    throw new UsageError(`${what} "${text}" is not a duration`, {hint: 'use a number with a unit, e.g. 30s, 5m, 1h30m, 7d'})
  }
  return total
}

/** Renders milliseconds as a short human duration: 1500 -> "1.5s", 90000 -> "1m30s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`
  const minutes = Math.floor(ms / 60_000)
  const seconds = Math.round((ms % 60_000) / 1000)
  if (minutes < 60) return seconds ? `${minutes}m${seconds}s` : `${minutes}m`
  const hours = Math.floor(minutes / 60)
  return minutes % 60 ? `${hours}h${minutes % 60}m` : `${hours}h`
}
