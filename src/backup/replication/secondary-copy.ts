import type {EnvironmentRecord} from '../../env/record.js'
import {mygateHome} from '../../home.js'
import {openBackupStore} from '../operations/backup-site.js'
import type {ObjectStore} from '../storage/object-store.js'
import {type ReplicationResult, replicateCatalog} from './replicate-catalog.js'

/**
 * After anything lands in the active region's bucket: copy the service's catalog to the other
 * region's bucket (a one-region environment has none). Returns undefined without a second region.
 */
export async function copyToOtherRegion(record: EnvironmentRecord, source: ObjectStore, service: string, home = mygateHome()): Promise<ReplicationResult | undefined> {
  const regions = [record.spec.regions.primary, record.spec.regions.secondary].filter((r): r is string => Boolean(r))
  const other = regions.find((r) => r !== source.region)
  if (!other) return undefined
  return replicateCatalog(source, await openBackupStore({record}, other, home), {service})
}
