import {deserialize, type Timestamp} from 'bson'

import type {OplogSliceEntry} from '../catalog/entry.js'
import {lastSliceOperationBefore} from '../pitr/point-in-time-expectation.js'
import type {Catalog} from '../../catalog/types.js'
import type {EnvironmentSpec} from '../../config/types.js'
import {replicaSetConnection} from '../../db/connection.js'
import {formNewReplicaSet} from '../../db/form-replica-sets.js'
import {membersIn} from '../../db/topology.js'
import {ensureOpsConfigMap, OPS_CONFIGMAP} from '../../db/ops-configmap.js'
import {scriptFor} from '../../db/operations.js'
import {readOpsScript} from '../../db/ops-templates.js'
import {runDatabaseOperation} from '../../db/run-operation.js'
import {NotFoundError, UsageError} from '../../errors.js'
import {decodeArchive} from '../../formats/mongo-archive/decode.js'
import type {KubeApi} from '../../kube/api.js'
import type {KubeObject} from '../../kube/types.js'
import {imageReference, objectsForRegion} from '../../render/labels.js'
import {randomValue} from '../../secrets/generators.js'
import {parseOplogTimestamp} from '../catalog/oplog-timestamp.js'
import type {BackupEntry} from '../catalog/entry.js'
import {DATA_NAMESPACE, renderRestoreJob} from '../jobs/job-values.js'
import {runBackupJob} from '../jobs/run-backup-job.js'
import {databaseNameOf} from '../operations/backup-targets.js'
import type {BackupSite} from '../operations/create-backup.js'
import {ensureServiceAccount, jobBackupId, streamOf, toolsSecret, toolsSecretName} from '../operations/create-backup.js'
import {credentialsSecretName, LABEL_RESTORED_SET, renderRestoredSet, restoredSetCredentials, restoredSetLabels, restoredSetTopology} from './restored-set.js'
import {spanRegions} from './span-regions.js'

/**
 * Restores a backup into a NEW replica set beside the live one, never over it:
 *
 * 1. provision: the set from the live database's templates (restored-set.ts) in `namespace`, its
 *    own generated credentials Secret and mongo-tools config Secret, the backup Jobs' service
 *    account and (outside mygate-data) the ops ConfigMap;
 * 2. elect: initiate it and wait for a PRIMARY (src/db/form-replica-sets.ts, formNewReplicaSet);
 * 3. restore: the restore Job (templates/backup/restore-job.yaml: download, then mongorestore
 *    --oplogReplay [--oplogLimit]);
 * 4. measure: the hashes Job (templates/mongodb/ops/hashes.js) counts and hashes every collection
 *    the way the catalog entry's were computed, so the caller compares like with like;
 * 5. span (with `acrossRegions`): the other region's members added, their initial sync awaited
 *    (span-regions.ts). Until then the set is the active region's members only: the restore
 *    writes there, and the other region copies the result.
 *
 * Idempotent: every name is derived from the backup id and the target set, and each step reads
 * before it acts (an existing Secret keeps its values, an initiated set is not re-initiated, an
 * existing restore Job is waited for, not re-created), so a re-run after a kill continues where
 * the earlier run stopped. A restore Job that FAILED is not retried over a half-restored set:
 * remove the set (removeRestoredSet) and run again.
 *
 * ```ts
 * const restored = await restoreIntoSet({site, catalog, env: record.spec, entry,
 *   namespace: 'mygate-verify-a1b2c3', targetSet: 'visitors-db-verify', purpose: 'verify'})
 * restored.collections // [{name: 'visits', count: 1200, hash: '…64 hex…'}]
 * await removeRestoredSet({client: site.client, namespace, targetSet})
 * ```
 */

