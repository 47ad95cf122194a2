import {NotFoundError} from '../../errors.js'
import type {SecretStore, SecretStoreEntry} from '../../secrets/secret-store.js'
import {type AwsClientConfig, DEFAULT_MAX_ATTEMPTS} from './clients.js'
import {awsFailure, isAwsError, isMissingCredentials, noCredentialsError} from './errors.js'
import {silenceNodeVersionWarning} from './sdk-warning.js'

/**
 * AWS Secrets Manager as a source of external secrets: GetSecretValue of the current version
 * (AWSCURRENT). A secret's ARN carries its region (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-xxxxxx);
 * a bare name is looked up in `defaultRegion` (the environment's primary region). The SDK is
 * loaded only when a reference is used, and retries throttling with its standard strategy.
 */

export interface SecretsManagerStoreOptions {
  defaultRegion: string
  clientConfig?: AwsClientConfig
}

const ARN = /^arn:aws[-a-z]*:secretsmanager:([a-z0-9-]+):\d{12}:secret:.+$/

export function regionOfSecretId(id: string, defaultRegion: string): string {
  return ARN.exec(id)?.[1] ?? defaultRegion
}

export function createSecretsManagerStore(options: SecretsManagerStoreOptions): SecretStore {
  return {
    kind: 'aws-secrets-manager',
    async read(id: string): Promise<SecretStoreEntry> {
      silenceNodeVersionWarning()
      const {SecretsManagerClient, GetSecretValueCommand} = await import('@aws-sdk/client-secrets-manager')
      const region = regionOfSecretId(id, options.defaultRegion)
      const client = new SecretsManagerClient({maxAttempts: DEFAULT_MAX_ATTEMPTS, ...options.clientConfig, region})
      try {
        const output = await client.send(new GetSecretValueCommand({SecretId: id}))
        const value = output.SecretString !== undefined ? Buffer.from(output.SecretString, 'utf8') : Buffer.from(output.SecretBinary ?? new Uint8Array())
        return {reference: output.ARN ?? id, value}
      } catch (error) {
        if (isMissingCredentials(error)) throw noCredentialsError(error)
        if (isAwsError(error, 'ResourceNotFoundException')) {
          throw new NotFoundError(`AWS Secrets Manager has no secret "${id}" in ${region}`, {
            hint: 'check the name or ARN (`aws secretsmanager list-secrets`); a name is looked up in the environment\'s primary region, an ARN in its own',
          })
        }
        // The SDK's messages name the secret and the failure (AccessDenied, DecryptionFailure), never its value.
        throw awsFailure(`GetSecretValue of ${id}`, error)
      } finally {
        client.destroy()
      }
    },
  }
}
