import {apiErrors} from '../../store/api-error.js'
import {deepEqual, isPlainObject} from '../../store/object-utils.js'
import {isSetList, mergeKeyFor} from './merge-keys.js'

type Json = Record<string, unknown>

const DIRECTIVE = '$patch'
const RETAIN_KEYS = '$retainKeys'
const SET_ORDER_PREFIX = '$setElementOrder/'
const DELETE_FROM_PRIMITIVE_PREFIX = '$deleteFromPrimitiveList/'

/**
 * Applies a strategic merge patch (what `kubectl apply`, `kubectl patch` and client-go send
 * for built-in kinds): maps merge, lists with a merge key merge item by item, `null` deletes,
 * and the directives `$patch: replace|delete|merge`, `$retainKeys`, `$setElementOrder/` and
 * `$deleteFromPrimitiveList/` are honoured.
 */
export function applyStrategicMergePatch(original: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) throw apiErrors.badRequest('a strategic merge patch must be a JSON object')
  return mergeMap(isPlainObject(original) ? original : {}, patch)
}

function mergeMap(original: Json, patch: Json): Json | undefined {
  const directive = patch[DIRECTIVE]
  if (directive === 'delete') return undefined
  if (directive === 'replace') return stripDirectives(patch) as Json
  if (directive !== undefined && directive !== 'merge') throw apiErrors.badRequest(`unknown patch type: "${String(directive)}" in map`)

  const result: Json = {...original}
  const retain = patch[RETAIN_KEYS]
  if (Array.isArray(retain)) {
    for (const key of Object.keys(result)) if (!retain.includes(key)) delete result[key]
  }
  const orders: Record<string, unknown[]> = {}
  for (const [key, value] of Object.entries(patch)) {
    if (key === DIRECTIVE || key === RETAIN_KEYS) continue
    if (key.startsWith(SET_ORDER_PREFIX)) {
      if (Array.isArray(value)) orders[key.slice(SET_ORDER_PREFIX.length)] = value
      continue
    }
    if (key.startsWith(DELETE_FROM_PRIMITIVE_PREFIX)) {
      const field = key.slice(DELETE_FROM_PRIMITIVE_PREFIX.length)
      const current = result[field]
      if (Array.isArray(current) && Array.isArray(value)) result[field] = current.filter((item) => !value.some((v) => deepEqual(v, item)))
      continue
    }
    if (value === null) {
      delete result[key]
      continue
    }
    const current = result[key]
    if (isPlainObject(value)) {
      const merged = mergeMap(isPlainObject(current) ? current : {}, value)
      if (merged === undefined) delete result[key]
      else result[key] = merged
    } else if (Array.isArray(value)) {
      result[key] = mergeList(key, Array.isArray(current) ? current : undefined, value)
    } else {
      result[key] = value
    }
  }
  for (const [field, order] of Object.entries(orders)) {
    const list = result[field]
    if (Array.isArray(list)) result[field] = applyOrder(field, list, order)
  }
  return result
}

function mergeList(field: string, original: unknown[] | undefined, patch: unknown[]): unknown[] {
  if (patch.some((item) => isPlainObject(item) && item[DIRECTIVE] === 'replace')) {
    return patch.filter((item) => !(isPlainObject(item) && item[DIRECTIVE] === 'replace')).map(stripDirectives)
  }
  if (isSetList(field)) {
    const result = [...(original ?? [])]
    for (const item of patch) if (!result.some((r) => deepEqual(r, item))) result.push(item)
    return result
  }
  const key = mergeKeyFor(field, original, patch)
  if (key === '' || !patch.every(isPlainObject)) return patch.map(stripDirectives)
  const result = [...(original ?? [])]
  for (const item of patch as Json[]) {
    const index = result.findIndex((r) => isPlainObject(r) && deepEqual(r[key], item[key]))
    if (item[DIRECTIVE] === 'delete') {
      if (index >= 0) result.splice(index, 1)
      continue
    }
    if (index >= 0) {
      const merged = mergeMap(result[index] as Json, item)
      if (merged === undefined) result.splice(index, 1)
      else result[index] = merged
    } else {
      result.push(stripDirectives(item))
    }
  }
  return result
}

/** `$setElementOrder`: items named in the order come first, in that order; the rest keep theirs. */
function applyOrder(field: string, list: unknown[], order: unknown[]): unknown[] {
  const key = mergeKeyFor(field, list, [])
  const identity = (item: unknown): unknown => (key && isPlainObject(item) ? item[key] : item)
  const orderIds = order.map((o) => (key && isPlainObject(o) ? o[key] : o))
  const ranked = list.map((item, index) => {
    const position = orderIds.findIndex((id) => deepEqual(id, identity(item)))
    return {item, rank: position >= 0 ? position : orderIds.length + index}
  })
  return ranked.sort((a, b) => a.rank - b.rank).map((r) => r.item)
}

function stripDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripDirectives)
  if (!isPlainObject(value)) return value
  const out: Json = {}
  for (const [k, v] of Object.entries(value)) {
    if (k === DIRECTIVE || k === RETAIN_KEYS || k.startsWith(SET_ORDER_PREFIX) || k.startsWith(DELETE_FROM_PRIMITIVE_PREFIX)) continue
    if (v === null) continue
    out[k] = stripDirectives(v)
  }
  return out
}
