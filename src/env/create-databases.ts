import type {Catalog} from '../catalog/types.js'
import type {EnvironmentSpec} from '../config/types.js'
import {type DatabaseFormation, formDatabases} from '../db/form-replica-sets.js'
import type {KubeApi} from '../kube/api.js'
import type {KubeObject} from '../kube/types.js'
import type {EnvironmentPlan} from './plan.js'

/**
 * env create's Databases phase: apply every region's MongoDB objects (StatefulSet, Services, per-member
 * Services), then form the replica sets (src/db/form-replica-sets.ts). The Services phase that
 * follows applies them again (unchanged) and waits for them to be Ready with everything else.
 */
export async function createDatabases(input: {
  clients: ReadonlyMap<string, KubeApi>
  catalog: Catalog
  env: EnvironmentSpec
  plan: EnvironmentPlan
  onProgress: (line: string) => void
  apply: (client: KubeApi, objects: KubeObject[]) => Promise<void>
  /** The region serving now (the environment record's): the sets keep their PRIMARY there. */
  activeRegion?: string
}): Promise<DatabaseFormation[]> {
  const isDatabase = (service: string) => input.catalog.byName(service)?.kind === 'mongodb'
  const databases = new Set<string>()
  for (const region of input.plan.regions) {
    const objects = region.waves.flat().filter((entry) => isDatabase(entry.service))
    for (const entry of objects) databases.add(entry.service)
    await input.apply(input.clients.get(region.region)!, objects.flatMap((entry) => entry.objects))
  }
  if (databases.size === 0) return []
  return formDatabases({clients: input.clients, catalog: input.catalog, env: input.env, databases: [...databases], onProgress: input.onProgress, activeRegion: input.activeRegion})
}

export function databasesSummary(formed: DatabaseFormation[]): string {
  if (formed.length === 0) return 'no databases'
  const changed = formed.filter((d) => d.changed).length
  return `${formed.length} replica set${formed.length === 1 ? '' : 's'} with a PRIMARY${changed > 0 ? `, ${changed} formed or reconfigured` : ', all already in shape'}`
}
