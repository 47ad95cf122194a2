import type {FlagProblem} from './flag-schema.js'
import type {FlagSet} from './types.js'

/**
 * The variant names a flag's targeting can return, found where flagd reads a result: a string (or
 * boolean, which flagd turns into "true"/"false") in a result position. Result positions are the
 * rule itself, the then/else branches of `if` (JSONLogic's `if` takes [cond, then, cond, then, ...,
 * else]), the bucket names of `fractional` (`["on", 10]`), and whatever a `$ref` evaluator returns
 * in such a position. Conditions (`==`, `in`, `var`...) are not results and are not looked into.
 *
 *   {"if": [{"in": ["@mygate.in", {"var": "email"}]}, "on", "off"]} -> "on" at targeting.if[1], "off" at targeting.if[2]
 *   {"fractional": [["on", 10], ["off", 90]]}                       -> "on", "off"
 */
export function targetingResults(rule: unknown, path: string, evaluators: Record<string, unknown> = {}, seen = new Set<string>()): Array<{variant: string; path: string}> {
  if (typeof rule === 'string') return [{variant: rule, path}]
  if (typeof rule === 'boolean') return [{variant: String(rule), path}]
  if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) return []
  const entries = Object.entries(rule)
  if (entries.length !== 1) return []
  const [[op, args]] = entries
  if (op === '$ref' && typeof args === 'string') {
    if (seen.has(args) || !(args in evaluators)) return []
    return targetingResults(evaluators[args], `$evaluators.${args}`, evaluators, new Set([...seen, args]))
  }
  if (!Array.isArray(args)) return []
  if (op === 'if' || op === '?:') {
    const out: Array<{variant: string; path: string}> = []
    args.forEach((arg, i) => {
      const isThen = i % 2 === 1
      const isElse = i === args.length - 1 && args.length % 2 === 1 && i > 0
      if (isThen || isElse) out.push(...targetingResults(arg, `${path}.${op}[${i}]`, evaluators, seen))
    })
    return out
  }
  if (op === 'fractional') {
    return args.flatMap((bucket, i) =>
      Array.isArray(bucket) && bucket.length > 0 ? targetingResults(bucket[0], `${path}.fractional[${i}][0]`, evaluators, seen) : [],
    )
  }
  return []
}

/** defaultVariants and targeting results that name a variant the flag does not define. */
export function unknownVariantReferences(set: FlagSet): FlagProblem[] {
  const problems: FlagProblem[] = []
  for (const [key, flag] of Object.entries(set.flags)) {
    const known = Object.keys(flag.variants)
    const list = known.map((v) => `"${v}"`).join(', ')
    if (typeof flag.defaultVariant === 'string' && !known.includes(flag.defaultVariant)) {
      problems.push({path: `flags.${key}.defaultVariant`, message: `names unknown variant "${flag.defaultVariant}" (variants: ${list})`})
    }
    for (const result of targetingResults(flag.targeting, `flags.${key}.targeting`, set.$evaluators)) {
      if (!known.includes(result.variant)) problems.push({path: result.path, message: `names unknown variant "${result.variant}" (variants: ${list})`})
    }
  }
  return problems
}
