import {UsageError} from '../errors.js'
import {type SecretSpec, requireSecretKey} from './secret-catalog.js'
import type {SecretValues} from './input.js'

/**
 * A cloud secret store mygate copies external secrets from (`mygate secrets set NAME
 * --from-aws-secret ID` / `--from-gcp-secret ID`). The store stays the source of truth for the
 * team; mygate copies the value into every region's cluster (pods read Kubernetes Secrets) and
 * records the entry it came from, so `mygate secrets list` shows the reference and running the
 * same `set` again refreshes the copy.
 *
 * One interface, one implementation per cloud:
 * - AWS Secrets Manager (src/providers/aws/secrets-manager.ts): GetSecretValue; ID is an ARN or
 *   a name (looked up in the environment's primary region);
 * - Google Secret Manager (src/providers/gcp/secret-manager.ts): `versions/*:access`; ID is
 *   `projects/P/secrets/S[/versions/V]` or a bare secret name in the environment's project.
 */

export type SecretStoreKind = 'aws-secrets-manager' | 'gcp-secret-manager'

export interface SecretStoreEntry {
  /** The canonical id of what was read (an ARN, `projects/P/secrets/S/versions/V`): recorded on the Secret. */
  reference: string
  /** The entry's value. */
  value: Buffer
}

export interface SecretStore {
  readonly kind: SecretStoreKind
  read(id: string): Promise<SecretStoreEntry>
}

/**
 * Pure: an entry -> the Secret's values. With `key`, the whole entry is that key's value. Without,
 * the entry must be a JSON object of strings (the shape the AWS console's key/value editor
 * writes), each name a key some service reads: a name that is not one is an error, not silently
 * dropped (a typo would leave the real key unset).
 */
export function valuesFromEntry(spec: SecretSpec, entry: SecretStoreEntry, key?: string): SecretValues {
  if (key !== undefined) {
    requireSecretKey(spec, key)
    if (entry.value.length === 0) throw new UsageError(`${entry.reference} is empty`, {hint: 'store a value in it first'})
    return {[key]: entry.value.toString('base64')}
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(entry.value.toString('utf8'))
  } catch {
    parsed = undefined
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`${entry.reference} does not hold a JSON object of key/value pairs`, {
      hint: `store {"${spec.keys[0]?.key ?? 'key'}": "..."} in it, or pass --key KEY to copy the whole value into one key`,
    })
  }
  const values: SecretValues = {}
  for (const [name, value] of Object.entries(parsed)) {
    requireSecretKey(spec, name)
    if (typeof value !== 'string' || value.length === 0) {
      throw new UsageError(`${entry.reference}: key "${name}" must be a non-empty string`, {hint: 'store each value as a JSON string'})
    }
    values[name] = Buffer.from(value, 'utf8').toString('base64')
  }
  if (Object.keys(values).length === 0) throw new UsageError(`${entry.reference} holds an empty JSON object`, {hint: `store ${spec.keys.map((k) => k.key).join(', ')}`})
  return values
}
