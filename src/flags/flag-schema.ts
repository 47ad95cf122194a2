import {readFileSync} from 'node:fs'

import {Ajv, type ErrorObject, type ValidateFunction} from 'ajv'

import {UsageError} from '../errors.js'
import {packagePath} from '../package-root.js'
import type {FlagSet} from './types.js'
import {unknownVariantReferences} from './variant-references.js'

/**
 * Validates flag sets against flagd's published JSON schema (schemas/flagd/, copied unchanged from
 * open-feature/flagd-schemas; see schemas/README.md), then checks what the schema cannot express:
 * a defaultVariant or a targeting result that names a variant the flag does not have (flagd would
 * answer such an evaluation with an error at runtime).
 */

let compiled: ValidateFunction | undefined

function validator(): ValidateFunction {
  if (compiled) return compiled
  const read = (file: string) => JSON.parse(readFileSync(packagePath('schemas', 'flagd', file), 'utf8')) as Record<string, unknown>
  // The published schemas use draft-07 keywords ajv's strict mode rejects ($comment beside $ref,
  // tuple `items` without maxItems): they are someone else's data, so strict mode is off for them.
  const ajv = new Ajv({allErrors: true, strict: false})
  ajv.addSchema(read('targeting.json'))
  compiled = ajv.compile(read('flags.json'))
  return compiled
}

/** `/flags/upi-autopay/variants/on` -> `flags.upi-autopay.variants.on` (`[2]` for array indexes). */
export function jsonPath(instancePath: string): string {
  if (instancePath === '') return '(document)'
  return instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((path, segment) => (/^\d+$/.test(segment) ? `${path}[${segment}]` : path === '' ? segment : `${path}.${segment}`), '')
}

/**
 * The one error to show out of ajv's list. A flag is an anyOf over four typed flag shapes (boolean,
 * string, number, object variants), so one mistake is reported once per branch, beside errors that
 * only say "this is not a number flag". The mistake common to every branch is the real one: pick
 * the error repeated most often, then the deepest, and a concrete keyword over anyOf/oneOf.
 */
export function mostSpecificError(errors: readonly ErrorObject[]): ErrorObject {
  const vague = new Set(['oneOf', 'anyOf', 'allOf', 'if', 'not', '$ref'])
  const key = (e: ErrorObject) => `${e.instancePath}\u0000${e.keyword}\u0000${e.message}`
  const counts = new Map<string, number>()
  for (const e of errors) counts.set(key(e), (counts.get(key(e)) ?? 0) + 1)
  const score = (e: ErrorObject) => (vague.has(e.keyword) ? -1000 : 0) + (counts.get(key(e)) ?? 0) * 100 + e.instancePath.split('/').length
  return [...errors].sort((a, b) => score(b) - score(a))[0]
}

function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>
  if (error.keyword === 'enum') return `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`
  if (error.keyword === 'additionalProperties') return `has unknown property "${String(params.additionalProperty)}"`
  if (error.keyword === 'required') return `is missing "${String(params.missingProperty)}"`
  return error.message ?? 'is invalid'
}

export interface FlagProblem {
  path: string
  message: string
}

/** Every problem of a flag set, schema ones first; empty when it is valid. */
export function flagSetProblems(document: unknown): FlagProblem[] {
  const validate = validator()
  if (!validate(document)) {
    const errors = validate.errors ?? []
    const first = mostSpecificError(errors)
    return [{path: jsonPath(first.instancePath), message: describe(first)}]
  }
  return unknownVariantReferences(document as FlagSet)
}

/** Throws one UsageError naming the path of the first problem (`source` says where the set came from). */
export function assertValidFlagSet(document: unknown, source: string): asserts document is FlagSet {
  const problems = flagSetProblems(document)
  if (problems.length === 0) return
  const [first] = problems
  throw new UsageError(`${source}: ${first.path} ${first.message}`, {
    hint: 'flags follow flagd\'s flag definition format: https://flagd.dev/reference/flag-definitions/',
    details: {problems},
  })
}
