import {UsageError} from '../../errors.js'
import type {EnvironmentConnection} from '../../env/connect.js'
import type {KubeClient} from '../../kube/client.js'
import {mygateHome} from '../../home.js'
import type {ObjectStore} from '../storage/object-store.js'
import type {BackupSite} from './create-backup.js'
import {openSiteStore} from '../site/open-store.js'

export {backupBucketName} from '../site/site-names.js'

/** The region's bucket (src/backup/site/open-store.ts: local, S3 or GCS by the environment's provider). */
export async function openBackupStore(connection: Pick<EnvironmentConnection, 'record'>, region: string, home = mygateHome()): Promise<ObjectStore> {
  const {record} = connection
  return openSiteStore({name: record.name, provider: record.provider, spec: record.spec}, region, {home})
}

/** The active region's cluster and bucket: backups run beside the primary databases. */
export async function activeBackupSite(connection: EnvironmentConnection, home = mygateHome()): Promise<BackupSite> {
  const region = connection.record.activeRegion
  const client = connection.clients.get(region) as KubeClient | undefined
  if (!client) throw new UsageError(`environment ${connection.record.name} has no cluster for its active region ${region}`)
  const store = await openBackupStore(connection, region, home)
  const provider = connection.record.provider === 'local' ? 'local' : connection.record.provider === 'aws' ? 'aws' : 'gcp'
  const handle = connection.record.clusters.find((c) => c.region === region)?.backup
  return {
    client,
    region,
    store,
    // The Job names the key explicitly on clouds (the store's own key: KMS key ARN, Cloud KMS key name).
    locate: (key) => ({provider, bucket: store.bucket, key, ...(provider === 'local' ? {} : {encryptionKey: (store as {encryptionKeyId?: string}).encryptionKeyId})}),
    serviceAccountAnnotations: handle?.serviceAccountAnnotations,
  }
}
