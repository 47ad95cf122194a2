/**
 * Kubernetes resource quantities (`500m`, `1.5`, `128Mi`, `1e3`), as apimachinery's
 * `resource.Quantity` parses, adds, compares and prints them. The printed form matters: quota
 * and LimitRange messages (`requested: cpu=500m, used: memory=1536Mi`) print quantities the way
 * the real API server does, and tests compare those messages with upstream's.
 *
 * Values are kept exactly as a count of nano-units in a bigint (the finest precision a quantity
 * keeps in practice; anything finer rounds up, as `MilliValue()` and `Value()` round up).
 *
 * Canonical printing (apimachinery `Quantity.String`):
 * - BinarySI (a value written with Ki, Mi, Gi...): whole numbers of at least 1024 print with the
 *   largest binary suffix that divides them (`1536Mi`, `2Gi`, `1536` for 1536 bytes); anything
 *   else falls back to DecimalSI.
 * - DecimalSI: the value as an integer mantissa times 10^(3k), printed with that SI suffix
 *   (`1500m`, `2`, `10k`, `128M`).
 * - DecimalExponent (`1e3`): the same mantissa with `eN`.
 * A sum takes the format of its first non-zero term (`Quantity.Add`).
 */

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent'

export interface Quantity {
  /** The value in units of 10^-9. */
  nano: bigint
  format: QuantityFormat
}

export class QuantityError extends Error {
  constructor(readonly text: string) {
    super(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`)
    this.name = 'QuantityError'
  }
}

const NANO = 1_000_000_000n
const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'] as const
const DECIMAL_SUFFIXES: Record<string, number> = {n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18}
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([suffix, exponent]) => [exponent, suffix]))
const PATTERN = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/

export const ZERO: Quantity = Object.freeze({nano: 0n, format: 'DecimalSI'})

const pow10 = (n: number): bigint => 10n ** BigInt(n)

/** Parses a quantity as the API server accepts it (a JSON number counts as its decimal text). */
export function parseQuantity(input: string | number): Quantity {
  const text = typeof input === 'number' ? String(input) : input
  const match = PATTERN.exec(text)
  if (!match) throw new QuantityError(text)
  const [, sign, number, suffix, exponentText] = match
  const [whole, fraction = ''] = number.split('.')
  const digits = BigInt(`${whole || '0'}${fraction}`)
  let decimalExponent = -fraction.length
  let binaryMultiplier = 1n
  let format: QuantityFormat = 'DecimalSI'
  if (exponentText !== undefined) {
    decimalExponent += Number(exponentText)
    format = 'DecimalExponent'
  } else if (suffix !== undefined && suffix.endsWith('i')) {
    binaryMultiplier = 1024n ** BigInt(BINARY_SUFFIXES.indexOf(suffix as (typeof BINARY_SUFFIXES)[number]))
    format = 'BinarySI'
  } else if (suffix !== undefined) {
    decimalExponent += DECIMAL_SUFFIXES[suffix]
  }
  // Scale to nano-units; precision finer than that rounds up (away from zero, as upstream).
  const scale = decimalExponent + 9
  let nano: bigint
  if (scale >= 0) nano = digits * binaryMultiplier * pow10(scale)
  else {
    const divisor = pow10(-scale)
    const scaled = digits * binaryMultiplier
    nano = scaled / divisor + (scaled % divisor === 0n ? 0n : 1n)
  }
  return {nano: sign === '-' ? -nano : nano, format}
}

/** Whether `text` parses as a quantity. */
export function isQuantity(text: unknown): boolean {
  if (typeof text !== 'string' && typeof text !== 'number') return false
  try {
    parseQuantity(text)
    return true
  } catch {
    return false
  }
}

export function addQuantities(a: Quantity, b: Quantity): Quantity {
  return {nano: a.nano + b.nano, format: a.nano === 0n ? b.format : a.format}
}

export function subtractQuantities(a: Quantity, b: Quantity): Quantity {
  return {nano: a.nano - b.nano, format: a.nano === 0n ? b.format : a.format}
}

export function compareQuantities(a: Quantity, b: Quantity): number {
  return a.nano < b.nano ? -1 : a.nano > b.nano ? 1 : 0
}

export function maxQuantity(a: Quantity, b: Quantity): Quantity {
  return compareQuantities(a, b) >= 0 ? a : b
}

/** The value in thousandths, rounded up (`MilliValue`): millicores for cpu. */
export function milliValue(q: Quantity): number {
  const milli = q.nano / 1_000_000n + (q.nano % 1_000_000n > 0n ? 1n : 0n)
  return Number(milli)
}

/** The whole value, rounded up (`Value`): bytes for memory and storage. */
export function wholeValue(q: Quantity): number {
  return Number(q.nano / NANO + (q.nano % NANO > 0n ? 1n : 0n))
}

/** The canonical text of a quantity, as `Quantity.String()` prints it. */
export function formatQuantity(q: Quantity): string {
  if (q.nano === 0n) return '0'
  const sign = q.nano < 0n ? '-' : ''
  const abs = q.nano < 0n ? -q.nano : q.nano
  if (q.format === 'BinarySI' && abs >= 1024n * NANO && abs % NANO === 0n) {
    let value = abs / NANO
    let power = 0
    while (power < BINARY_SUFFIXES.length - 1 && value % 1024n === 0n) {
      value /= 1024n
      power++
    }
    return `${sign}${value}${BINARY_SUFFIXES[power]}`
  }
  // Decimal: strip every factor of ten, then step the exponent down to a multiple of three.
  let mantissa = abs
  let exponent = -9
  while (mantissa % 10n === 0n) {
    mantissa /= 10n
    exponent++
  }
  const excess = ((exponent % 3) + 3) % 3
  mantissa *= pow10(excess)
  exponent -= excess
  if (q.format === 'DecimalExponent') return `${sign}${mantissa}${exponent === 0 ? '' : `e${exponent}`}`
  const suffix = DECIMAL_BY_EXPONENT.get(exponent)
  return `${sign}${mantissa}${suffix ?? `e${exponent}`}`
}

/** A resource list (`{cpu: '500m', memory: '128Mi'}`) parsed; values that do not parse are skipped. */
export type ResourceList = Record<string, Quantity>

export function parseResourceList(input: unknown): ResourceList {
  const out: ResourceList = {}
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return out
  for (const [name, value] of Object.entries(input as Record<string, unknown>)) {
    if (typeof value !== 'string' && typeof value !== 'number') continue
    try {
      out[name] = parseQuantity(value)
    } catch {
      // Schema validation reports a malformed quantity; accounting skips it.
    }
  }
  return out
}

/** `a + b` per resource name (quota.Add): names in either list. */
export function addResourceLists(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = {...a}
  for (const [name, value] of Object.entries(b)) out[name] = out[name] ? addQuantities(out[name], value) : value
  return out
}

/** `max(a, b)` per resource name (quota.Max). */
export function maxResourceLists(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = {...a}
  for (const [name, value] of Object.entries(b)) out[name] = out[name] ? maxQuantity(out[name], value) : value
  return out
}

/** `name=value` pairs sorted by name and joined by commas (the quota admission's prettyPrint). */
export function formatResourceList(list: ResourceList): string {
  return Object.keys(list)
    .sort()
    .map((name) => `${name}=${formatQuantity(list[name])}`)
    .join(',')
}
