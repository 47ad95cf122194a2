import {deserialize, type Timestamp} from 'bson'
import {randomBytes} from 'node:crypto'


import {hashArchiveAtConsistentPoint} from '../../formats/content-hash/archive-hashes.js'
import {decodeArchive} from '../../formats/mongo-archive/decode.js'
import {OperationFailedError} from '../../errors.js'
import type {KubeApi} from '../../kube/api.js'
import type {KubeObject} from '../../kube/types.js'
import {mygateVersion} from '../../render/render-environment.js'
import {DATA_NAMESPACE, renderDumpJob} from '../jobs/job-values.js'
import {runBackupJob} from '../jobs/run-backup-job.js'
import {type ArchiveLocation, archiveUrl, BACKUP_SERVICE_ACCOUNT} from '../jobs/transfer.js'
import type {BackupTarget} from './backup-targets.js'
import {baseBackupKeys, type BackupEntry, CATALOG_SCHEMA_VERSION, newBackupId} from '../catalog/entry.js'
import type {ObjectStore} from '../storage/object-store.js'

/**
 * `mygate backup create`: for each database, a dump Job (mongodump from a secondary, the archive
 * uploaded by the Job itself), then the archive is read back from the store and hashed as of its
 * consistent point (its documents with its oplog applied: never a live count), and the record is
 * written beside it, last. The store is the only state: a backup whose record is missing was
 * interrupted and is not listed.
 */

export interface BackupSite {
  /** The active region's API (the dump runs beside the databases). */
  client: KubeApi
  region: string
  /** The region's bucket (backup-store's ObjectStore: local, S3, GCS). */
  store: ObjectStore
  /** Where the Job's transfer container puts an object key of this store. */
  locate(key: string): ArchiveLocation
  /** Annotations binding the `mygate-backup` ServiceAccount to the cloud identity (IRSA, Workload Identity). */
  serviceAccountAnnotations?: Record<string, string>
}

export interface CreateBackupOptions {
  environment: string
  site: BackupSite
  targets: BackupTarget[]
  /** Replica-set members (`host:port`) of a replica set, as its config names them. */
  hostsOf(set: string): string[]
  /**
   * The replica set a database's service reads now (default: the database's own). After a
   * restore's switch it is the restored set: a backup of the live data dumps that one, and the
   * entry still names the database (it restores like any of its backups).
   */
  setOf?(database: string): string
  image?: string
  sizeLimit?: string
  now?: () => Date
  jobTimeoutMs?: number
  onPhase?: (phase: string, detail: string) => void
}

export interface CreatedBackup {
  entry: BackupEntry
  job: string
  dumpSeconds: number
}

export async function createBackups(options: CreateBackupOptions): Promise<CreatedBackup[]> {
  const created: CreatedBackup[] = []
  await ensureServiceAccount(options.site.client, DATA_NAMESPACE, options.site.serviceAccountAnnotations)
  for (const target of options.targets) created.push(await createOne(options, target))
  return created
}

async function createOne(options: CreateBackupOptions, target: BackupTarget): Promise<CreatedBackup> {
  const {site} = options
  const phase = options.onPhase ?? (() => {})
  const started = (options.now ?? (() => new Date()))()
  const id = newBackupId(target.service, started, randomBytes(3).toString('hex'))
  const keys = baseBackupKeys(target.service, id)
  const key = keys.archive
  const set = options.setOf?.(target.database) ?? target.database
  await ensureToolsSecret(site.client, set, options.hostsOf(set), set)
  phase('dump', `${set === target.database ? target.database : `${target.database} (restored set ${set})`}: mongodump -> ${archiveUrl(site.locate(key))}`)
  const job = renderDumpJob({
    backupId: jobBackupId(id),
    database: target.database,
    image: options.image ?? 'mongo:7.0',
    toolsSecret: toolsSecretName(set),
    location: site.locate(key),
    sizeLimit: options.sizeLimit ?? '10Gi',
    ...(set === target.database ? {} : {targetSet: set}),
  })
  const outcome = await runBackupJob(site.client, job, {...(options.jobTimeoutMs ? {timeoutMs: options.jobTimeoutMs} : {})})
  const head = await site.store.head(key)
  if (!head) throw new OperationFailedError(`the dump Job ${outcome.job} finished but ${archiveUrl(site.locate(key))} is not in the store`, {hint: 'check the transfer container: `kubectl logs job/' + outcome.job + ' -c transfer -n mygate-data`'})
  phase('hash', `${target.database}: hashing the archive at its consistent point`)
  const entry = await describeBaseBackup(site.store, {id, target, region: site.region, key, startedAt: started, finishedAt: () => (options.now ?? (() => new Date()))()})
  phase('record', `${target.database}: ${keys.entry}`)
  // The Job uploaded the archive itself (workload identity): only the entry is written here, last.
  await site.store.put(keys.entry, Buffer.from(`${JSON.stringify(entry, null, 2)}\n`), {contentType: 'application/json'})
  return {entry, job: outcome.job, dumpSeconds: outcome.elapsedMs / 1000}
}

