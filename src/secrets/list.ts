import type {Catalog, Tier} from '../catalog/types.js'
import {connectEnvironment} from '../env/connect.js'
import {readSecrets} from './cluster-secrets.js'
import {type SecretClass, type SecretSpec, secretSpecs} from './secret-catalog.js'
import type {ObservedSecret, SecretSource} from './secret-object.js'

/**
 * `mygate secrets list`: every Secret the services read, with its keys, where its values came
 * from and how old it is, read from the environment's clusters. Values are read (the API returns
 * them) and dropped here: only key names leave this module.
 */

/** One row of `mygate secrets list --json`. */
export interface SecretSummary {
  name: string
  class: SecretClass
  /** `missing` when no region holds a copy. */
  source: SecretSource | 'missing'
  /** The keys the services read. */
  keys: string[]
  /** Keys holding a placeholder (dev tier). */
  placeholderKeys: string[]
  /** Keys some region or namespace that needs them does not hold. */
  missingKeys: string[]
  /** The cloud secret store entry it was copied from (source `reference`). */
  reference?: string
  /** Services that read it. */
  readers: string[]
  namespaces: string[]
  /** Regions holding a copy. */
  regions: string[]
  /** When the oldest copy was created, and when a user last set it. */
  createdAt?: string
  setAt?: string
}

/** The `--json` result of `mygate secrets list`. */
export interface SecretListResult {
  environment: string
  tier: Tier
  regions: string[]
  secrets: SecretSummary[]
}

export interface ListSecretsOptions {
  env: string
  catalog: Catalog
  home?: string
}

export async function listSecrets(options: ListSecretsOptions): Promise<SecretListResult> {
  const specs = secretSpecs(options.catalog)
  const connection = await connectEnvironment(options.env, {home: options.home})
  try {
    const regions = [...connection.clients.keys()]
    const observed = await readSecrets(connection.clients, specs)
    return {environment: connection.record.name, tier: connection.record.spec.tier, regions, secrets: specs.map((spec) => summarize(spec, regions, observed))}
  } finally {
    connection.close()
  }
}

/** Pure: what the copies of one Secret say about it. */
export function summarize(spec: SecretSpec, regions: readonly string[], observed: readonly ObservedSecret[]): SecretSummary {
  const copies = observed.filter((o) => o.name === spec.name)
  const placeholderKeys = [...new Set(copies.flatMap((c) => c.placeholderKeys))].sort()
  const missingKeys = new Set<string>()
  for (const region of regions) {
    for (const placement of spec.placements) {
      const copy = copies.find((c) => c.region === region && c.namespace === placement.namespace)
      for (const key of placement.keys) if (copy?.data[key] === undefined) missingKeys.add(key)
    }
  }
  const first = copies[0]
  const created = copies.map((c) => c.createdAt).filter((t): t is string => t !== undefined).sort()
  return {
    name: spec.name,
    class: spec.class,
    source: !first ? 'missing' : placeholderKeys.length > 0 ? 'placeholder' : first.provenance.source,
    keys: spec.keys.map((k) => k.key),
    placeholderKeys,
    missingKeys: [...missingKeys].sort(),
    ...(first?.provenance.reference ? {reference: first.provenance.reference} : {}),
    readers: spec.readers,
    namespaces: spec.placements.map((p) => p.namespace),
    regions: regions.filter((region) => copies.some((c) => c.region === region)),
    ...(created[0] ? {createdAt: created[0]} : {}),
    ...(first?.provenance.setAt ? {setAt: first.provenance.setAt} : {}),
  }
}
