import type {Catalog} from '../catalog/types.js'
import type {EnvironmentSpec} from '../config/types.js'
import {ConflictError, UsageError} from '../errors.js'
import type {KubeObject} from '../kube/types.js'
import {isDerived, publicKeyOf, type RandomGenerator} from './generators.js'
import {mongoUri, replicaSetTopology} from './mongo-uri.js'
import type {SecretKeySpec, SecretSpec} from './secret-catalog.js'
import {
  fromBase64,
  type ObservedSecret,
  placeholderValue,
  type SecretProvenance,
  secretObject,
  toBase64,
} from './secret-object.js'

/**
 * Pure: from the Secrets the services read and the copies found in the clusters, the Secret
 * objects every region should hold. For each key, in this order:
 *
 * 1. a value the user is setting now (`mygate secrets set`) wins;
 * 2. a derived key (`rsa-public-key`, `mongodb-uri`) is rebuilt from its inputs, always;
 * 3. a value already stored (any region, any namespace) is kept: never changed by a re-run. Copies
 *    that disagree are a ConflictError naming the copies (never the values): mygate will not
 *    guess which of two replica-set keys is the right one;
 * 4. otherwise a generated key gets a new random value, and an external key gets a marked
 *    placeholder on the dev tier or is reported missing (staging, prod).
 *
 * Every region gets the same values (a replica set's key must match across regions), so a region
 * added later, or one that lost a copy, is filled from the others. A value that existed and
 * changed is reported in `changes`, with the services in that namespace that read it: their pods
 * only see the new value after a restart.
 */

export interface SecretOverride {
  secret: string
  /** key -> base64 value. */
  values: Record<string, string>
  provenance: SecretProvenance
}

export interface PlanSecretsInput {
  specs: readonly SecretSpec[]
  catalog: Catalog
  env: Pick<EnvironmentSpec, 'name' | 'tier'> & Partial<Pick<EnvironmentSpec, 'regions'>>
  /** The environment's regions, primary first. */
  regions: readonly string[]
  observed: readonly ObservedSecret[]
  /** Labels every Secret object carries (the naming contract's common labels). */
  labels: Record<string, string>
  /** A new random value, plain text; called only for a generated key that has no value yet. */
  random: (generator: RandomGenerator) => string
  override?: SecretOverride
  /** Plan only these Secrets (default: every one). */
  only?: readonly string[]
}

export interface SecretKeys {
  secret: string
  keys: string[]
}

export interface MissingSecret extends SecretKeys {
  /** Services that read the missing keys. */
  readers: string[]
}

export interface ValueChange {
  region: string
  namespace: string
  secret: string
  key: string
  /** Services in that namespace whose pods read the key. */
  readers: string[]
}

export interface SecretsPlan {
  objects: Array<{region: string; object: KubeObject}>
  /** Keys that got a new random value in this plan. */
  generated: SecretKeys[]
  /** External keys that hold (or now get) a placeholder: dev tier only. */
  placeholders: SecretKeys[]
  /** External keys with no value: staging and prod refuse to apply services while any is. */
  missing: MissingSecret[]
  changes: ValueChange[]
}

interface Resolved {
  /** base64 */
  value: string
  placeholder: boolean
}