/**
 * A base backup's catalog entry, from its archive in the store alone: its oplog range (the
 * consistent point) and the collections' hashes as of that point.
 */
export async function describeBaseBackup(
  store: ObjectStore,
  input: {id: string; target: Pick<BackupTarget, 'service' | 'database'>; region: string; key: string; startedAt: Date; finishedAt: () => Date},
): Promise<BackupEntry> {
  const head = await store.head(input.key)
  if (!head) throw new OperationFailedError(`${store.location}/${input.key} is not in the store`)
  const open = () => streamOf(store, input.key)
  const oplog = await oplogRange(open)
  if (!oplog) throw new OperationFailedError(`the archive of ${input.target.database} holds no oplog: it was not taken with --oplog`, {hint: 'the dump Job template must pass --oplog'})
  const hashes = await hashArchiveAtConsistentPoint(open, {gzip: true})
  return {
    schemaVersion: CATALOG_SCHEMA_VERSION,
    kind: 'base',
    id: input.id,
    service: input.target.service,
    database: input.target.database,
    region: input.region,
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt().toISOString(),
    oplog: {first: oplog.first, last: oplog.last},
    consistentAt: new Date(Number(oplog.last.split(':')[0]) * 1000).toISOString(),
    archive: {key: input.key, size: head.size, sha256: head.sha256},
    collections: hashes.collections,
    mygateVersion: mygateVersion(),
    encryptionKeyId: head.encryptionKeyId ?? '',
    verifications: [],
  }
}

/** Kubernetes names are lower case: `20261203T070000Z-visitors-a1b2c3` -> `20261203t070000z-visitors-a1b2c3`. */
export function jobBackupId(id: string): string {
  return id.toLowerCase()
}

export function streamOf(store: ObjectStore, key: string): AsyncIterable<Uint8Array> {
  return (async function* () {
    yield* await store.get(key)
  })()
}

/** The first and last oplog timestamps the archive captured. */
async function oplogRange(open: () => AsyncIterable<Uint8Array>): Promise<{first: string; last: string; entries: number} | undefined> {
  let first: string | undefined
  let last: string | undefined
  let entries = 0
  for await (const event of decodeArchive(open(), {gzip: true})) {
    if (event.kind !== 'documents' || !event.oplog) continue
    for (const bson of event.documents) {
      const ts = deserialize(bson).ts as Timestamp
      const text = `${ts.t}:${ts.i}`
      first ??= text
      last = text
      entries++
    }
  }
  return first && last ? {first, last, entries} : undefined
}

export function toolsSecretName(database: string): string {
  return `${database}-backup-tools`
}

/** The account backup Jobs run as; on clouds the provider binds it to the bucket's identity. */
export async function ensureServiceAccount(client: KubeApi, namespace = DATA_NAMESPACE, annotations?: Record<string, string>): Promise<void> {
  await client.apply({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: {name: BACKUP_SERVICE_ACCOUNT, namespace, labels: {'app.kubernetes.io/managed-by': 'mygate'}, ...(annotations && Object.keys(annotations).length > 0 ? {annotations} : {})},
  })
}

/**
 * The mongo-tools config file for a database, built from its credentials Secret: the values go
 * from one Secret to another inside the cluster API and are never printed or logged.
 */
export async function ensureToolsSecret(client: KubeApi, database: string, hosts: readonly string[], setName = database): Promise<void> {
  const credentials = await client.get<KubeObject & {data?: Record<string, string>}>('v1', 'Secret', `${database}-credentials`, DATA_NAMESPACE)
  const value = (k: string) => (credentials?.data?.[k] ? Buffer.from(credentials.data[k], 'base64').toString('utf8') : undefined)
  const user = value('root-username')
  const password = value('root-password')
  if (!user || !password) {
    throw new OperationFailedError(`Secret ${database}-credentials in ${DATA_NAMESPACE} has no root-username/root-password`, {hint: '`mygate env create` creates it; `mygate secrets list --env NAME` shows what is missing'})
  }
  await client.apply(toolsSecret(database, user, password, hosts, setName))
}

/** Pure: the Secret holding `config.yaml` (uri with credentials) for mongodump/mongorestore --config. */
export function toolsSecret(database: string, user: string, password: string, hosts: readonly string[], setName = database, namespace = DATA_NAMESPACE): KubeObject {
  const uri = `mongodb://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${hosts.join(',')}/?replicaSet=${encodeURIComponent(setName)}&authSource=admin`
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {name: toolsSecretName(database), namespace, labels: {'app.kubernetes.io/managed-by': 'mygate', 'mygate.dev/database': database}},
    type: 'Opaque',
    stringData: {'config.yaml': `uri: ${JSON.stringify(uri)}\n`},
  }
}
