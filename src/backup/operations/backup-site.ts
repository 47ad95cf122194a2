import {UsageError} from '../../errors.js'
import type {EnvironmentConnection} from '../../env/connect.js'
import type {KubeClient} from '../../kube/client.js'
import {mygateHome} from '../../home.js'
import {LocalObjectStore} from '../storage/local-store.js'
import type {ObjectStore} from '../storage/object-store.js'
import type {BackupSite} from './create-backup.js'

/**
 * Where an environment's backups of a region live: one bucket per region, named after both, so
 * a new machine (or a new environment restoring an old one's backup) finds it by name alone.
 */
export function backupBucketName(environment: string, region: string): string {
  return `mygate-${environment}-${region}-backups`.toLowerCase().slice(0, 63)
}

/** The region's bucket. The local provider's is created on first use; clouds' come from `env create`. */
export async function openBackupStore(connection: Pick<EnvironmentConnection, 'record'>, region: string, home = mygateHome()): Promise<ObjectStore> {
  const {record} = connection
  if (record.provider === 'local') return LocalObjectStore.ensure({mygateHome: home, bucket: backupBucketName(record.name, region), region})
  throw new UsageError(`backups of ${record.provider} environments are not wired to their object store yet (S3 / GCS stores exist in src/backup/storage)`, {
    hint: 'use a local environment for now; see the Backups section of the README',
  })
}

/** The active region's cluster and bucket: backups run beside the primary databases. */
export async function activeBackupSite(connection: EnvironmentConnection, home = mygateHome()): Promise<BackupSite> {
  const region = connection.record.activeRegion
  const client = connection.clients.get(region) as KubeClient | undefined
  if (!client) throw new UsageError(`environment ${connection.record.name} has no cluster for its active region ${region}`)
  const store = await openBackupStore(connection, region, home)
  return {client, region, store, locate: (key) => ({provider: connection.record.provider === 'local' ? 'local' : connection.record.provider === 'aws' ? 'aws' : 'gcp', bucket: store.bucket, key})}
}