export function planSecrets(input: PlanSecretsInput): SecretsPlan {
  const specByName = new Map(input.specs.map((spec) => [spec.name, spec]))
  const regionRank = (region: string) => {
    const index = input.regions.indexOf(region)
    return index === -1 ? input.regions.length : index
  }
  const observed = [...input.observed].sort((a, b) => regionRank(a.region) - regionRank(b.region) || a.namespace.localeCompare(b.namespace))
  const generated = new Map<string, Set<string>>()
  const placeholders = new Map<string, Set<string>>()
  const missing = new Map<string, Set<string>>()
  const note = (into: Map<string, Set<string>>, secret: string, key: string) => into.set(secret, (into.get(secret) ?? new Set()).add(key))
  const memo = new Map<string, Resolved | undefined>()

  const resolve = (secret: string, key: string): Resolved | undefined => {
    const id = `${secret}/${key}`
    if (memo.has(id)) return memo.get(id)
    const spec = specByName.get(secret)
    const keySpec = spec?.keys.find((k) => k.key === key)
    if (!spec || !keySpec) return undefined
    const resolved = resolveKey(spec, keySpec)
    memo.set(id, resolved)
    return resolved
  }

  const resolveKey = (spec: SecretSpec, keySpec: SecretKeySpec): Resolved | undefined => {
    const overridden = input.override?.secret === spec.name ? input.override.values[keySpec.key] : undefined
    if (overridden !== undefined) return {value: overridden, placeholder: false}
    if (keySpec.generate && isDerived(keySpec.generate)) return derive(spec, keySpec)
    const copies = observed.filter((o) => o.name === spec.name && o.data[keySpec.key] !== undefined && !o.placeholderKeys.includes(keySpec.key))
    const values = new Set(copies.map((o) => o.data[keySpec.key]))
    if (values.size > 1) {
      const where = copies.map((o) => `${o.region}/${o.namespace}`).join(', ')
      throw new ConflictError(`Secret ${spec.name} key ${keySpec.key} has different values in ${where}; every copy must hold the same value`, {
        hint:
          spec.class === 'external'
            ? `write one value everywhere with \`mygate secrets set ${spec.name} --env ${input.env.name} --key ${keySpec.key}\``
            : 'mygate never changes a generated value: delete the copy that is wrong (kubectl delete secret), then re-run `mygate env create`',
        details: {secret: spec.name, key: keySpec.key, copies: copies.map((o) => ({region: o.region, namespace: o.namespace}))},
      })
    }
    if (values.size === 1) return {value: [...values][0], placeholder: false}
    if (keySpec.generate) {
      note(generated, spec.name, keySpec.key)
      return {value: toBase64(input.random(keySpec.generate as RandomGenerator)), placeholder: false}
    }
    if (input.env.tier === 'dev') {
      note(placeholders, spec.name, keySpec.key)
      return {value: toBase64(placeholderValue(spec.name, keySpec.key, input.env.name)), placeholder: true}
    }
    note(missing, spec.name, keySpec.key)
    return undefined
  }

  const derive = (spec: SecretSpec, keySpec: SecretKeySpec): Resolved | undefined => {
    if (keySpec.generate === 'rsa-public-key') {
      const privateKey = spec.keys.find((k) => k.generate === 'rsa-private-key')
      const source = privateKey && resolve(spec.name, privateKey.key)
      if (!source) return undefined
      try {
        return {value: toBase64(publicKeyOf(fromBase64(source.value))), placeholder: false}
      } catch {
        // Never the key itself in the message: only where it is.
        throw new UsageError(`Secret ${spec.name} key ${privateKey.key} does not hold a PEM private key, so ${keySpec.key} cannot be derived from it`, {
          hint: `delete the Secret (\`mygate secrets delete ${spec.name} --env ${input.env.name}\`) and re-run \`mygate env create\` to generate a new key pair`,
        })
      }
    }
    // mongodb-uri: the reading service's database, its members and its root credentials.
    const database = keySpec.database ? input.catalog.byName(keySpec.database) : undefined
    if (!database) return undefined
    const credential = (generator: 'username' | 'password') => {
      const reference = database.secrets.find((s) => s.generate === generator)
      return reference ? resolve(reference.secretName, reference.key) : undefined
    }
    const username = credential('username')
    const password = credential('password')
    if (!username || !password) return undefined
    const service = keySpec.readers[0]?.service ?? database.name
    const uri = mongoUri(replicaSetTopology(database, input.env), {username: fromBase64(username.value), password: fromBase64(password.value)}, service)
    return {value: toBase64(uri), placeholder: false}
  }

  const objects: SecretsPlan['objects'] = []
  const changes: ValueChange[] = []
  const selected = input.only ? input.specs.filter((spec) => input.only?.includes(spec.name)) : input.specs
  for (const spec of selected) {
    const provenance = input.override?.secret === spec.name ? input.override.provenance : provenanceOf(spec, observed)
    for (const region of input.regions) {
      for (const placement of spec.placements) {
        const data: Record<string, string> = {}
        const placeholderKeys: string[] = []
        for (const key of placement.keys) {
          const resolved = resolve(spec.name, key)
          if (!resolved) continue
          data[key] = resolved.value
          if (resolved.placeholder) placeholderKeys.push(key)
        }
        if (Object.keys(data).length === 0) continue
        objects.push({region, object: secretObject({name: spec.name, namespace: placement.namespace, data, provenance, placeholderKeys, labels: input.labels})})
        const copy = observed.find((o) => o.region === region && o.namespace === placement.namespace && o.name === spec.name)
        for (const [key, value] of Object.entries(data)) {
          const before = copy?.data[key]
          if (before === undefined || before === value) continue
          const readers = spec.keys.find((k) => k.key === key)?.readers.filter((r) => r.namespace === placement.namespace).map((r) => r.service) ?? []
          changes.push({region, namespace: placement.namespace, secret: spec.name, key, readers: [...new Set(readers)].sort()})
        }
      }
    }
  }

  const listOf = (from: Map<string, Set<string>>): SecretKeys[] =>
    [...from.entries()].map(([secret, keys]) => ({secret, keys: [...keys].sort()})).sort((a, b) => a.secret.localeCompare(b.secret))
  return {
    objects,
    generated: listOf(generated),
    placeholders: listOf(placeholders),
    missing: listOf(missing).map((entry) => ({
      ...entry,
      readers: [...new Set(specByName.get(entry.secret)?.keys.filter((k) => entry.keys.includes(k.key)).flatMap((k) => k.readers.map((r) => r.service)))].sort(),
    })),
    changes,
  }
}

/** The provenance the first stored copy records, else what the Secret's class implies. */
function provenanceOf(spec: SecretSpec, observed: readonly ObservedSecret[]): SecretProvenance {
  const copy = observed.find((o) => o.name === spec.name)
  if (copy) return copy.provenance
  return {source: spec.class === 'generated' ? 'generated' : 'external'}
}
