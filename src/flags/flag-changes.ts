import {UsageError} from '../errors.js'
import {type FlagDefinition, offVariantOf, onVariantOf} from './types.js'

/**
 * The pure changes mygate makes to one flag. Each returns a new definition; none touches its input.
 *
 *   splitAt(flag, 10)  -> targeting {"fractional": [["on", 10], ["off", 90]]}, state ENABLED
 *   turnedOff(flag)    -> defaultVariant "off", targeting removed, state ENABLED
 *   fullyOn(flag)      -> defaultVariant "on", targeting removed (a rollout that reached 100%)
 *
 * `fractional` without a bucketing expression buckets by flagd's default, the flag key joined with
 * the evaluation context's targetingKey (murmurhash3, https://flagd.dev/reference/custom-operations/fractional-operation/),
 * so the same resident stays in the same bucket as the percentage grows.
 */

function requireVariant(key: string, flag: FlagDefinition, variant: string, role: string): void {
  if (!(variant in flag.variants)) {
    throw new UsageError(`flag ${key} has no ${role} variant "${variant}" (variants: ${Object.keys(flag.variants).join(', ')})`, {
      hint: `add a "${variant}" variant, or name the ${role} variant in metadata.${role === 'on' ? 'onVariant' : 'offVariant'}`,
    })
  }
}

/** The rollout's split at `percent` (0..100, whole) of the on-variant. */
export function splitAt(key: string, flag: FlagDefinition, percent: number): FlagDefinition {
  const on = onVariantOf(flag)
  const off = offVariantOf(flag)
  requireVariant(key, flag, on, 'on')
  requireVariant(key, flag, off, 'off')
  if (!(Number.isInteger(percent) && percent >= 0 && percent <= 100)) throw new UsageError(`split ${percent}% is not a whole percentage 0..100`)
  return {...flag, state: 'ENABLED', defaultVariant: off, targeting: {fractional: [[on, percent], [off, 100 - percent]]}}
}

/** Off: everyone gets the off-variant; the split is gone. */
export function turnedOff(key: string, flag: FlagDefinition): FlagDefinition {
  const off = offVariantOf(flag)
  requireVariant(key, flag, off, 'off')
  const {targeting: _removed, ...rest} = flag
  return {...rest, state: 'ENABLED', defaultVariant: off}
}

/** On for everyone, without a split. */
export function fullyOn(key: string, flag: FlagDefinition): FlagDefinition {
  const on = onVariantOf(flag)
  requireVariant(key, flag, on, 'on')
  const {targeting: _removed, ...rest} = flag
  return {...rest, state: 'ENABLED', defaultVariant: on}
}

/** The on-variant's share in a flag's current rollout split, or undefined when it has none. */
export function currentSplit(flag: FlagDefinition): number | undefined {
  const fractional = (flag.targeting as {fractional?: unknown} | undefined)?.fractional
  if (!Array.isArray(fractional)) return undefined
  const on = onVariantOf(flag)
  const buckets = fractional.filter((b): b is [string, number] => Array.isArray(b) && typeof b[0] === 'string')
  const total = buckets.reduce((n, b) => n + (typeof b[1] === 'number' ? b[1] : 1), 0)
  const mine = buckets.find((b) => b[0] === on)
  if (!mine || total === 0) return 0
  return Math.round((100 * (typeof mine[1] === 'number' ? mine[1] : 1)) / total)
}

/**
 * `--steps 1,10,50,100`: whole percentages, strictly increasing, each in 1..100.
 *   "1,10,50,100" -> [1, 10, 50, 100];  "10,5" -> UsageError;  "0,50" -> UsageError
 */
export function parseSteps(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim())
  const bad = (why: string) => new UsageError(`--steps "${text}" ${why}`, {hint: 'use increasing whole percentages from 1 to 100, e.g. --steps 1,10,50,100'})
  if (parts.length === 0 || parts.some((p) => p === '')) throw bad('has an empty step')
  const steps = parts.map((p) => {
    if (!/^\d+$/.test(p)) throw bad(`has "${p}", not a whole percentage`)
    const n = Number(p)
    if (n < 1 || n > 100) throw bad(`has ${n}, outside 1..100`)
    return n
  })
  for (let i = 1; i < steps.length; i++) if (steps[i] <= steps[i - 1]) throw bad(`is not increasing (${steps[i - 1]} then ${steps[i]})`)
  return steps
}
