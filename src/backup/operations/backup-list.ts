import type {Catalog as ServiceCatalog} from '../../catalog/types.js'
import {connectEnvironment} from '../../env/connect.js'
import {NotFoundError, UsageError} from '../../errors.js'
import {listCatalog} from '../catalog/catalog-store.js'
import type {BackupEntry} from '../catalog/entry.js'
import {openBackupStore} from './backup-site.js'
import {resolveBackupTargets} from './backup-targets.js'

/**
 * `mygate backup list|describe`: read from the region's bucket only (the catalog's source of
 * truth), never from the laptop: a second machine lists the same backups.
 */
export interface BackupListOptions {
  env: string
  services?: string[]
  /** Default: the environment's active region. */
  region?: string
  catalog: ServiceCatalog
  home?: string
}

export interface BackupListResult {
  environment: string
  region: string
  store: string
  backups: Array<{id: string; service: string; database: string; consistentAt: string; oplogLast: string; bytes: number; documents: number; verified: 'passed' | 'failed' | 'never'}>
}

export async function backupList(options: BackupListOptions): Promise<BackupListResult> {
  const services = options.services?.length ? resolveBackupTargets(options.catalog, options.services).map((t) => t.service) : undefined
  const {store, environment, region} = await storeOf(options)
  const entries: BackupEntry[] = []
  if (services) for (const service of services) entries.push(...(await listCatalog(store, {service})).backups)
  else entries.push(...(await listCatalog(store)).backups)
  entries.sort((a, b) => a.consistentAt.localeCompare(b.consistentAt) || a.id.localeCompare(b.id))
  return {
    environment,
    region,
    store: store.location,
    backups: entries.map((e) => ({
      id: e.id,
      service: e.service,
      database: e.database,
      consistentAt: e.consistentAt,
      oplogLast: e.oplog.last,
      bytes: e.archive.size,
      documents: Object.values(e.collections).reduce((sum, c) => sum + c.documents, 0),
      verified: e.verifications.at(-1)?.verdict ?? 'never',
    })),
  }
}

export interface BackupDescribeResult {
  environment: string
  region: string
  store: string
  backup: BackupEntry
}

export async function backupDescribe(options: Omit<BackupListOptions, 'services'> & {id: string}): Promise<BackupDescribeResult> {
  const {store, environment, region} = await storeOf(options)
  const entry = (await listCatalog(store)).backups.find((e) => e.id === options.id)
  if (!entry) {
    throw new NotFoundError(`backup ${options.id} does not exist in ${store.location}`, {hint: `list them with \`mygate backup list --env ${environment}\``})
  }
  return {environment, region, store: store.location, backup: entry}
}

async function storeOf(options: {env: string; region?: string; home?: string}) {
  const connection = await connectEnvironment(options.env, {home: options.home})
  try {
    const regions = [connection.record.spec.regions.primary, connection.record.spec.regions.secondary].filter((r): r is string => Boolean(r))
    const region = options.region ?? connection.record.activeRegion
    if (!regions.includes(region)) throw new UsageError(`environment ${connection.record.name} has no region "${region}"`, {hint: `use --region ${regions.join(' or --region ')}`})
    return {store: await openBackupStore(connection, region, options.home), environment: connection.record.name, region}
  } finally {
    connection.close()
  }
}
