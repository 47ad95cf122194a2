import {ApiError, apiErrors} from '../../store/api-error.js'
import {deepEqual, isPlainObject} from '../../store/object-utils.js'

interface Operation {
  op: string
  path: string
  from?: string
  value?: unknown
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return []
  if (!pointer.startsWith('/')) throw apiErrors.badRequest(`the JSON pointer "${pointer}" does not start with "/"`)
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'))
}

type Container = Record<string, unknown> | unknown[]

function resolveParent(document: unknown, tokens: string[], pointer: string): {parent: Container; key: string} {
  let current: unknown = document
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(current)) current = current[Number(token)]
    else if (isPlainObject(current)) current = current[token]
    else current = undefined
    if (current === undefined) throw missing(pointer)
  }
  if (!Array.isArray(current) && !isPlainObject(current)) throw missing(pointer)
  return {parent: current, key: tokens.at(-1)!}
}

function patchFailed(why: string): ApiError {
  return new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${why}`, {causes: [{reason: 'FieldValueInvalid', message: why}]})
}

function missing(pointer: string): Error {
  // The real server answers a failed JSON patch with 422 and "doc is missing path".
  return patchFailed(`doc is missing path: "${pointer}"`)
}

function arrayIndex(parent: unknown[], key: string, pointer: string, forAdd: boolean): number {
  if (forAdd && key === '-') return parent.length
  const index = Number(key)
  if (!/^\d+$/.test(key) || index > parent.length || (!forAdd && index === parent.length)) throw missing(pointer)
  return index
}

function getValue(document: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer)
  if (tokens.length === 0) return document
  const {parent, key} = resolveParent(document, tokens, pointer)
  if (Array.isArray(parent)) return parent[arrayIndex(parent, key, pointer, false)]
  if (!Object.hasOwn(parent, key)) throw missing(pointer)
  return parent[key]
}

function remove(document: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer)
  const {parent, key} = resolveParent(document, tokens, pointer)
  if (Array.isArray(parent)) {
    const [removed] = parent.splice(arrayIndex(parent, key, pointer, false), 1)
    return removed
  }
  if (!Object.hasOwn(parent, key)) throw missing(pointer)
  const value = parent[key]
  delete parent[key]
  return value
}

function add(document: unknown, pointer: string, value: unknown): unknown {
  const tokens = parsePointer(pointer)
  if (tokens.length === 0) return value
  const {parent, key} = resolveParent(document, tokens, pointer)
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, pointer, true), 0, value)
  else parent[key] = value
  return document
}

/** RFC 6902 JSON patch (add, remove, replace, move, copy, test) on a copy of `document`. */
export function applyJsonPatch(document: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw apiErrors.badRequest('a JSON patch must be an array of operations')
  let doc = structuredClone(document)
  for (const raw of operations as Operation[]) {
    if (!isPlainObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw apiErrors.badRequest(`invalid JSON patch operation: ${JSON.stringify(raw)}`)
    }
    switch (raw.op) {
      case 'add':
        doc = add(doc, raw.path, structuredClone(raw.value))
        break
      case 'remove':
        remove(doc, raw.path)
        break
      case 'replace':
        getValue(doc, raw.path)
        if (parsePointer(raw.path).length === 0) doc = structuredClone(raw.value)
        else {
          remove(doc, raw.path)
          doc = add(doc, raw.path, structuredClone(raw.value))
        }
        break
      case 'move': {
        const value = remove(doc, String(raw.from))
        doc = add(doc, raw.path, value)
        break
      }
      case 'copy':
        doc = add(doc, raw.path, structuredClone(getValue(doc, String(raw.from))))
        break
      case 'test':
        if (!deepEqual(getValue(doc, raw.path), raw.value)) {
          throw patchFailed(`testing value ${raw.path} failed`)
        }
        break
      default:
        throw apiErrors.badRequest(`unexpected JSON patch operation "${raw.op}"`)
    }
  }
  return doc
}
