import {FlagdCore} from '@openfeature/flagd-core'

import type {KubeObject} from '../../kube/types.js'

/**
 * Which variant the simulated residents get, evaluated with flagd's own evaluation library
 * (@openfeature/flagd-core, the in-process engine of flagd's providers), so targeting and the
 * `fractional` split follow flagd's real algorithm: murmurhash3 of the flag key joined with the
 * evaluation context's targetingKey, bucketed by weight
 * (https://flagd.dev/reference/custom-operations/fractional-operation/).
 *
 * A service's requests come from a fixed population of residents (targetingKey "resident-1" ...
 * "resident-N"): the share of residents that get a variant is the share of requests that do.
 */

/** Simulated residents; 1000 gives the split a resolution of 0.1%. */
export const RESIDENTS = 1000

export interface FlagInfo {
  key: string
  /** metadata.services: the services whose requests evaluate the flag. */
  services: string[]
  /** metadata.onVariant (default "on"): the variant a `--flag` fault hits. */
  onVariant: string
  /** Variant -> share of requests, 0..1 (sums to 1; empty when the flag is disabled or broken). */
  shares: Map<string, number>
}

interface FlagSpec {
  flags?: Record<string, {variants?: Record<string, unknown>; metadata?: Record<string, unknown>}>
  $evaluators?: Record<string, unknown>
}

const cache = new Map<string, FlagInfo[]>()

function servicesOf(metadata: Record<string, unknown> | undefined): string[] {
  const text = metadata?.services
  return typeof text === 'string' ? text.split(',').map((s) => s.trim()).filter(Boolean) : []
}

function evaluate(core: FlagdCore, key: string, variants: Record<string, unknown>, targetingKey: string): string | undefined {
  const sample = Object.values(variants)[0]
  const context = {targetingKey}
  // flagd-core logs evaluation errors through this logger; the simulation reads the variant only.
  const quiet = {error: () => {}, warn: () => {}, info: () => {}, debug: () => {}}
  const details =
    typeof sample === 'boolean'
      ? core.resolveBooleanEvaluation(key, false, context, quiet)
      : typeof sample === 'number'
        ? core.resolveNumberEvaluation(key, 0, context, quiet)
        : typeof sample === 'string'
          ? core.resolveStringEvaluation(key, '', context, quiet)
          : core.resolveObjectEvaluation(key, {}, context, quiet)
  return details.variant
}

/** Every flag of one FeatureFlag's flagSpec, with its variant shares (cached by content). */
export function evaluateFlagSpec(flagSpec: FlagSpec): FlagInfo[] {
  const text = JSON.stringify(flagSpec)
  const cached = cache.get(text)
  if (cached) return cached
  const core = new FlagdCore()
  let loaded = true
  try {
    core.setConfigurations(JSON.stringify({flags: flagSpec.flags ?? {}, ...(flagSpec.$evaluators ? {$evaluators: flagSpec.$evaluators} : {})}))
  } catch {
    // flagd rejects the whole source when it does not parse: no flag is served from it.
    loaded = false
  }
  const out: FlagInfo[] = []
  for (const [key, flag] of Object.entries(flagSpec.flags ?? {})) {
    const counts = new Map<string, number>()
    if (loaded) {
      for (let i = 1; i <= RESIDENTS; i++) {
        let variant: string | undefined
        try {
          variant = evaluate(core, key, flag.variants ?? {}, `resident-${i}`)
        } catch {
          // Disabled or failing flags: the code default serves, with no variant to label.
          variant = undefined
        }
        if (variant !== undefined) counts.set(variant, (counts.get(variant) ?? 0) + 1)
      }
    }
    const total = [...counts.values()].reduce((a, b) => a + b, 0)
    const onVariant = typeof flag.metadata?.onVariant === 'string' ? flag.metadata.onVariant : 'on'
    out.push({key, services: servicesOf(flag.metadata), onVariant, shares: new Map([...counts].map(([v, n]) => [v, n / total]))})
  }
  if (cache.size > 500) cache.clear()
  cache.set(text, out)
  return out
}

/** Flags of every FeatureFlag object given (ignoring ones being deleted). */
export function flagsOf(objects: readonly KubeObject[]): FlagInfo[] {
  return objects
    .filter((o) => !o.metadata.deletionTimestamp)
    .flatMap((o) => evaluateFlagSpec(((o.spec as {flagSpec?: FlagSpec} | undefined)?.flagSpec ?? {}) as FlagSpec))
}
