import {deepEqual, isPlainObject} from '../../store/object-utils.js'
import {isSetList, mergeKeyFor} from '../patch/merge-keys.js'

/** A FieldsV1 tree as stored in managedFields: `{"f:spec": {"f:replicas": {}}}`; `{}` is a leaf. */
export type FieldTree = {[segment: string]: FieldTree}

/** metadata fields the server owns; they never appear in managedFields. */
export const SERVER_OWNED_METADATA = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'])

export function itemSegment(key: string, item: Record<string, unknown>): string {
  return `k:${JSON.stringify({[key]: item[key]})}`
}

/** The fields an object (an apply configuration) sets, as a FieldsV1 tree. */
export function fieldsOf(object: Record<string, unknown>, options: {skipStatus?: boolean} = {}): FieldTree {
  const tree: FieldTree = {}
  for (const [key, value] of Object.entries(object)) {
    if (key === 'apiVersion' || key === 'kind' || value === undefined) continue
    if (key === 'status' && options.skipStatus) continue
    if (key === 'metadata' && isPlainObject(value)) {
      const meta: FieldTree = {}
      for (const [mk, mv] of Object.entries(value)) {
        if (SERVER_OWNED_METADATA.has(mk) || mv === undefined) continue
        meta[`f:${mk}`] = valueFields(mk, mv)
      }
      if (Object.keys(meta).length > 0) tree['f:metadata'] = meta
      continue
    }
    tree[`f:${key}`] = valueFields(key, value)
  }
  return tree
}

export function valueFields(field: string, value: unknown): FieldTree {
  if (isPlainObject(value)) {
    const tree: FieldTree = {}
    for (const [k, v] of Object.entries(value)) if (v !== undefined) tree[`f:${k}`] = valueFields(k, v)
    return tree
  }
  if (Array.isArray(value)) {
    if (isSetList(field)) return Object.fromEntries(value.map((v) => [`v:${JSON.stringify(v)}`, {}]))
    const key = mergeKeyFor(field, undefined, value)
    if (key !== '' && value.every((item) => isPlainObject(item) && item[key] !== undefined)) {
      const tree: FieldTree = {}
      for (const item of value as Array<Record<string, unknown>>) tree[itemSegment(key, item)] = {'.': {}, ...valueFields('', item)}
      return tree
    }
  }
  return {}
}

/** Every leaf path of a tree (paths through list items included, `.` markers excluded). */
export function leafPaths(tree: FieldTree, prefix: string[] = []): string[][] {
  const out: string[][] = []
  for (const [segment, child] of Object.entries(tree)) {
    if (segment === '.') continue
    const path = [...prefix, segment]
    if (Object.keys(child).length === 0) out.push(path)
    else out.push(...leafPaths(child, path))
  }
  return out
}

export function hasPath(tree: FieldTree, path: string[]): boolean {
  let node: FieldTree | undefined = tree
  for (const segment of path) {
    node = node[segment]
    if (!node) return false
  }
  return true
}

/** The value an object holds at a field path (undefined when absent). */
export function valueAt(object: unknown, path: string[]): unknown {
  let current: unknown = object
  for (const segment of path) {
    if (segment.startsWith('f:')) {
      current = isPlainObject(current) ? current[segment.slice(2)] : undefined
    } else if (segment.startsWith('k:')) {
      const key = JSON.parse(segment.slice(2)) as Record<string, unknown>
      const [name, wanted] = Object.entries(key)[0]
      current = Array.isArray(current) ? current.find((item) => isPlainObject(item) && deepEqual(item[name], wanted)) : undefined
    } else if (segment.startsWith('v:')) {
      const wanted = JSON.parse(segment.slice(2)) as unknown
      current = Array.isArray(current) && current.some((item) => deepEqual(item, wanted)) ? wanted : undefined
    }
    if (current === undefined) return undefined
  }
  return current
}

/** A copy of `tree` without the paths in `remove` (empty branches dropped). */
export function subtract(tree: FieldTree, remove: string[][]): FieldTree {
  const copy = structuredClone(tree)
  for (const path of remove) {
    const stack: FieldTree[] = [copy]
    let node: FieldTree | undefined = copy
    for (const segment of path.slice(0, -1)) {
      node = node?.[segment]
      if (!node) break
      stack.push(node)
    }
    if (!node) continue
    delete node[path.at(-1)!]
    // Drop emptied parents (an item left with only its "." marker is gone too).
    for (let i = path.length - 2; i >= 0; i--) {
      const parent = stack[i]
      const child = parent[path[i]]
      if (child && Object.keys(child).filter((k) => k !== '.').length === 0) delete parent[path[i]]
      else break
    }
  }
  return copy
}

