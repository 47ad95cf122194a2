import type {Catalog, SecretGenerator} from '../catalog/types.js'
import {NotFoundError, UsageError, oneOf} from '../errors.js'
import {serviceNamespace} from '../render/labels.js'

/**
 * The Secrets an environment needs, derived from the descriptors' `secrets` lists (the only
 * place they are declared). Pure.
 *
 * A Secret is `generated` when mygate makes every key of it (database credentials, the replica
 * set's key file, the Redis password, the JWT key pair, the connection strings derived from
 * them), `external` when the user provides the values (payment gateway, push, SMS, e-mail,
 * report storage). The catalog loader guarantees a Secret is one or the other
 * (src/catalog/secret-checks.ts).
 *
 * A pod reads Secrets of its own namespace only, so a Secret read by an app and by a data service
 * (redis-auth) is kept in both namespaces, with the same values. Each copy holds only the keys
 * the pods of its namespace read: the app namespace's `billing-db-credentials` holds `uri`, the
 * data namespace's holds the root credentials and the key file.
 */

export type SecretClass = 'generated' | 'external'

export interface SecretReader {
  service: string
  namespace: string
  /** The environment variable the value is exposed as. */
  env: string
}

export interface SecretKeySpec {
  key: string
  /** How mygate makes the value; absent for an external key. */
  generate?: SecretGenerator
  /** For `mongodb-uri`: the database whose members and credentials the URI carries. */
  database?: string
  readers: SecretReader[]
}

export interface SecretPlacement {
  namespace: string
  keys: string[]
}

export interface SecretSpec {
  name: string
  class: SecretClass
  /** Sorted by key. */
  keys: SecretKeySpec[]
  /** Namespaces that hold a copy, each with the keys read there. */
  placements: SecretPlacement[]
  /** Services that read any key, sorted. */
  readers: string[]
}

/** Every Secret the catalog's services read, sorted by name. */
export function secretSpecs(catalog: Catalog): SecretSpec[] {
  const byName = new Map<string, Map<string, SecretKeySpec>>()
  for (const service of catalog.services) {
    const namespace = serviceNamespace(service)
    for (const reference of service.secrets) {
      const keys = byName.get(reference.secretName) ?? new Map<string, SecretKeySpec>()
      byName.set(reference.secretName, keys)
      const spec = keys.get(reference.key) ?? {
        key: reference.key,
        ...(reference.generate ? {generate: reference.generate} : {}),
        ...(reference.generate === 'mongodb-uri' && service.dependencies.database ? {database: service.dependencies.database} : {}),
        readers: [],
      }
      keys.set(reference.key, spec)
      spec.readers.push({service: service.name, namespace, env: reference.env})
    }
  }
  return [...byName.entries()]
    .map(([name, keyMap]): SecretSpec => {
      const keys = [...keyMap.values()].sort((a, b) => a.key.localeCompare(b.key))
      const namespaces = new Map<string, Set<string>>()
      for (const key of keys) {
        for (const reader of key.readers) namespaces.set(reader.namespace, (namespaces.get(reader.namespace) ?? new Set()).add(key.key))
      }
      return {
        name,
        class: keys.every((key) => key.generate !== undefined) ? 'generated' : 'external',
        keys,
        placements: [...namespaces.entries()]
          .map(([namespace, names]) => ({namespace, keys: [...names].sort()}))
          .sort((a, b) => a.namespace.localeCompare(b.namespace)),
        readers: [...new Set(keys.flatMap((key) => key.readers.map((reader) => reader.service)))].sort(),
      }
    })
    .sort((a, b) => a.name.localeCompare(b.name))
}

/** The named Secret, or a NotFoundError listing the Secrets the services read. */
export function requireSecretSpec(specs: readonly SecretSpec[], name: string): SecretSpec {
  const spec = specs.find((s) => s.name === name)
  if (spec) return spec
  throw new NotFoundError(`no service reads a Secret named "${name}": expected ${oneOf(specs.map((s) => s.name))}`, {
    hint: 'see `mygate secrets list --env NAME`',
    details: {secret: name},
  })
}

/**
 * The Secret key rule of the Kubernetes API (ValidateSecret -> validation.IsConfigMapKey in
 * k8s.io/apimachinery): `[-._a-zA-Z0-9]+`, at most 253 characters, not `.` and not starting with `..`.
 */
export const SECRET_KEY_PATTERN = /^[-._a-zA-Z0-9]+$/
const MAX_KEY_LENGTH = 253

export function isValidSecretKey(key: string): boolean {
  return SECRET_KEY_PATTERN.test(key) && key.length <= MAX_KEY_LENGTH && key !== '.' && !key.startsWith('..')
}

/** Checks a key a user names against the Kubernetes rule and the keys the services read. */
export function requireSecretKey(spec: SecretSpec, key: string): SecretKeySpec {
  if (!isValidSecretKey(key)) {
    // `--key name=VALUE` (kubectl's --from-literal habit) would put a value in the message.
    const shown = key.includes('=') ? 'the key given (not shown: it contains "=", as a KEY=VALUE would)' : `"${key}"`
    throw new UsageError(`${shown} is not a valid Secret key: use letters, digits, '-', '_' and '.' (at most ${MAX_KEY_LENGTH}, not "." or starting with "..")`, {
      hint: `keys of ${spec.name}: ${spec.keys.map((k) => k.key).join(', ')}`,
    })
  }
  const found = spec.keys.find((k) => k.key === key)
  if (found) return found
  throw new UsageError(`Secret ${spec.name} has no key "${key}" that a service reads: expected ${oneOf(spec.keys.map((k) => k.key))}`, {
    hint: 'keys are named by the descriptors (services/*.yaml, secrets[].key); see `mygate secrets list --env NAME`',
  })
}
