import type {Catalog} from '../../catalog/types.js'
import type {OplogSliceEntry} from '../catalog/entry.js'
import {NAMESPACES, type EnvironmentSpec} from '../../config/types.js'
import {replicaSetConnection} from '../../db/connection.js'
import {runDatabaseOperation} from '../../db/run-operation.js'
import type {WritesSince} from '../../db/operations.js'
import {NotFoundError, OperationFailedError} from '../../errors.js'
import type {ContentHashes} from '../../formats/content-hash/content-hash.js'
import {imageReference} from '../../render/labels.js'
import type {BackupEntry} from '../catalog/entry.js'
import type {KubeApi} from '../../kube/api.js'
import {databaseNameOf} from '../operations/backup-targets.js'
import type {BackupSite} from '../operations/create-backup.js'
import {checkRoomForSet} from './quota-preflight.js'
import {removeRestoredSet, restoreIntoSet} from './restore-into-set.js'
import {membersIn} from '../../db/topology.js'
import {credentialsSecretName, restoredSetSpansRegions, restoredSetTopology} from './restored-set.js'

/**
 * What the restore needs of the set it restores into, behind one interface: provisioning a new
 * replica set beside the live one, restoring a backup into it and measuring it, its members and
 * credentials for the switch, its documents for --undo's count, and its removal. Every method is
 * idempotent: a re-run after a kill finds what the killed run created and continues.
 */
export interface RestoredSetDriver {
  /** Provisions `set` (if missing), restores the backup into it (if not yet), measures it. */
  restoreInto(input: {entry: BackupEntry; set: string; oplogLimit?: string; slices?: OplogSliceEntry[]; onProgress?: (message: string) => void}): Promise<RestoredSetMeasure>
  /** The set's members (`host:port`), port and credentials Secret (in mygate-data). */
  connection(set: string): Promise<{hosts: string[]; port: number; credentialsSecret: string}>
  /** Documents per collection (`db.collection`) in the set now, through a database Job. */
  countDocuments(set: string): Promise<Record<string, number>>
  /** The set's newest oplog entry (SECONDS:ORDINAL): recorded at the switch, what --undo counts from. */
  lastOptime?(set: string): Promise<string | undefined>
  /** Inserts, updates and deletes the set's oplog recorded after `after` (--undo's count). */
  writesSince?(set: string, after: string): Promise<WritesSince>
  /** Deletes everything restoreInto created for `set`; false when nothing was there. */
  remove(set: string): Promise<boolean>
}

export interface RestoredSetMeasure {
  /** Per collection (`db.collection`): what prove compares with the backup's. */
  collections: ContentHashes
  restoreMs: number
  /** The last oplog operation the restore applied, SECONDS:ORDINAL. */
  lastAppliedOp?: string
}

/**
 * The driver over restore-into-set (the same provisioning `backup verify` uses), in mygate-data,
 * with the database's own descriptor and the environment's tier: laid out like the live set across
 * the regions when `clients` names them and the environment allows it (restoredSetSpansRegions),
 * else in the active region (the site's) alone.
 */
export function restoreIntoSetDriver(input: {
  site: BackupSite
  catalog: Catalog
  env: EnvironmentSpec
  database: string
  timeoutMs?: number
  clients?: ReadonlyMap<string, KubeApi>
  /**
   * A restore from another environment: the Secret (in mygate-data, root-username/root-password)
   * of THIS environment's credentials. The restore Job ends by making that user exist in the
   * restored set with that password (restore-into-set.ts: appUser), and the switch keeps the
   * service's connection string on those credentials instead of the set's own root.
   */
  appUserSecret?: string
}): RestoredSetDriver {
  const namespace = NAMESPACES.data
  const descriptor = input.catalog.byName(input.database)
  if (!descriptor || descriptor.kind !== 'mongodb') throw new NotFoundError(`${input.database} is not a database in this catalog`)
  const dbName = databaseNameOf(input.database)
  const across = input.clients !== undefined && restoredSetSpansRegions(input.env)
  const regions: ReadonlyMap<string, KubeApi> = across ? (input.clients as ReadonlyMap<string, KubeApi>) : new Map([[input.site.region, input.site.client]])
  const topologyOf = (set: string) => restoredSetTopology({database: descriptor, set, namespace, acrossRegions: across, activeRegion: input.site.region}, input.env)
  const hostsOf = (set: string) => topologyOf(set).members.map((m) => m.host)
  // From the primary (the oplog's head): the set's status, its collections and, asked, its writes since an optime.
  const status = async (set: string, writesSince?: string) =>
    (
      await runDatabaseOperation(input.site.client, {
        database: set,
        op: 'status',
        params: {database: dbName, ...(writesSince ? {writesSince} : {})},
        connection: replicaSetConnection(set, hostsOf(set), {readPreference: 'primaryPreferred'}),
        image: imageReference(descriptor, input.env),
        namespace,
      })
    ).result
  return {
    async restoreInto({entry, set, oplogLimit, slices, onProgress}) {
      // A re-run finds its StatefulSet (and its claims) already there: only a new set needs room,
      // in every region it has members in (each region's quota counts its own claims and pods).
      for (const [region, client] of regions) {
        if (!(await client.get('apps/v1', 'StatefulSet', set, namespace))) await checkRoomForSet(client, membersIn(topologyOf(set), region).length, namespace, across ? region : undefined, descriptor.tiers[input.env.tier].storage)
      }
      const restored = await restoreIntoSet({
        site: input.site,
        catalog: input.catalog,
        env: input.env,
        entry,
        namespace,
        targetSet: set,
        purpose: 'restore',
        ...(input.appUserSecret ? {appUserSecret: input.appUserSecret} : {}),
        ...(across ? {acrossRegions: {clients: regions}} : {}),
        ...(oplogLimit ? {oplogLimit} : {}),
        ...(slices?.length ? {slices} : {}),
        ...(input.timeoutMs ? {timeoutMs: input.timeoutMs} : {}),
        ...(onProgress ? {onPhase: (phase: string, detail: string) => onProgress(`[${phase}] ${detail}`)} : {}),
      })
      const collections: ContentHashes = {}
      for (const c of restored.collections) collections[`${dbName}.${c.name}`] = {documents: c.count, sha256Sum: c.hash}
      return {collections, restoreMs: restored.restoreMs, ...(restored.lastAppliedOp ? {lastAppliedOp: restored.lastAppliedOp} : {})}
    },
    async connection(set) {
      return {hosts: hostsOf(set), port: descriptor.port, credentialsSecret: input.appUserSecret ?? credentialsSecretName(set)}
    },
    async countDocuments(set) {
      const result = await status(set)
      return Object.fromEntries((result.collections ?? []).map((c) => [`${dbName}.${c.name}`, c.count]))
    },
    async lastOptime(set) {
      return (await status(set)).oplog?.last ?? undefined
    },
    async writesSince(set, after) {
      const found = (await status(set, after)).writesSince
      if (!found) throw new OperationFailedError(`the status Job of ${set} did not report its writes since ${after}`, {hint: 'the mygate-db-ops ConfigMap may hold an older status.js: `mygate env sync` updates it'})
      return found
    },
    async remove(set) {
      let removed = 0
      for (const client of regions.values()) removed += (await removeRestoredSet({client, namespace, targetSet: set})).length
      return removed > 0
    },
  }
}