export function union(a: FieldTree, b: FieldTree): FieldTree {
  const out: FieldTree = structuredClone(a)
  for (const [segment, child] of Object.entries(b)) out[segment] = out[segment] ? union(out[segment], child) : structuredClone(child)
  return out
}

export function isEmpty(tree: FieldTree): boolean {
  return Object.keys(tree).length === 0
}

/** Renders a path the way conflict messages do: `.spec.replicas`, `.spec.template.spec.containers[name="c"].image`. */
export function formatPath(path: string[]): string {
  return path
    .map((segment) => {
      if (segment.startsWith('f:')) return `.${segment.slice(2)}`
      if (segment.startsWith('k:')) {
        const [k, v] = Object.entries(JSON.parse(segment.slice(2)) as Record<string, unknown>)[0]
        return `[${k}=${JSON.stringify(v)}]`
      }
      return `[${segment.slice(2)}]`
    })
    .join('')
}

/**
 * One pass over two versions of an object: the leaf paths whose value was set or changed, and
 * those that were removed. Far cheaper than building both field sets and comparing them.
 */
export function diffPaths(before: unknown, after: unknown, options: {skipStatus?: boolean; only?: string} = {}): {changed: string[][]; removed: string[][]} {
  const changed: string[][] = []
  const removed: string[][] = []
  const root = (isPlainObject(after) ? after : {}) as Record<string, unknown>
  const old = (isPlainObject(before) ? before : {}) as Record<string, unknown>
  for (const key of new Set([...Object.keys(old), ...Object.keys(root)])) {
    if (key === 'apiVersion' || key === 'kind' || (key === 'status' && options.skipStatus) || (options.only && key !== options.only)) continue
    if (key === 'metadata') {
      const m1 = (isPlainObject(old.metadata) ? old.metadata : {}) as Record<string, unknown>
      const m2 = (isPlainObject(root.metadata) ? root.metadata : {}) as Record<string, unknown>
      for (const mk of new Set([...Object.keys(m1), ...Object.keys(m2)])) {
        if (!SERVER_OWNED_METADATA.has(mk)) diffValue(mk, m1[mk], m2[mk], ['f:metadata', `f:${mk}`], changed, removed)
      }
      continue
    }
    diffValue(key, old[key], root[key], [`f:${key}`], changed, removed)
  }
  return {changed, removed}
}

function pushAll(prefix: string[], tree: FieldTree, into: string[][]): void {
  const leaves = leafPaths(tree)
  if (leaves.length === 0) into.push(prefix)
  for (const leaf of leaves) into.push([...prefix, ...leaf])
}

function diffValue(field: string, a: unknown, b: unknown, path: string[], changed: string[][], removed: string[][]): void {
  if (a === b) return
  if (b === undefined) return pushAll(path, valueFields(field, a), removed)
  if (a === undefined) return pushAll(path, valueFields(field, b), changed)
  if (isPlainObject(a) && isPlainObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) diffValue(key, a[key], b[key], [...path, `f:${key}`], changed, removed)
    return
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const key = isSetList(field) ? '' : mergeKeyFor(field, a, b)
    const keyed = (list: unknown[]): boolean => key !== '' && list.every((item) => isPlainObject(item) && item[key] !== undefined)
    if (keyed(a) && keyed(b)) {
      const find = (list: unknown[], item: Record<string, unknown>) => list.find((o) => deepEqual((o as Record<string, unknown>)[key], item[key])) as Record<string, unknown> | undefined
      for (const item of b as Array<Record<string, unknown>>) {
        const previous = find(a, item)
        const segment = itemSegment(key, item)
        if (!previous) pushAll([...path, segment], {'.': {}, ...valueFields('', item)}, changed)
        else for (const k of new Set([...Object.keys(previous), ...Object.keys(item)])) diffValue(k, previous[k], item[k], [...path, segment, `f:${k}`], changed, removed)
      }
      for (const item of a as Array<Record<string, unknown>>) if (!find(b, item)) pushAll([...path, itemSegment(key, item)], valueFields('', item), removed)
      return
    }
  }
  if (!deepEqual(a, b)) changed.push(path)
}
