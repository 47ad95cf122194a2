import type {ProviderName} from '../../config/types.js'
import {UsageError} from '../../errors.js'
import type {ObjectStore} from '../storage/object-store.js'

/**
 * The cloud access a restore from another environment's backup needs, for its duration: the
 * restore Job runs with THIS environment's backup identity, which may use only this environment's
 * bucket and key, and must read OLD's bucket and decrypt with OLD's key. Providers:
 * - aws: an inline policy on NEW's backup role (src/providers/aws/restore-grant.ts), removed at the end;
 * - local: nothing to grant (the store is the machine's; the simulation has no cloud identities);
 * - gcp: not built yet (a bucket IAM binding and a key binding for NEW's service account): refused
 *   with one line rather than failing inside the Job with a 403.
 * SDKs load only for the provider asked for.
 */

export interface RestoreGrant {
  description: string
  revoke(): Promise<void>
}

export interface GrantInput {
  provider: ProviderName
  /** NEW, and the region its Jobs run in (its backup identity is per region). */
  environment: string
  region: string
  fromEnv: string
  /** OLD's store (its bucket, and on clouds its key: encryptionKeyId). */
  store: ObjectStore
}

export async function grantReadOfOtherSite(input: GrantInput): Promise<RestoreGrant | undefined> {
  switch (input.provider) {
    case 'local':
    case 'kubeconfig':
      return undefined
    case 'aws': {
      const {grantAwsRestoreRead} = await import('../../providers/aws/restore-grant.js')
      const keyArn = (input.store as {encryptionKeyId?: string}).encryptionKeyId
      if (!keyArn) throw new UsageError(`the backup site ${input.store.location} of ${input.fromEnv} has no KMS key to grant`)
      return grantAwsRestoreRead({environment: input.environment, region: input.region, fromEnv: input.fromEnv, bucket: input.store.bucket, keyArn})
    }
    case 'gcp':
      throw new UsageError(`--from-env is not available on gcp yet: ${input.environment}'s backup service account cannot be granted ${input.fromEnv}'s bucket and key`, {
        hint: 'restore on the local or aws provider, or grant roles/storage.objectViewer on the bucket and roles/cloudkms.cryptoKeyDecrypter on its key by hand',
      })
  }
}