export interface RestoreIntoSetOptions {
  /** The region's cluster and bucket (src/backup/operations/backup-site.ts: activeBackupSite). */
  site: BackupSite
  /** The service catalog: the entry's database descriptor gives templates, image, port, tier. */
  catalog: Catalog
  /** The environment's spec (tier, regions, name) as its record holds it. */
  env: EnvironmentSpec
  entry: BackupEntry
  /** Must exist (mygate-data, or a scratch namespace the caller created). */
  namespace: string
  /** The new set's name; a DNS label of at most 50 characters (pods are NAME-i). */
  targetSet: string
  /** mongorestore --oplogLimit SECONDS:ORDINAL: replay the archive's oplog up to, not including, this entry. */
  oplogLimit?: string
  /**
   * Oplog slices replayed after the archive's own oplog, oldest first, each up to `oplogLimit`
   * (a point-in-time plan's slices: restore-window.ts); `lastAppliedOp` then says which operation
   * of them was applied last.
   */
  slices?: OplogSliceEntry[]
  purpose: 'verify' | 'restore'
  /**
   * A restore from another environment's backup: this Secret (in `namespace`: root-username,
   * root-password) holds THIS environment's database credentials; the restore Job ends by making
   * that user the restored set's application user with that password, and drops the users the
   * archive brought (templates/mongodb/ops/app-user.js).
   */
  appUserSecret?: string
  /** Members of the new set (default: the tier's replica count). One region unless acrossRegions. */
  replicas?: number
  /**
   * Lay the set out like the live one across the environment's regions (restoredSetSpansRegions;
   * mygate-data only): every region's client, by region. The site's region is the active one.
   */
  acrossRegions?: {clients: ReadonlyMap<string, KubeApi>}
  /** The whole restore's deadline (default 10 minutes). */
  timeoutMs?: number
  onPhase?: (phase: RestorePhase, detail: string) => void
}

export type RestorePhase = 'provision' | 'elect' | 'restore' | 'measure' | 'span'

export interface RestoredCollection {
  /** Collection name (without the database). */
  name: string
  count: number
  /** Summed SHA-256 of the documents' BSON (src/formats/content-hash/). */
  hash: string
}

export interface RestoredSet {
  targetSet: string
  namespace: string
  /** From the start of provisioning to the restored data being measured (RTO evidence). */
  restoreMs: number
  collections: RestoredCollection[]
  /** The last oplog entry the restore applied, `SECONDS:ORDINAL` (undefined: the archive has no oplog before the limit). */
  lastAppliedOp?: string
  /** The set's members, `host:port`, and its PRIMARY. */
  members: string[]
  primary: string
  /** The Secrets a switch would point a service at (credentials and mongo-tools config). */
  credentialsSecret: string
  toolsSecret: string
  /** The restore Job's name (kept for `kubectl logs`; removed with the set). */
  job: string
}

const DEFAULT_TIMEOUT_MS = 600_000
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

