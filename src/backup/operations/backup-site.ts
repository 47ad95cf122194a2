import {ExternalError, UsageError} from '../../errors.js'
import {connectEnvironment, type EnvironmentConnection} from '../../env/connect.js'
import {newestRecordOfReachable} from '../../env/newest-record.js'
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

export interface ConnectBackupOptions {
  home?: string
  /** Time-out of each region's reachability probe (default 3 s, as the failover session's). */
  probeTimeoutMs?: number
}

/**
 * The environment as the backup commands see it, also after a forced failover whose lost region
 * is still down or not yet fenced: that region keeps its stale record (active region = itself),
 * so the record is read from every region that answers and the newest wins (as
 * src/failover/session.ts does), and a region that does not answer is skipped. The backups then
 * run in that record's active region; when it does not answer, one line names it and the way to
 * read the other region's copy of the catalog (`backup list --region`).
 */
export async function connectBackupEnvironment(envName: string, options: ConnectBackupOptions = {}): Promise<EnvironmentConnection> {
  const connection = await connectEnvironment(envName, {...(options.home ? {home: options.home} : {}), tolerateUnreachable: true})
  try {
    const {record, reachable} = await newestRecordOfReachable(connection, options.probeTimeoutMs)
    const active = record.activeRegion
    const primary = connection.clients.get(active)
    if (!primary || !reachable.has(active)) {
      const others = [...connection.clients.keys()].filter((region) => region !== active)
      throw new ExternalError(`the active region ${active} of environment ${record.name} does not answer: backups run in the active region`, {
        hint: others.length > 0
          ? `bring ${active} back or fail over (\`mygate failover --env ${record.name} --forced\`); \`mygate backup list --env ${record.name} --region ${others[0]}\` reads ${others[0]}'s copy of the backups`
          : `bring ${active} back; \`mygate backup list --env ${record.name} --region ${active}\` reads its bucket without the cluster`,
      })
    }
    return {...connection, record, primary}
  } catch (error) {
    connection.close()
    throw error
  }
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
