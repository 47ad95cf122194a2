import type {Catalog} from '../catalog/types.js'
import type {EnvironmentSpec} from '../config/types.js'
import {UsageError} from '../errors.js'
import type {KubeClient} from '../kube/client.js'
import {applySecrets, type AppliedSecret, readSecrets} from './cluster-secrets.js'
import {randomValue, type RandomGenerator} from './generators.js'
import {type MissingSecret, planSecrets, type SecretKeys, type ValueChange} from './plan.js'
import {Redactor} from './redact.js'
import {secretSpecs} from './secret-catalog.js'
import {secretLabels} from './secret-object.js'

/**
 * The secrets step of `env create`, before any service is applied: generated Secrets are created
 * when absent (never changed when present), derived values rebuilt, values copied to every region
 * and namespace that needs them, dev-tier placeholders written for external Secrets nobody has
 * set. What is missing is returned: the caller refuses to apply services on staging and prod
 * (see {@link missingSecretsError}).
 */

export interface EnsureSecretsOptions {
  /** region -> client, primary region first. */
  clients: ReadonlyMap<string, KubeClient>
  catalog: Catalog
  env: EnvironmentSpec
  /** Default: node:crypto (src/secrets/generators.ts). */
  random?: (generator: RandomGenerator) => string
}

/** Part of `env create --json` (`secrets`): names and keys only, never values. */
export interface EnsureSecretsResult {
  applied: AppliedSecret[]
  /** Keys that got a new random value in this run. */
  generated: SecretKeys[]
  /** External keys running on placeholders (dev). */
  placeholders: SecretKeys[]
  /** External keys nobody has set (staging, prod: services were not applied). */
  missing: MissingSecret[]
  /** Stored values that changed (derived values whose inputs changed): their readers are restarted. */
  changes: ValueChange[]
}

export async function ensureSecrets(options: EnsureSecretsOptions): Promise<EnsureSecretsResult> {
  const specs = secretSpecs(options.catalog)
  const observed = await readSecrets(options.clients, specs)
  const redactor = new Redactor()
  for (const copy of observed) for (const value of Object.values(copy.data)) redactor.addBase64(value)
  const plan = await redactor.guard(async () =>
    planSecrets({
      specs,
      catalog: options.catalog,
      env: options.env,
      regions: [...options.clients.keys()],
      observed,
      labels: secretLabels(options.env.name),
      random: options.random ?? randomValue,
    }),
  )
  for (const {object} of plan.objects) for (const value of Object.values(object.data as Record<string, string>)) redactor.addBase64(value)
  const applied = await redactor.guard(() => applySecrets(options.clients, plan.objects, observed))
  return {applied, generated: plan.generated, placeholders: plan.placeholders, missing: plan.missing, changes: plan.changes}
}

/** The services whose pods read a changed value, once each. */
export function readersOf(changes: readonly ValueChange[]): string[] {
  return [...new Set(changes.flatMap((change) => change.readers))].sort()
}

/**
 * Exit 2 (bad input: the environment lacks input only its owner can give). One line: what is
 * missing and who reads it, then the `mygate secrets set` command for each Secret.
 */
export function missingSecretsError(env: Pick<EnvironmentSpec, 'name' | 'tier'>, missing: readonly MissingSecret[]): UsageError {
  const list = missing.map((m) => `${m.secret} (${m.keys.join(', ')}; read by ${m.readers.join(', ')})`).join(', ')
  const commands = missing.map((m) =>
    m.keys.length === 1
      ? `\`mygate secrets set ${m.secret} --env ${env.name} --key ${m.keys[0]} --from-file FILE\``
      : `\`mygate secrets set ${m.secret} --env ${env.name} --from-file FILE\` (KEY=VALUE lines for ${m.keys.join(', ')})`,
  )
  return new UsageError(
    `environment ${env.name} (tier ${env.tier}) is missing ${missing.length} external secret${missing.length === 1 ? '' : 's'}, so no service was applied: ${list}`,
    {
      hint: `set ${missing.length === 1 ? 'it' : 'each'} with ${commands.join(', ')}; then re-run \`mygate env create ${env.name}\``,
      details: {missingSecrets: missing},
    },
  )
}
