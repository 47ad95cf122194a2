import type {Catalog} from '../catalog/types.js'
import type {EnvironmentSpec} from '../config/types.js'
import type {EnvironmentRecord} from '../env/record.js'
import type {KubeObject} from '../kube/types.js'
import type {LiveObjects} from './live-objects.js'

/**
 * The desired state of an environment: everything mygate manages, as it should be now, per region.
 * It is built by a list of contributors, one per area, so an area that lands later (feature
 * flags, database member Services and Jobs, failover scale, backup schedules and kept restore
 * sets) adds its own contributor without touching the comparison:
 *
 *   manifests  (contributors/manifests.ts)  the rendered services at the recorded versions and the
 *              baseline, each region sized by the record's active region (full there, the
 *              disaster-recovery scale elsewhere)
 *   secrets    (contributors/secrets.ts)    the Secrets the services read: presence, keys and the
 *              value mygate wrote (compared, then shown only as a hash)
 *   backups    (contributors/backup-schedules.ts)  the backup CronJobs in the active region, with
 *              the overrides `backup schedule --set` recorded on them
 *
 * A contributor reads live objects only through `live` (batched lists shared with the diff).
 */

export interface DesiredObject {
  region: string
  object: KubeObject
  /** The service it belongs to; undefined for environment-wide objects (namespaces, quotas, Secrets). */
  service?: string
  /** The contributor's area, for reports. */
  area: string
}

export interface DesiredStateContext {
  record: EnvironmentRecord
  /** The recorded spec with the recorded versions applied: what mygate would render now. */
  env: EnvironmentSpec
  catalog: Catalog
  /** Regions being compared (the environment's, or the one given with --region). */
  regions: string[]
  /** Every region of the environment, primary first (values must match across all of them). */
  allRegions: string[]
  live: ReadonlyMap<string, LiveObjects>
}

export interface DesiredStateContributor {
  area: string
  contribute(context: DesiredStateContext): Promise<DesiredObject[]>
}

export async function buildDesiredState(context: DesiredStateContext, contributors: readonly DesiredStateContributor[]): Promise<DesiredObject[]> {
  const parts = await Promise.all(contributors.map((contributor) => contributor.contribute(context)))
  return parts.flat().filter((d) => context.regions.includes(d.region))
}

/** The spec mygate renders from: the record's, with the versions deployed since (`mygate deploy`). */
export function renderedSpec(record: EnvironmentRecord): EnvironmentSpec {
  return {...record.spec, versions: {...record.spec.versions, ...record.versions}}
}
