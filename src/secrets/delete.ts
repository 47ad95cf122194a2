import type {Catalog, Tier} from '../catalog/types.js'
import {currentOperator, type Operator} from '../audit/identity.js'
import {connectEnvironment} from '../env/connect.js'
import {deleteSecretCopies, readSecrets} from './cluster-secrets.js'
import {auditEntry, recordSecretsAudit} from './secret-audit.js'
import {requireSecretSpec, type SecretClass, secretSpecs} from './secret-catalog.js'

/**
 * `mygate secrets delete`: removes a Secret's copies from every region and namespace. Running
 * pods keep the values they started with; a pod started afterwards cannot start (on a real
 * cluster: CreateContainerConfigError) until the Secret is set again, or, for a generated Secret
 * or on the dev tier, until `mygate env create` writes it again (new random values: a database
 * initialised with the old credentials will refuse them, hence the confirmation).
 */

/** What the confirmation is about; the command decides how to confirm (src/ui/confirm.ts). */
export interface DeleteTarget {
  environment: string
  tier: Tier
  secret: string
  class: SecretClass
}

export interface DeleteSecretOptions {
  env: string
  secret: string
  catalog: Catalog
  /** Called once the target is known and before anything is deleted; throws to refuse. */
  confirm: (target: DeleteTarget) => Promise<void>
  home?: string
  now?: () => Date
  operator?: Operator
}

/** The `--json` result of `mygate secrets delete`. */
export interface DeleteSecretResult {
  environment: string
  secret: string
  class: SecretClass
  /** The copies that were deleted (none when it did not exist). */
  deleted: Array<{region: string; namespace: string}>
  /** Services that read it: their next pods need it back. */
  readers: string[]
  warnings: string[]
}

export async function deleteSecret(options: DeleteSecretOptions): Promise<DeleteSecretResult> {
  const spec = requireSecretSpec(secretSpecs(options.catalog), options.secret)
  const connection = await connectEnvironment(options.env, {home: options.home})
  try {
    const {record, clients} = connection
    await options.confirm({environment: record.name, tier: record.spec.tier, secret: spec.name, class: spec.class})
    const copies = await readSecrets(clients, [spec])
    const deleted = await deleteSecretCopies(clients, copies)
    const result: DeleteSecretResult = {environment: record.name, secret: spec.name, class: spec.class, deleted, readers: spec.readers, warnings: []}
    if (deleted.length > 0) {
      try {
        const entry = auditEntry(
          {at: (options.now ?? (() => new Date()))().toISOString(), environment: record.name, action: 'delete', secret: spec.name, keys: spec.keys.map((k) => k.key)},
          options.operator ?? currentOperator(),
        )
        for (const client of clients.values()) await recordSecretsAudit(client, entry)
      } catch (error) {
        result.warnings.push(`the Secret was deleted, but the audit entry could not be written: ${(error as Error).message}`)
      }
    }
    return result
  } finally {
    connection.close()
  }
}
