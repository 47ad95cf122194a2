import type {Catalog} from '../../catalog/types.js'
import {replicaSetTopology} from '../../db/topology.js'
import type {EnvironmentRecord} from '../../env/record.js'
import {NotFoundError, UsageError} from '../../errors.js'
import type {KubeApi} from '../../kube/api.js'
import type {KubeObject} from '../../kube/types.js'
import {mygateHome} from '../../home.js'
import {DATA_NAMESPACE} from '../jobs/job-values.js'
import type {StoreProvider} from '../jobs/transfer.js'
import {backupBucketName, openBackupStore} from '../operations/backup-site.js'
import {resolveBackupTargets} from '../operations/backup-targets.js'
import {ensureServiceAccount, ensureToolsSecret} from '../operations/create-backup.js'
import {liveSetOf, setHosts} from '../restore/live-set.js'
import {renderVerifyScriptsConfigMap} from '../verify/verify-job.js'
import {OVERRIDE_ANNOTATION, renderBackupCronJobs, SCHEDULE_LABEL} from './backup-cronjobs.js'
import {type DatabaseSchedule, planSchedules, type ScheduleOverride} from './schedule-plan.js'

/**
 * Puts the backup CronJobs where they belong: in the environment's ACTIVE region (beside the
 * primaries, writing to that region's bucket) and nowhere else. `env create` calls it once the
 * databases are formed; after a failover (the record's active region changed) calling it again
 * moves them: created in the new active region, deleted from the old one. Overrides made with
 * `backup schedule --set` live on the CronJobs themselves (an annotation) and move with them.
 */
export interface ReconcileSchedulesOptions {
  catalog: Catalog
  /** New overrides by database (from `backup schedule --set/--time-zone`), merged over the recorded ones. */
  overrides?: ReadonlyMap<string, ScheduleOverride>
  home?: string
}

export interface ReconcileSchedulesResult {
  region: string
  schedules: DatabaseSchedule[]
  /** CronJobs applied in the active region. */
  applied: string[]
  /** CronJobs deleted from other regions. */
  removed: Array<{region: string; name: string}>
}

export async function reconcileBackupSchedules(env: {clients: ReadonlyMap<string, KubeApi>}, record: EnvironmentRecord, options: ReconcileSchedulesOptions): Promise<ReconcileSchedulesResult> {
  const region = record.activeRegion
  const client = env.clients.get(region)
  if (!client) throw new UsageError(`environment ${record.name} has no cluster for its active region ${region}`)
  const recorded = await recordedOverrides(env.clients, region)
  for (const [database, override] of options.overrides ?? []) recorded.set(database, {...recorded.get(database), ...override})
  // Opening it proves the bucket is there (the local one is made on first use; clouds' by the provider).
  await openBackupStore({record}, region, options.home ?? mygateHome())
  // After a restore's switch a service reads its restored set: the schedule dumps that one.
  const liveSets = new Map<string, string>()
  for (const target of resolveBackupTargets(options.catalog)) liveSets.set(target.database, await liveSetOf(client, target.service, target.database))
  const {schedules, cronJobs} = desiredBackupCronJobs(record, options.catalog, recorded, liveSets)

  await ensureServiceAccount(client, DATA_NAMESPACE, record.clusters.find((c) => c.region === region)?.backup?.serviceAccountAnnotations)
  for (const s of schedules) {
    const descriptor = options.catalog.byName(s.database)
    if (!descriptor) throw new NotFoundError(`no descriptor for ${s.database}`)
    const set = liveSets.get(s.database) ?? s.database
    if (set === s.database) await ensureToolsSecret(client, s.database, replicaSetTopology(descriptor, record.spec).members.map((m) => m.host))
    else await ensureToolsSecret(client, set, setHosts(options.catalog, record.spec, s.database, set), set)
  }
  // The scripts the verification Jobs run, byte for byte as shipped (before the CronJobs that mount them).
  await client.apply(renderVerifyScriptsConfigMap())
  const applied: string[] = []
  for (const cronJob of cronJobs) {
    await client.apply(cronJob)
    applied.push(String(cronJob.metadata.name))
  }
  const removed: ReconcileSchedulesResult['removed'] = []
  for (const [other, otherClient] of env.clients) {
    if (other === region) continue
    for (const cronJob of await scheduleCronJobs(otherClient)) {
      const name = String(cronJob.metadata.name)
      if (await otherClient.delete({apiVersion: 'batch/v1', kind: 'CronJob', name, namespace: DATA_NAMESPACE})) removed.push({region: other, name})
    }
  }
  return {region, schedules, applied, removed}
}

