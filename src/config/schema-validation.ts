import {Ajv, type AnySchemaObject, type ErrorObject} from 'ajv'

import {parseDuration} from '../duration.js'
import type {FieldPath, Problem} from './yaml-source.js'

/**
 * JSON-schema validation that speaks in field paths and plain sentences instead of ajv's
 * `/tiers/prod/replicas must be integer`. Schemas here are strict: every object lists its
 * properties with `additionalProperties: false`, and a `description` on a string schema says in
 * words what a valid value looks like (it is used as the message for pattern and format failures).
 */

export type FormatCheck = (value: string) => boolean

/** Built-in formats every mygate schema may use. */
const BASE_FORMATS: Record<string, FormatCheck> = {
  duration(value) {
    try {
      parseDuration(value)
      return true
    } catch {
      return false
    }
  },
}

export type SchemaCheck = (data: unknown) => Problem[]

export interface CompileOptions {
  /**
   * Check the schema itself against the JSON-schema meta-schema. Off at run time: our schemas are
   * code, checked once by the unit tests, and skipping it (with codegen optimisation) takes
   * compilation of the descriptor schema from about 90 ms to 50 ms on every CLI start.
   */
  validateSchema?: boolean
}

/** Compiles a schema once; the returned function lists every problem (empty when valid). */
export function compileSchema(schema: AnySchemaObject, formats: Record<string, FormatCheck> = {}, options: CompileOptions = {}): SchemaCheck {
  // verbose: errors carry the failing value and its schema, which the messages below need.
  const validateSchema = options.validateSchema ?? false
  const ajv = new Ajv({allErrors: true, strict: true, verbose: true, validateSchema, code: {optimize: validateSchema}})
  for (const [name, check] of Object.entries({...BASE_FORMATS, ...formats})) ajv.addFormat(name, check)
  const validate = ajv.compile(schema)
  return (data) => {
    if (validate(data)) return []
    return explainMisspellings(dedupe((validate.errors ?? []).filter((error) => error.keyword !== 'if').map((error) => toProblem(error, data))))
  }
}

/** Edit distance, for "did you mean" on a misspelt key. */
function distance(a: string, b: string): number {
  let previous = Array.from({length: b.length + 1}, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]
}

/**
 * `primery: x` yields two problems: an unknown `primery` and a missing `primary`. Report it
 * once, as the misspelling it is, where the user typed it.
 */
function explainMisspellings(problems: Problem[]): Problem[] {
  const parentKey = (path: FieldPath) => path.slice(0, -1).join('\u0000')
  const missing = problems.filter((problem) => problem.kind === 'required')
  const absorbed = new Set<Problem>()
  const out = problems.map((problem) => {
    if (problem.kind !== 'unknown-field') return problem
    const typed = String(problem.path.at(-1))
    const candidate = missing.find(
      (other) => !absorbed.has(other) && parentKey(other.path) === parentKey(problem.path) && distance(typed, String(other.path.at(-1))) <= 2,
    )
    if (!candidate) return problem
    absorbed.add(candidate)
    return {...problem, message: `is not a known field (did you mean ${String(candidate.path.at(-1))}?)`}
  })
  return out.filter((problem) => !absorbed.has(problem))
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>()
  return problems.filter((problem) => {
    const key = `${problem.path.join('\u0000')}|${problem.message}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/** Turns ajv's JSON pointer into a field path, with numbers where the parent is a list. */
function pointerToPath(pointer: string, data: unknown): Array<string | number> {
  const path: Array<string | number> = []
  let current: unknown = data
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~')
    if (Array.isArray(current)) {
      path.push(Number(segment))
      current = current[Number(segment)]
    } else {
      path.push(segment)
      current = current !== null && typeof current === 'object' ? (current as Record<string, unknown>)[segment] : undefined
    }
  }
  return path
}

/** A short rendering of the offending value: `"three"`, `7`, `a mapping`. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  const text = JSON.stringify(value)
  return text.length > 60 ? `${text.slice(0, 57)}..."` : text
}

/** What a schema accepts, in words: "an integer >= 0", "one of canary, rolling". */
export function describeSchema(schema: AnySchemaObject | undefined): string {
  if (!schema) return 'valid'
  if (typeof schema.description === 'string') return schema.description
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.join(', ')}`
  if (schema.const !== undefined) return String(schema.const)
  const bounds = (noun: string) => {
    const {minimum: min, maximum: max} = schema
    if (min !== undefined && max !== undefined) return `${noun} between ${min} and ${max}`
    if (min !== undefined) return `${noun} >= ${min}`
    if (max !== undefined) return `${noun} <= ${max}`
    return noun
  }
  switch (schema.type) {
    case 'integer': return bounds('an integer')
    case 'number': return bounds('a number')
    case 'string': return 'a string'
    case 'boolean': return 'true or false'
    case 'object': return 'a mapping'
    case 'array': return 'a list'
    default: return 'valid'
  }
}

function toProblem(error: ErrorObject, root: unknown): Problem {
  const path: FieldPath = pointerToPath(error.instancePath, root)
  const got = `got ${describeValue(error.data)}`
  const expected = describeSchema(error.parentSchema)
  const params = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'additionalProperties': {
      const known = Object.keys((error.parentSchema?.properties as Record<string, unknown> | undefined) ?? {})
      const suffix = known.length > 0 ? ` (known fields: ${known.join(', ')})` : ''
      return {path: [...path, String(params.additionalProperty)], message: `is not a known field${suffix}`, at: 'key', kind: 'unknown-field'}
    }
    case 'required':
      return {path: [...path, String(params.missingProperty)], message: 'is required', kind: 'required'}
    case 'type':
    case 'enum':
    case 'const':
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
    case 'pattern':
    case 'format':
    case 'minLength':
    case 'maxLength':
      // YAML reads 7.0 as the number 7: say how to keep it a string.
      if (error.keyword === 'type' && params.type === 'string' && typeof error.data === 'number') {
        return {path, message: `must be ${expected}, got ${got.slice(4)} (quote it: "${String(error.data)}")`}
      }
      return {path, message: `must be ${expected}, ${got}`}
    case 'minItems':
      return {path, message: `must have at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}`}
    case 'maxItems':
      return {path, message: `must have at most ${String(params.limit)} items`}
    case 'minProperties':
      return {path, message: `must have at least ${String(params.limit)} entr${params.limit === 1 ? 'y' : 'ies'}`}
    case 'uniqueItems':
      return {path, message: 'must not repeat an item'}
    default:
      return {path, message: error.message ?? 'is invalid'}
  }
}
