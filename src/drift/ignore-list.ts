import type {DriftSettings} from '../config/types.js'

/**
 * Pure: does an environment's `drift.ignore` list (mygate.yaml) cover a difference?
 * An entry names a kind, optionally a name and a namespace (`*` matches any characters), and
 * field paths written as `env diff` prints them; a path covers itself and everything under it.
 * In a path, `*` stands for one key (`metadata.annotations.*` is not valid: keys with dots are
 * written `["a.b/c"]`, so use `metadata.annotations`) or one selector value (`containers[name=*]`).
 *
 * Worked examples, entry {kind: Deployment, name: 'visit*', paths: ['spec.template.spec.containers[name=*].env']}:
 *   Deployment visitors  spec.template.spec.containers[name=visitors].env[name=DEBUG] -> ignored
 *   Deployment visitors  spec.template.spec.containers[name=visitors].image           -> not ignored
 *   Deployment billing   spec.template.spec.containers[name=billing].env              -> not ignored (name)
 *   StatefulSet visitors spec.template.spec.containers[name=visitors].env             -> not ignored (kind)
 */

export type IgnoreEntry = DriftSettings['ignore'][number]

export interface IgnoreTarget {
  kind: string
  name: string
  namespace?: string
  /** The printed field path. */
  field: string
}

export function isIgnored(entries: readonly IgnoreEntry[] | undefined, target: IgnoreTarget): boolean {
  return (entries ?? []).some(
    (entry) =>
      entry.kind === target.kind &&
      (entry.name === undefined || globMatches(entry.name, target.name)) &&
      (entry.namespace === undefined || globMatches(entry.namespace, target.namespace ?? '')) &&
      entry.paths.some((path) => pathPattern(path).test(target.field)),
  )
}

function globMatches(pattern: string, value: string): boolean {
  return new RegExp(`^${pattern.split('*').map(escape).join('.*')}$`).test(value)
}

const patterns = new Map<string, RegExp>()

/** The path, then the end or a deeper segment: `spec.template` covers `spec.template.spec` but not `spec.templates`. */
export function pathPattern(path: string): RegExp {
  let pattern = patterns.get(path)
  if (pattern) return pattern
  let source = ''
  let depth = 0
  for (const char of path) {
    if (char === '[') depth++
    if (char === ']') depth--
    source += char === '*' ? (depth > 0 ? '[^\\]]*' : '[^.\\[\\]]*') : escape(char)
  }
  pattern = new RegExp(`^${source}(?=$|[.[])`)
  patterns.set(path, pattern)
  return pattern
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