/**
 * A restore's switch (or its --undo) changed the set a database's service reads: its CronJobs in
 * the active region, where they exist (`env create` makes them where the backup store is wired),
 * are rendered again for `set`, keeping the override recorded on them; the set's tools Secret is
 * the caller's (the new base backup taken at the break writes it). Returns what it did.
 */
export async function pointSchedulesAt(client: KubeApi, record: EnvironmentRecord, catalog: Catalog, input: {database: string; set: string}): Promise<string> {
  const present = (await scheduleCronJobs(client)).filter((c) => (c.metadata.labels as Record<string, string> | undefined)?.['mygate.dev/database'] === input.database)
  if (present.length === 0) return `no backup schedule of ${input.database} to follow it`
  const overrides = overridesOnCronJobs(new Map([[record.activeRegion, present]]), record.activeRegion)
  const names = new Set(present.map((c) => String(c.metadata.name)))
  const {cronJobs} = desiredBackupCronJobs(record, catalog, overrides, new Map([[input.database, input.set]]))
  const applied: string[] = []
  for (const cronJob of cronJobs.filter((c) => names.has(String(c.metadata.name)))) {
    await client.apply(cronJob)
    applied.push(String(cronJob.metadata.name))
  }
  return `${applied.join(', ')} read ${input.set}`
}

/** The backup CronJobs in one cluster. */
export async function scheduleCronJobs(client: KubeApi): Promise<KubeObject[]> {
  return (await client.list('batch/v1', 'CronJob', {namespace: DATA_NAMESPACE, labelSelector: SCHEDULE_LABEL})).items
}

/** Overrides recorded on the base CronJobs of every region (the active one wins when both have one). */
async function recordedOverrides(clients: ReadonlyMap<string, KubeApi>, active: string): Promise<Map<string, ScheduleOverride>> {
  const byRegion = new Map<string, KubeObject[]>()
  for (const [region, client] of clients) byRegion.set(region, await scheduleCronJobs(client))
  return overridesOnCronJobs(byRegion, active)
}

/** Overrides recorded on the CronJobs of every region, read from listed objects (the active region wins). */
export function overridesOnCronJobs(cronJobsByRegion: ReadonlyMap<string, readonly KubeObject[]>, active: string): Map<string, ScheduleOverride> {
  const overrides = new Map<string, ScheduleOverride>()
  const ordered = [...cronJobsByRegion].sort(([a], [b]) => Number(a === active) - Number(b === active)).map(([, items]) => items)
  for (const items of ordered) {
    for (const cronJob of items) {
      const text = (cronJob.metadata.annotations as Record<string, string> | undefined)?.[OVERRIDE_ANNOTATION]
      const database = (cronJob.metadata.labels as Record<string, string> | undefined)?.['mygate.dev/database']
      if (!text || !database || (cronJob.metadata.labels as Record<string, string> | undefined)?.[SCHEDULE_LABEL] === undefined) continue
      try {
        // The base CronJob records the base schedule's override, the verify CronJob the verification's.
        overrides.set(database, {...overrides.get(database), ...(JSON.parse(text) as ScheduleOverride)})
      } catch {
        // An annotation edited by hand into something unreadable: the descriptor's schedule applies again.
      }
    }
  }
  return overrides
}

/**
 * The backup CronJobs the environment should have in its active region (pure): the descriptors'
 * schedules with the recorded overrides, writing to that region's bucket. `reconcileBackupSchedules`
 * applies them; `env diff` compares them (src/drift/contributors/backup-schedules.ts).
 */
export function desiredBackupCronJobs(record: EnvironmentRecord, catalog: Catalog, overrides: ReadonlyMap<string, ScheduleOverride>, liveSets: ReadonlyMap<string, string> = new Map()): {schedules: DatabaseSchedule[]; cronJobs: KubeObject[]} {
  const region = record.activeRegion
  const schedules = planSchedules(resolveBackupTargets(catalog), overrides)
  const provider: StoreProvider = record.provider === 'local' ? 'local' : record.provider === 'aws' ? 'aws' : 'gcp'
  const bucket = backupBucketName(record.name, region)
  // `aws s3 cp --sse aws:kms` without a key id would use the account's aws/s3 key, not the bucket's.
  const encryptionKey = record.clusters.find((c) => c.region === region)?.backup?.encryptionKey
  return {schedules, cronJobs: renderBackupCronJobs({schedules, region, setOf: (database) => liveSets.get(database) ?? database, locate: (key) => ({provider, bucket, key, ...(encryptionKey ? {encryptionKey} : {})})})}
}
