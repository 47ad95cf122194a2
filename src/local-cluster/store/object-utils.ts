import {randomInt} from 'node:crypto'

/** RFC 3339 with whole seconds, as metav1.Time serialises. */
let cachedSecond = -1
let cachedStamp = ''

export function nowTimestamp(now?: Date): string {
  if (now) return now.toISOString().replace(/\.\d{3}Z$/, 'Z')
  // Called on every write; the text only changes once a second.
  const second = Math.floor(Date.now() / 1000)
  if (second !== cachedSecond) {
    cachedSecond = second
    cachedStamp = new Date(second * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
  }
  return cachedStamp
}

// generateName suffixes use the apiserver's alphabet (no vowels, no 0/1/3: no accidental words).
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789'

export function randomSuffix(length = 5): string {
  let out = ''
  for (let i = 0; i < length; i++) out += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)]
  return out
}

/**
 * Freezes a stored object all the way down: the store hands the same instance to every reader
 * on its internal paths, so an accidental mutation must throw rather than corrupt the store.
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child)
  }
  return value
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a)) {
    const bb = b as unknown[]
    return a.length === bb.length && a.every((item, i) => deepEqual(item, bb[i]))
  }
  const ao = a as Record<string, unknown>
  const bo = b as Record<string, unknown>
  const aKeys = Object.keys(ao).filter((k) => ao[k] !== undefined)
  const bKeys = Object.keys(bo).filter((k) => bo[k] !== undefined)
  return aKeys.length === bKeys.length && aKeys.every((k) => Object.hasOwn(bo, k) && deepEqual(ao[k], bo[k]))
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** Everything but metadata and status: what a change of bumps metadata.generation. */
export function specPart(object: Record<string, unknown>): Record<string, unknown> {
  const {metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest} = object
  return rest
}
