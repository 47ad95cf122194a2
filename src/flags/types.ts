/**
 * Feature flags in flagd's flag definition format (https://flagd.dev/reference/flag-definitions/),
 * the shape schemas/flagd/flags.json validates. mygate adds conventions in each flag's `metadata`
 * (flagd passes metadata through untouched; values are strings, numbers or booleans):
 *
 * - `services`: the comma-separated services whose code evaluates the flag ("billing" or
 *   "visitors,notifications"). A flag rollout analyses exactly these, and its lock covers them.
 * - `onVariant` / `offVariant`: the variants a rollout moves between; default "on" and "off".
 *   Turning a flag off means defaultVariant = offVariant and no targeting.
 * - `description`: one line for `flags list`.
 */

export type FlagState = 'ENABLED' | 'DISABLED'
export type VariantValue = boolean | string | number | Record<string, unknown> | unknown[]

export interface FlagDefinition {
  state: FlagState
  variants: Record<string, VariantValue>
  defaultVariant?: string | null
  /** JSONLogic with flagd's operators; `{}` or absent means "no targeting". */
  targeting?: Record<string, unknown>
  metadata?: Record<string, string | number | boolean>
}

/** What `FeatureFlag.spec.flagSpec` holds and what flagd serves: every flag of an environment. */
export interface FlagSet {
  flags: Record<string, FlagDefinition>
  $evaluators?: Record<string, unknown>
  metadata?: Record<string, string | number | boolean>
}

export const DEFAULT_ON_VARIANT = 'on'
export const DEFAULT_OFF_VARIANT = 'off'

/** The services a flag declares it is evaluated by (metadata.services), trimmed, in order. */
export function servicesOf(flag: FlagDefinition): string[] {
  const text = flag.metadata?.services
  if (typeof text !== 'string') return []
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

export function onVariantOf(flag: FlagDefinition): string {
  const v = flag.metadata?.onVariant
  return typeof v === 'string' && v !== '' ? v : DEFAULT_ON_VARIANT
}

export function offVariantOf(flag: FlagDefinition): string {
  const v = flag.metadata?.offVariant
  return typeof v === 'string' && v !== '' ? v : DEFAULT_OFF_VARIANT
}