export async function restoreIntoSet(options: RestoreIntoSetOptions): Promise<RestoredSet> {
  const started = Date.now()
  const deadline = started + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS)
  const left = () => Math.max(1000, deadline - Date.now())
  const phase = options.onPhase ?? (() => {})
  const {site, entry, namespace, targetSet} = options
  const client = site.client
  const database = options.catalog.byName(entry.database)
  if (!database || database.kind !== 'mongodb') throw new NotFoundError(`backup ${entry.id} is of ${entry.database}, which is not a database in this catalog`)
  if (!DNS_LABEL.test(targetSet) || targetSet.length > 50) throw new UsageError(`"${targetSet}" cannot name a replica set: use at most 50 lower-case letters, digits and dashes`)
  if (targetSet === entry.database) throw new UsageError(`refusing to restore into ${targetSet}: it is the live set; mygate restores into a new set only`)
  if (options.oplogLimit !== undefined) parseOplogTimestamp(options.oplogLimit, '--oplogLimit')

  const across = options.acrossRegions !== undefined && options.env.regions.secondary !== undefined
  const spec = {database, set: targetSet, namespace, backupId: entry.id, activeRegion: site.region, acrossRegions: across, ...(options.replicas ? {replicas: options.replicas} : {})}
  const topology = restoredSetTopology(spec, options.env)
  const hosts = topology.members.map((m) => m.host)
  // Elected, restored and measured in the active region alone; the other region joins at `span`.
  const elected = {...topology, members: membersIn(topology, site.region)}
  const electedHosts = elected.members.map((m) => m.host)
  const image = imageReference(database, options.env)
  const regions: Array<[string, KubeApi]> = across ? [...(options.acrossRegions?.clients ?? [])].sort(([a], [b]) => Number(b === site.region) - Number(a === site.region)) : [[site.region, client]]

  const where = across ? `${namespace} of ${regions.map(([r]) => r).join(' and ')}` : namespace
  phase('provision', `${targetSet} in ${where}: ${hosts.length} member${hosts.length === 1 ? '' : 's'} from templates/mongodb/`)
  await ensureServiceAccount(client, namespace)
  // mygate-data's ConfigMap belongs to `env create` (the baseline); a scratch namespace needs its own.
  if (namespace !== DATA_NAMESPACE) await ensureOpsConfigMap(client, {namespace, labels: {'app.kubernetes.io/managed-by': 'mygate'}})
  else await ensureOpsScripts(client, options.appUserSecret ? ['hashes', 'app-user'] : ['hashes'])
  const credentials = await ensureCredentials(client, {set: targetSet, namespace, backupId: entry.id})
  // Every region's members read the same key file and root user (the key authenticates members to each other).
  for (const [region, other] of regions) if (region !== site.region) await other.apply(restoredSetCredentials({set: targetSet, namespace, backupId: entry.id}, credentials))
  await client.apply(withLabels(toolsSecret(targetSet, credentials.username, credentials.password, electedHosts, targetSet, namespace), restoredSetLabels(targetSet, entry.id)))
  const objects = await renderRestoredSet(spec, options.env, options.catalog)
  for (const [region, regionClient] of regions) for (const object of across ? objectsForRegion(objects, region) : objects) await regionClient.apply(object)

  phase('elect', `${targetSet}: initiating${across ? ` with ${site.region}'s members` : ''} and waiting for a PRIMARY`)
  const status = await formNewReplicaSet({client, database: targetSet, topology: elected, image, namespace, timeoutMs: left()})

  const job = withLabels(
    renderRestoreJob({
      backupId: jobBackupId(entry.id),
      database: entry.database,
      image,
      location: site.locate(entry.archive.key),
      sizeLimit: archiveSizeLimit(entry.archive.size),
      targetSet,
      targetToolsSecret: toolsSecretName(targetSet),
      purpose: options.purpose,
      namespace,
      ...(options.oplogLimit ? {oplogLimit: options.oplogLimit} : {}),
      ...(options.slices?.length ? {slices: options.slices.map((slice) => ({location: site.locate(slice.object.key)}))} : {}),
      ...(options.appUserSecret
        ? {appUser: {secret: options.appUserSecret, setCredentialsSecret: credentialsSecretName(targetSet), connection: replicaSetConnection(targetSet, hosts), opsConfigMap: OPS_CONFIGMAP}}
        : {}),
    }),
    restoredSetLabels(targetSet, entry.id),
  )
  const replayed = options.slices?.length ? ` and ${options.slices.length} oplog slice(s)` : ''
  phase('restore', `${targetSet}: mongorestore of ${entry.id}${replayed}${options.oplogLimit ? ` up to ${options.oplogLimit} (excluded)` : ''} (Job ${String(job.metadata.name)})`)
  const outcome = await runBackupJob(client, job, {timeoutMs: left()})

  phase('measure', `${targetSet}: counting and hashing every collection`)
  const dbName = databaseNameOf(entry.database)
  const hashes = await runDatabaseOperation(client, {database: targetSet, op: 'hashes', params: {database: dbName}, connection: replicaSetConnection(targetSet, electedHosts), image, namespace, timeoutMs: left()})
  const lastAppliedOp =
    options.slices?.length && options.oplogLimit
      ? await lastSliceOperationBefore(site.store, options.slices, options.oplogLimit, entry.oplog.last)
      : options.oplogLimit ? await lastOplogEntryBefore(site, entry, options.oplogLimit) : entry.oplog.last
  if (across) {
    phase('span', `${targetSet}: adding ${regions.filter(([r]) => r !== site.region).map(([r]) => r).join(', ')}'s members (initial sync)`)
    await spanRegions({client, topology, image, namespace, deadline, ...(options.onPhase ? {onProgress: (line: string) => phase('span', line)} : {})})
  }
  return {
    targetSet,
    namespace,
    restoreMs: Date.now() - started,
    collections: hashes.result.collections,
    ...(lastAppliedOp ? {lastAppliedOp} : {}),
    members: hosts,
    primary: String(status.primary),
    credentialsSecret: credentialsSecretName(targetSet),
    toolsSecret: toolsSecretName(targetSet),
    job: outcome.job,
  }
}

/** Kinds a restored set is made of, deleted in this order (the StatefulSet before what it uses). */
const RESTORED_KINDS: Array<[apiVersion: string, kind: string]> = [
  ['apps/v1', 'StatefulSet'],
  ['batch/v1', 'Job'],
  ['policy/v1', 'PodDisruptionBudget'],
  ['networking.k8s.io/v1', 'NetworkPolicy'],
  ['v1', 'Service'],
  ['v1', 'Secret'],
]

/**
 * Deletes everything restoreIntoSet created for `targetSet` (found by its label, so also what a
 * killed run left), and the members' data claims (`data-SET-i`: a StatefulSet leaves them
 * behind by design). Deleting what is already gone is fine. Resolves with what it deleted.
 */
