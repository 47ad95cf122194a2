import type {ProviderName} from '../../config/types.js'
import {UsageError} from '../../errors.js'
import type {GcpRestoreGrantInput} from '../../providers/gcp/restore-grant.js'
import type {ObjectStore} from '../storage/object-store.js'

/**
 * The cloud access a restore from another environment's backup needs, for its duration: the
 * restore Job runs with THIS environment's backup identity, which may use only this environment's
 * bucket and key, and must read OLD's bucket and decrypt with OLD's key. Providers:
 * - aws: an inline policy on NEW's backup role (src/providers/aws/restore-grant.ts), removed at the end;
 * - local: nothing to grant (the store is the machine's; the simulation has no cloud identities);
 * - gcp: NEW's backup service account as a member of roles/storage.objectViewer on OLD's bucket
 *   and roles/cloudkms.cryptoKeyDecrypter on OLD's key (src/providers/gcp/restore-grant.ts), taken
 *   out again at the end. Its calls go through Application Default Credentials, as the GCS store's
 *   do, and reach Cloud Storage where the store does (STORAGE_EMULATOR_HOST).
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
  /** Process environment (STORAGE_EMULATOR_HOST). Default process.env. */
  processEnv?: NodeJS.ProcessEnv
  /** gcp: the authorized request and endpoints (tests point them at fakes). Default: ADC, Google's endpoints. */
  gcp?: Pick<Partial<GcpRestoreGrantInput>, 'request' | 'endpoints'>
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
    case 'gcp': {
      const {grantGcpRestoreRead} = await import('../../providers/gcp/restore-grant.js')
      const key = (input.store as {encryptionKeyId?: string}).encryptionKeyId
      // OLD's key name carries the project both sites live in (OLD is opened in NEW's project).
      const project = key ? /^projects\/([^/]+)\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/.exec(key)?.[1] : undefined
      if (!key || !project) throw new UsageError(`the backup site ${input.store.location} of ${input.fromEnv} has no Cloud KMS key to grant`)
      const emulator = (input.processEnv ?? process.env).STORAGE_EMULATOR_HOST
      return grantGcpRestoreRead({
        project,
        environment: input.environment,
        fromEnv: input.fromEnv,
        bucket: input.store.bucket,
        key,
        request: input.gcp?.request ?? (await defaultGcpRequest()),
        endpoints: {...(emulator ? {storage: emulator} : {}), ...input.gcp?.endpoints},
      })
    }
  }
}

/** An authorized JSON call through Application Default Credentials (the GKE client's auth, as gcs-store.ts gets its token). */
async function defaultGcpRequest(): Promise<GcpRestoreGrantInput['request']> {
  const {ClusterManagerClient} = await import('@google-cloud/container')
  const {isMissingGoogleCredentials, noGoogleCredentialsError} = await import('../../providers/gcp/errors.js')
  const client = new ClusterManagerClient()
  let auth: Awaited<ReturnType<typeof client.auth.getClient>>
  try {
    auth = await client.auth.getClient()
  } catch (error) {
    throw isMissingGoogleCredentials(error) ? noGoogleCredentialsError(error) : error
  } finally {
    // Only its auth client is kept: it outlives the GKE client (no channel is used).
    await client.close().catch(() => undefined)
  }
  return async ({url, method, data}) => {
    const answer = await auth.request({url, method, data, responseType: 'json', validateStatus: () => true})
    return {status: answer.status, data: answer.data}
  }
}
