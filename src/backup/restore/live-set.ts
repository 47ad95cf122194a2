import type {Catalog} from '../../catalog/types.js'
import {NAMESPACES, type EnvironmentSpec} from '../../config/types.js'
import {replicaSetTopology} from '../../db/topology.js'
import {NotFoundError} from '../../errors.js'
import type {KubeApi} from '../../kube/api.js'
import type {RestoreRun} from './restore-run.js'
import {readRestoreRun} from './restore-store.js'
import {restoredSetTopology} from './restored-set.js'

/**
 * Which replica set a service reads now. A finished restore that switched it points its
 * connection Secret at the restored set (and --undo points it back): the run record says which.
 * Pure on the stored run; `liveSetOf` reads it from the active region.
 */
export function setServiceReads(stored: RestoreRun | undefined, database: string): string {
  if (stored && stored.request.switch && stored.outcome === 'succeeded') return stored.restoredSet
  return database
}

export async function liveSetOf(client: KubeApi, service: string, database: string): Promise<string> {
  return setServiceReads(await readRestoreRun(client, service), database)
}

/**
 * The members (`host:port`) of a set: the database's own (its topology across regions), or a
 * restored set of it (`<database>-r....`, in mygate-data of the active region).
 */
export function setHosts(catalog: Catalog, env: EnvironmentSpec, database: string, set: string): string[] {
  const descriptor = catalog.byName(database)
  if (!descriptor || descriptor.kind !== 'mongodb') throw new NotFoundError(`no database descriptor for ${database}`)
  if (set === database) return replicaSetTopology(descriptor, env).members.map((m) => m.host)
  return restoredSetTopology({database: descriptor, set, namespace: NAMESPACES.data}, env).members.map((m) => m.host)
}
