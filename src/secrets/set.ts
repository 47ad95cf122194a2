import type {Catalog} from '../catalog/types.js'
import {currentOperator, type Operator} from '../audit/identity.js'
import {connectEnvironment} from '../env/connect.js'
import {UsageError} from '../errors.js'
import {applySecrets, type AppliedSecret, readSecrets} from './cluster-secrets.js'
import type {SecretValues} from './input.js'
import {planSecrets, type SecretsPlan} from './plan.js'
import {Redactor} from './redact.js'
import {type RestartedService, restartServices} from './restart.js'
import {auditEntry, recordSecretsAudit} from './secret-audit.js'
import {requireSecretKey, requireSecretSpec, type SecretSpec, secretSpecs} from './secret-catalog.js'
import {type SecretProvenance, secretLabels} from './secret-object.js'
import {type SecretStore, type SecretStoreKind, valuesFromEntry} from './secret-store.js'
import {secretStoreFor} from './stores.js'

/**
 * `mygate secrets set`: writes an external Secret's values into every region of an environment
 * (all regions must answer: a value must be the same everywhere), keeping the keys it does not
 * set, then restarts the services whose pods read a value that changed, in dependency order.
 */

export interface SetSecretOptions {
  env: string
  secret: string
  catalog: Catalog
  /** Values read from stdin or a file (key -> base64). Exactly one of values and reference. */
  values?: SecretValues
  /**
   * Copy from a cloud secret store; with `key`, the whole entry is that key's value. `store`
   * defaults to the one for `kind` (src/secrets/stores.ts); tests pass one pointed at a fake.
   */
  reference?: {kind: SecretStoreKind; id: string; key?: string; store?: SecretStore}
  /** Restart the services that read changed values (default true). */
  restart?: boolean
  /** How long one layer of restarted services may take to be ready again. Default 5 minutes. */
  timeoutMs?: number
  home?: string
  now?: () => Date
  operator?: Operator
  onProgress?: (line: string) => void
}

/** The `--json` result of `mygate secrets set` (names, keys, actions: never values). */
export interface SetSecretResult {
  environment: string
  secret: string
  /** The keys this command wrote. */
  keys: string[]
  source: 'external' | 'reference'
  /** The cloud secret store entry the values were copied from. */
  reference?: string
  /** Each copy written: region, namespace, created / configured / unchanged. */
  copies: AppliedSecret[]
  /** Keys whose stored value changed (a new value, or a placeholder replaced). */
  changedKeys: string[]
  restarted: RestartedService[]
  /** Services that read a changed value but were not restarted (--no-restart): restart them to use it. */
  restartPending: string[]
  /** Keys the services read that still have no value (staging, prod) or a placeholder (dev). */
  missingKeys: string[]
  placeholderKeys: string[]
  /** Bookkeeping that failed after the values were written (the audit entry). */
  warnings: string[]
}

/**
 * The checks that need no cluster: a Secret the services read, external, and a key they read.
 * The command runs them before reading any input, so bad input fails before a value is read.
 */
export function checkSetTarget(catalog: Catalog, secret: string, key?: string): SecretSpec {
  const spec = requireExternal(requireSecretSpec(secretSpecs(catalog), secret))
  if (key !== undefined) requireSecretKey(spec, key)
  return spec
}

export async function setSecret(options: SetSecretOptions): Promise<SetSecretResult> {
  const specs = secretSpecs(options.catalog)
  const spec = checkSetTarget(options.catalog, options.secret, options.reference?.key)
  if ((options.values === undefined) === (options.reference === undefined)) throw new Error('setSecret needs exactly one of values and reference')
  for (const key of Object.keys(options.values ?? {})) requireSecretKey(spec, key)
  const now = options.now ?? (() => new Date())

  const connection = await connectEnvironment(options.env, {home: options.home})
  try {
    const {record, clients} = connection
    let values = options.values
    let provenance: SecretProvenance = {source: 'external', setAt: now().toISOString()}
    if (options.reference) {
      const {kind, id} = options.reference
      const store =
        options.reference.store ??
        (await secretStoreFor(kind, id, {provider: record.provider, primaryRegion: record.spec.regions.primary, gcpProject: record.spec.gcp?.project}))
      const entry = await store.read(id)
      values = valuesFromEntry(spec, entry, options.reference.key)
      provenance = {source: 'reference', reference: entry.reference, setAt: now().toISOString()}
    }
    const redactor = new Redactor()
    for (const value of Object.values(values ?? {})) redactor.addBase64(value)

    return await redactor.guard(async () => {
      const observed = await readSecrets(clients, [spec])
      for (const copy of observed) for (const value of Object.values(copy.data)) redactor.addBase64(value)
      const plan = planSecrets({
        specs,
        catalog: options.catalog,
        env: record.spec,
        regions: [...clients.keys()],
        observed,
        labels: secretLabels(record.name),
        random: () => {
          throw new Error('an external Secret is never generated')
        },
        override: {secret: spec.name, values: values ?? {}, provenance},
        only: [spec.name],
      })
      const copies = await applySecrets(clients, plan.objects, observed)
      const changedKeys = [...new Set(plan.changes.map((c) => c.key))].sort()
      const readers = [...new Set(plan.changes.flatMap((c) => c.readers))].sort()
      const restarted =
        options.restart === false
          ? []
          : await restartServices(clients, options.catalog, readers, {timeoutMs: options.timeoutMs ?? 300_000, now, onProgress: options.onProgress})
      const result: SetSecretResult = {
        environment: record.name,
        secret: spec.name,
        keys: Object.keys(values ?? {}).sort(),
        source: provenance.source === 'reference' ? 'reference' : 'external',
        ...(provenance.reference ? {reference: provenance.reference} : {}),
        copies,
        changedKeys,
        restarted,
        restartPending: options.restart === false ? readers : [],
        missingKeys: keysIn(plan, 'missing'),
        placeholderKeys: keysIn(plan, 'placeholders'),
        warnings: [],
      }
      try {
        const entry = auditEntry(
          {
            at: now().toISOString(),
            environment: record.name,
            action: 'set',
            secret: spec.name,
            keys: result.keys,
            source: result.source,
            ...(result.reference ? {reference: result.reference} : {}),
            restarted: [...new Set(restarted.map((r) => r.service))],
          },
          options.operator ?? currentOperator(),
        )
        for (const client of clients.values()) await recordSecretsAudit(client, entry)
      } catch (error) {
        // The values are written and the services restarted: report the lost audit entry, not a failure.
        result.warnings.push(`the values were set, but the audit entry could not be written: ${redactor.scrub((error as Error).message)}`)
      }
      return result
    })
  } finally {
    connection.close()
  }
}

/** Generated Secrets are mygate's: a database keeps the credentials and key file it started with. */
export function requireExternal(spec: SecretSpec): SecretSpec {
  if (spec.class === 'external') return spec
  throw new UsageError(`Secret ${spec.name} is generated by mygate (${spec.keys.map((k) => `${k.key}: ${k.generate}`).join(', ')}); its values are not set by hand`, {
    hint: 'a database keeps the credentials and key file it was initialised with; to start over before it holds data, `mygate secrets delete` it and re-run `mygate env create`',
  })
}

function keysIn(plan: SecretsPlan, which: 'missing' | 'placeholders'): string[] {
  return plan[which].flatMap((entry) => entry.keys).sort()
}
