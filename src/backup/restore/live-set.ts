import type {Catalog} from '../../catalog/types.js'
import {NAMESPACES, type EnvironmentSpec} from '../../config/types.js'
import {replicaSetTopology} from '../../db/topology.js'
import {NotFoundError} from '../../errors.js'
import type {KubeApi} from '../../kube/api.js'
import type {RestoreRun} from './restore-run.js'
import {readRestoreRun} from './restore-store.js'
import {restoredSetSpansRegions, restoredSetTopology} from './restored-set.js'

/**
 * Which replica set a service reads now, from its stored restore run (pure; `liveSetOf` reads the
 * run from the active region). Every backup Job of the service's data follows it: `backup
 * create`, its oplog slices and the schedule's CronJobs.
 *
 * - no run, or a `--no-switch` one: the set it read before (the database's own, or an earlier
 *   restore's set the run recorded as previous);
 * - a run whose `switch` step is done (finished or not: the connection Secret names the restored
 *   set from then on): the restored set;
 * - an undone run: the previous set again (--undo switched back; an earlier restore's set, not
 *   necessarily the database's own).
 *
 * Examples (visitors-db, previous visitors-db-rab12, restored visitors-db-rcd34): switch done ->
 * visitors-db-rcd34; undone -> visitors-db-rab12; killed during restore-beside -> visitors-db-rab12.
 */
export function setServiceReads(stored: RestoreRun | undefined, database: string): string {
  if (!stored) return database
  const previous = stored.previousSet || database
  if (!stored.request.switch || stored.outcome === 'undone') return previous
  const switched = stored.outcome === 'succeeded' || stored.steps.some((s) => s.kind === 'switch' && s.status === 'done')
  return switched ? stored.restoredSet : previous
}

export async function liveSetOf(client: KubeApi, service: string, database: string): Promise<string> {
  return setServiceReads(await readRestoreRun(client, service), database)
}

/**
 * The members (`host:port`) of a set: the database's own (its topology across regions), or a
 * restored set of it (`<database>-r....` in mygate-data: across the regions like the live set
 * where restoredSetSpansRegions says so, else in the active region).
 */
export function setHosts(catalog: Catalog, env: EnvironmentSpec, database: string, set: string): string[] {
  const descriptor = catalog.byName(database)
  if (!descriptor || descriptor.kind !== 'mongodb') throw new NotFoundError(`no database descriptor for ${database}`)
  if (set === database) return replicaSetTopology(descriptor, env).members.map((m) => m.host)
  return restoredSetTopology({database: descriptor, set, namespace: NAMESPACES.data, acrossRegions: restoredSetSpansRegions(env)}, env).members.map((m) => m.host)
}
