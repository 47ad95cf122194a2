import {createHash} from 'node:crypto'

/**
 * Secret values never leave the diff: a value under a Secret's `data` or `stringData` is shown as
 * `sha256:` and the first 12 hex digits of its hash, enough to see that two values differ or that
 * a value came back, never enough to recover it.
 */
export function hashValue(value: string): string {
  return `sha256:${createHash('sha256').update(value).digest('hex').slice(0, 12)}`
}

export function redactField(kind: string, field: string, value: unknown): unknown {
  if (kind !== 'Secret' || value === undefined || !/^(data|stringData)($|[.[])/.test(field)) return value
  if (typeof value === 'string') return hashValue(value)
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeof v === 'string' ? hashValue(v) : '(redacted)']))
  return '(redacted)'
}
