import type {EnvironmentSpec, ProviderName} from '../../config/types.js'
import {NotFoundError, UsageError} from '../../errors.js'
import {mygateHome} from '../../home.js'
import type {ObjectStore} from '../storage/object-store.js'
import {awsBackupKeyAlias, backupBucketName, gcpBackupKeyName} from './site-names.js'

/**
 * The one factory from an environment to the bucket of one of its regions: provider -> store
 * (local, S3, GCS), region -> that region's bucket and key, found by their derived names (so it
 * works for an environment that no longer exists: its buckets outlive it). The local store is
 * created on first use; a cloud bucket must exist (`env create` makes it), and opening one
 * changes nothing. SDKs load only for the provider asked for.
 */
export interface BackupSiteOwner {
  /** The environment whose bucket it is. */
  name: string
  provider: ProviderName
  /** For gcp: the project (spec.gcp.project, else GOOGLE_CLOUD_PROJECT). */
  spec?: Pick<EnvironmentSpec, 'gcp' | 'name'>
}

export interface OpenStoreOptions {
  home?: string
  /** Process environment (GOOGLE_CLOUD_PROJECT, STORAGE_EMULATOR_HOST). Default process.env. */
  processEnv?: NodeJS.ProcessEnv
  /**
   * Open the local bucket only if it exists (NotFoundError otherwise) instead of creating it: a
   * reader of another environment's backups must not conjure an empty site for a wrong name.
   * Cloud buckets are never created here either way.
   */
  mustExist?: boolean
}

export async function openSiteStore(owner: BackupSiteOwner, region: string, options: OpenStoreOptions = {}): Promise<ObjectStore> {
  const bucket = backupBucketName(owner.name, region)
  const missing = (error: unknown) =>
    error instanceof NotFoundError
      ? new NotFoundError(`environment ${owner.name} has no backup site in ${region}: ${error.message}`, {
          hint: `\`mygate env create ${owner.name}\` makes it (its backups are in the environment's regions only)`,
          cause: error,
        })
      : error
  switch (owner.provider) {
    case 'local': {
      const {LocalObjectStore} = await import('../storage/local-store.js')
      const mygateHomeDir = options.home ?? mygateHome()
      if (options.mustExist) {
        return LocalObjectStore.open({mygateHome: mygateHomeDir, bucket}).catch((error: unknown) => {
          throw missing(error)
        })
      }
      return LocalObjectStore.ensure({mygateHome: mygateHomeDir, bucket, region})
    }
    case 'aws': {
      const {S3ObjectStore} = await import('../storage/s3-store.js')
      return S3ObjectStore.open({region, bucket, kmsKeyAlias: awsBackupKeyAlias(owner.name, region)}).catch((error: unknown) => {
        throw missing(error)
      })
    }
    case 'gcp': {
      const {GcsObjectStore} = await import('../storage/gcs-store.js')
      const {resolveProject} = await import('../../providers/gcp/names.js')
      const processEnv = options.processEnv ?? process.env
      const project = resolveProject({name: owner.name, ...owner.spec} as EnvironmentSpec, processEnv)
      // STORAGE_EMULATOR_HOST: the variable Google's own storage clients honour for an emulator.
      const emulator = processEnv.STORAGE_EMULATOR_HOST
      return GcsObjectStore.open({project, region, bucket, kmsKeyName: gcpBackupKeyName(project, owner.name, region).key, ...(emulator ? {endpoint: emulator} : {})}).catch((error: unknown) => {
        throw missing(error)
      })
    }
    case 'kubeconfig':
      throw new UsageError(`environment ${owner.name} runs on provider kubeconfig, which has no object store for backups`, {
        hint: 'use a local, aws or gcp environment for backups',
      })
  }
}
