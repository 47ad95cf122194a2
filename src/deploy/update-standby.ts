import {loadCatalog} from '../catalog/load-catalog.js'
import {readRecord} from '../env/record.js'
import {appObjectsFor} from '../failover/region-scale.js'
import {applyObjects} from '../kube/apply.js'
import type {KubeApi} from '../kube/api.js'

/**
 * A standby never runs stale code (issue 11): after a rollout succeeds in the active region, each
 * other region's copy of the service is brought to the same version at its standby scale, with
 * no analysis (it serves no traffic). The objects come from the same plan `env create` and a
 * failover use (sized by the record's active region), so a warm standby gets its one replica of
 * the new version and a pilot-light region, which runs no apps, gets nothing.
 * Call after the version is in the environment record (recordDeployedVersion).
 */
export async function updateStandbyRegions(standby: ReadonlyMap<string, KubeApi>, service: string): Promise<string[]> {
  const updated: string[] = []
  let catalog: Awaited<ReturnType<typeof loadCatalog>> | undefined
  for (const [region, client] of standby) {
    const record = await readRecord(client)
    if (!record || region === record.activeRegion) continue
    catalog ??= await loadCatalog()
    const {objects} = await appObjectsFor({record, catalog, region, activeRegion: record.activeRegion})
    const mine = objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/name'] === service)
    if (mine.length === 0) continue
    await applyObjects(client, mine)
    updated.push(region)
  }
  return updated
}