export async function removeRestoredSet(options: {client: KubeApi; namespace: string; targetSet: string}): Promise<string[]> {
  const {client, namespace, targetSet} = options
  const removed: string[] = []
  for (const [apiVersion, kind] of RESTORED_KINDS) {
    const list = await client.list(apiVersion, kind, {namespace, labelSelector: `${LABEL_RESTORED_SET}=${targetSet}`})
    for (const object of list.items) {
      const name = String(object.metadata.name)
      if (await client.delete({apiVersion, kind, name, namespace}, {propagationPolicy: 'Background'})) removed.push(`${kind}/${name}`)
    }
  }
  const claims = await client.list('v1', 'PersistentVolumeClaim', {namespace})
  const claimOf = new RegExp(`^data-${targetSet}-\\d+$`)
  for (const claim of claims.items) {
    const name = String(claim.metadata.name)
    if (claimOf.test(name) && (await client.delete({apiVersion: 'v1', kind: 'PersistentVolumeClaim', name, namespace}))) removed.push(`PersistentVolumeClaim/${name}`)
  }
  return removed
}

/**
 * An environment created before hashes.js (or app-user.js) shipped has a mygate-db-ops ConfigMap
 * without it: the missing keys are added (a merge patch: the baseline's labels and other scripts
 * stay as `env create` applied them; its next run renders the same content).
 */
async function ensureOpsScripts(client: KubeApi, ops: Array<'hashes' | 'app-user'>): Promise<void> {
  const current = await client.get<KubeObject & {data?: Record<string, string>}>('v1', 'ConfigMap', OPS_CONFIGMAP, DATA_NAMESPACE)
  if (!current) throw new NotFoundError(`ConfigMap ${OPS_CONFIGMAP} is missing in ${DATA_NAMESPACE}`, {hint: '`mygate env create` creates it; re-run it for this environment'})
  const missing: Record<string, string> = {}
  for (const op of ops) {
    const script = op === 'hashes' ? scriptFor('hashes') : 'app-user.js'
    if (current.data?.[script] === undefined) missing[script] = await readOpsScript(script)
  }
  if (Object.keys(missing).length === 0) return
  await client.mergePatch({apiVersion: 'v1', kind: 'ConfigMap', name: OPS_CONFIGMAP, namespace: DATA_NAMESPACE}, {data: missing})
}

/** The set's credentials: the existing Secret's values (a re-run), or new ones, created once. */
async function ensureCredentials(client: KubeApi, spec: {set: string; namespace: string; backupId: string}): Promise<{username: string; password: string; keyFile: string}> {
  const existing = await client.get<KubeObject & {data?: Record<string, string>}>('v1', 'Secret', credentialsSecretName(spec.set), spec.namespace)
  const value = (key: string) => (existing?.data?.[key] ? Buffer.from(existing.data[key], 'base64').toString('utf8') : undefined)
  const username = value('root-username')
  const password = value('root-password')
  const keyFile = value('replica-set-key')
  if (username && password && keyFile) return {username, password, keyFile}
  const fresh = {username: randomValue('username'), password: randomValue('password'), keyFile: randomValue('mongodb-keyfile')}
  await client.apply(restoredSetCredentials(spec, fresh))
  return fresh
}

function withLabels(object: KubeObject, labels: Record<string, string>): KubeObject {
  return {...object, metadata: {...object.metadata, labels: {...object.metadata.labels, ...labels}}}
}

/** The emptyDir the archive is downloaded into: its size plus room, in Mi (at least 64Mi). */
export function archiveSizeLimit(bytes: number): string {
  return `${Math.max(64, Math.ceil((bytes * 1.25) / 1048576))}Mi`
}

/** The last oplog entry of the archive strictly before `limit` (what mongorestore applied last). */
async function lastOplogEntryBefore(site: BackupSite, entry: BackupEntry, limit: string): Promise<string | undefined> {
  const bound = parseOplogTimestamp(limit, '--oplogLimit')
  let last: string | undefined
  for await (const event of decodeArchive(streamOf(site.store, entry.archive.key), {gzip: true})) {
    if (event.kind !== 'documents' || !event.oplog) continue
    for (const bson of event.documents) {
      const ts = deserialize(bson).ts as Timestamp
      if (ts.t > bound.seconds || (ts.t === bound.seconds && ts.i >= bound.ordinal)) return last
      last = `${ts.t}:${ts.i}`
    }
  }
  return last
}
