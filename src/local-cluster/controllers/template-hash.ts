import {canonical} from './actions.js'

/** The label kube-controller-manager puts on a ReplicaSet, its selector and its pods. */
export const POD_TEMPLATE_HASH = 'pod-template-hash'

/** Upstream's alphabet for generated names and hashes: no vowels, no 0/1/3 (avoids words and confusion). */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789'

/** FNV-1a, 32 bit, over UTF-8 bytes: the hash family upstream uses for pod-template-hash. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash >>> 0
}

/** Maps each decimal digit of `n` into the safe alphabet, like upstream's rand.SafeEncodeString(fmt.Sprint(hash)). */
export function safeEncode(n: number): string {
  return [...String(n)].map((digit) => SAFE_ALPHABET[Number(digit) % SAFE_ALPHABET.length]).join('')
}

/**
 * Drops what does not make two pod templates different, as upstream's semantic equality sees
 * them: null values and empty objects and arrays (kubectl rollout undo sends the template back
 * with `creationTimestamp: null` and `resources: {}`, which Go reads as zero values).
 */
function pruneEmpty(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(pruneEmpty).filter((item) => item !== undefined)
    return items.length === 0 ? undefined : items
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) {
      const pruned = pruneEmpty(item)
      if (pruned !== undefined) out[key] = pruned
    }
    return Object.keys(out).length === 0 ? undefined : out
  }
  return value === null ? undefined : value
}

/** Drops the pod-template-hash label (and empty values) so a ReplicaSet's template compares equal to its Deployment's. */
export function withoutHashLabel(template: unknown): unknown {
  if (!template || typeof template !== 'object') return template
  const copy = structuredClone(template) as {metadata?: {labels?: Record<string, string>}}
  if (copy.metadata?.labels) delete copy.metadata.labels[POD_TEMPLATE_HASH]
  return pruneEmpty(copy)
}

/**
 * The pod-template-hash of a template: stable for equal templates (key order does not matter),
 * different after `collisionCount` bumps. Rolling back to an old template therefore finds the
 * old ReplicaSet by name again.
 */
export function computeTemplateHash(template: unknown, collisionCount = 0): string {
  const text = JSON.stringify(canonical(withoutHashLabel(template)))
  return safeEncode(fnv1a32(collisionCount > 0 ? `${text}#${collisionCount}` : text))
}

/** Random-looking 5-character suffix for pod names, from the safe alphabet. */
export function randomSuffix(length = 5): string {
  let out = ''
  for (let i = 0; i < length; i++) out += SAFE_ALPHABET[Math.floor(Math.random() * SAFE_ALPHABET.length)]
  return out
}

export function templatesEqualIgnoringHash(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(withoutHashLabel(a))) === JSON.stringify(canonical(withoutHashLabel(b)))
}
