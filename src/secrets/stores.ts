import {UsageError} from '../errors.js'
import type {SecretStore, SecretStoreKind} from './secret-store.js'

/**
 * The one place that picks a cloud secret store for a reference. The cloud SDKs load only here,
 * only when a reference is used. A reference works from any environment (a dev environment on
 * the laptop may copy a sandbox key from the team's store); what the environment contributes is
 * the default region (aws) or project (gcp) for a bare name.
 */

export interface StoreContext {
  provider: string
  primaryRegion: string
  gcpProject?: string
  processEnv?: NodeJS.ProcessEnv
}

export async function secretStoreFor(kind: SecretStoreKind, id: string, context: StoreContext): Promise<SecretStore> {
  const env = context.processEnv ?? process.env
  if (kind === 'aws-secrets-manager') {
    const {createSecretsManagerStore} = await import('../providers/aws/secrets-manager.js')
    const defaultRegion = context.provider === 'aws' ? context.primaryRegion : (env.AWS_REGION ?? env.AWS_DEFAULT_REGION)
    if (!defaultRegion && !id.startsWith('arn:')) {
      throw new UsageError(`--from-aws-secret ${id} is a name, and this ${context.provider} environment has no AWS region`, {
        hint: 'give the secret\'s ARN, or set AWS_REGION',
      })
    }
    return createSecretsManagerStore({defaultRegion: defaultRegion ?? 'us-east-1'})
  }
  const {createSecretManagerStore} = await import('../providers/gcp/secret-manager.js')
  return createSecretManagerStore({project: context.gcpProject ?? env.GOOGLE_CLOUD_PROJECT})
}
