import type {Catalog as ServiceCatalog} from '../../catalog/types.js'
import type {EnvironmentSpec} from '../../config/types.js'
import {cachedKubeconfigPath} from '../../env/connect.js'
import {environmentFromKubeconfig} from '../../env/kubeconfig-extension.js'
import {mygateHome} from '../../home.js'
import {openSiteStore} from '../site/open-store.js'
import {NotFoundError, UsageError} from '../../errors.js'
import {listCatalog} from '../catalog/catalog-store.js'
import type {BackupEntry, OplogSliceEntry} from '../catalog/entry.js'
import {formatOplogTimestamp} from '../catalog/oplog-timestamp.js'
import {formatWindow, restorableWindow} from '../catalog/restore-window.js'
import {sortBreaks, type TimelineBreak} from '../catalog/timeline-break.js'
import {openBackupStore, connectBackupEnvironment} from './backup-site.js'
import {resolveBackupTargets} from './backup-targets.js'
import {openOtherSiteStore, type OtherSiteOwner, refuseSameEnvironment} from '../restore/cross-env-source.js'

/**
 * `mygate backup list|describe`: read from the region's bucket only (the catalog's source of
 * truth), never from the laptop: a second machine lists the same backups.
 */
export interface BackupListOptions {
  env: string
  services?: string[]
  /** Default: the environment's active region. */
  region?: string
  /**
   * `--from-env OLD`: list OLD's backup site as this environment reads it (OLD may be destroyed:
   * its buckets are found by name in this environment's regions; cross-env-source.ts).
   */
  fromEnv?: string
  catalog: ServiceCatalog
  home?: string
}

export interface BackupListResult {
  environment: string
  /** `--from-env`: the environment whose backups these are (`environment` reads them). */
  fromEnvironment?: string
  region: string
  store: string
  backups: Array<{id: string; service: string; database: string; consistentAt: string; oplogLast: string; bytes: number; documents: number; verified: 'passed' | 'failed' | 'never'}>
  /** Oplog slices this region's bucket holds; `gap` when the oplog no longer reached back to the previous one. */
  slices: Array<{id: string; service: string; after: string; last: string; lastAt: string; entries: number; bytes: number; gap?: {requestedAfter: string; firstAvailable: string}}>
  /** Per service: the restorable window (segments; a gap between two cannot be restored). */
  windows: Array<{service: string; segments: Array<{from: string; to: string; fromAt: string; toAt: string; epoch: number}>; text: string}>
  /**
   * Timeline breaks (a restore's switch, a forced failover): older backups and slices no longer
   * lead to the live data past one, and a segment's `epoch` says after how many it lies.
   */
  breaks: Array<{service: string; at: string; reason: TimelineBreak['reason']; runId: string; detail: string}>
}

export async function backupList(options: BackupListOptions): Promise<BackupListResult> {
  const services = options.services?.length ? resolveBackupTargets(options.catalog, options.services).map((t) => t.service) : undefined
  const {store, environment, region} = options.fromEnv === undefined ? await storeOf(options) : await otherStoreOf({...options, fromEnv: options.fromEnv})
  const entries: BackupEntry[] = []
  const slices: OplogSliceEntry[] = []
  const breaks: TimelineBreak[] = []
  for (const catalog of services ? await Promise.all(services.map((service) => listCatalog(store, {service}))) : [await listCatalog(store)]) {
    entries.push(...catalog.backups)
    slices.push(...catalog.slices)
    breaks.push(...catalog.breaks)
  }
  entries.sort((a, b) => a.consistentAt.localeCompare(b.consistentAt) || a.id.localeCompare(b.id))
  const windows = [...new Set([...entries.map((e) => e.service), ...breaks.map((b) => b.service)])].sort().map((service) => {
    const own = breaks.filter((b) => b.service === service)
    const segments = restorableWindow(
      entries.filter((e) => e.service === service),
      slices.filter((s) => s.service === service),
      own,
    )
    return {
      service,
      segments: segments.map((w) => ({from: formatOplogTimestamp(w.from), to: formatOplogTimestamp(w.to), fromAt: w.fromAt, toAt: w.toAt, epoch: w.epoch})),
      text: formatWindow(segments, own),
    }
  })
  return {
    environment,
    ...(options.fromEnv === undefined ? {} : {fromEnvironment: options.fromEnv}),
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
    slices: slices.map((s) => ({id: s.id, service: s.service, after: s.range.after, last: s.range.last, lastAt: s.lastAt, entries: s.entries, bytes: s.object.size, ...(s.gap ? {gap: s.gap} : {})})),
    windows,
    breaks: sortBreaks(breaks).map((b) => ({service: b.service, at: b.at, reason: b.reason, runId: b.runId, detail: b.detail})),
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

/**
 * The bucket to read. The catalog lives in object storage, so the cluster is asked only for the
 * active region: with --region, or for an infra-only environment (no record, nothing ever ran, its
 * active region is its primary), the spec this machine caches in the kubeconfig is enough.
 */
async function storeOf(options: {env: string; region?: string; home?: string}) {
  const home = options.home ?? mygateHome()
  const cached = await environmentFromKubeconfig(cachedKubeconfigPath(options.env, home))
  if (cached && (options.region !== undefined || cached.infraOnly)) {
    const region = regionOf(cached.spec, options.region ?? cached.spec.regions.primary)
    return {store: await openSiteStore({name: cached.spec.name, provider: cached.spec.provider, spec: cached.spec}, region, {home}), environment: cached.spec.name, region}
  }
  const connection = await connectBackupEnvironment(options.env, {home: options.home})
  try {
    const region = regionOf(connection.record.spec, options.region ?? connection.record.activeRegion)
    return {store: await openBackupStore(connection, region, options.home), environment: connection.record.name, region}
  } finally {
    connection.close()
  }
}

/** OLD's bucket as NEW reads it: NEW's spec (cached, else its record) names the regions looked in. */
async function otherStoreOf(options: {env: string; fromEnv: string; region?: string; home?: string}) {
  refuseSameEnvironment(options.fromEnv, options.env)
  const home = options.home ?? mygateHome()
  const cached = await environmentFromKubeconfig(cachedKubeconfigPath(options.env, home))
  let owner: OtherSiteOwner
  if (cached) {
    owner = {environment: cached.spec.name, provider: cached.spec.provider, spec: cached.spec, activeRegion: cached.spec.regions.primary}
  } else {
    const connection = await connectBackupEnvironment(options.env, {home: options.home})
    connection.close()
    const {record} = connection
    owner = {environment: record.name, provider: record.provider, spec: record.spec, activeRegion: record.activeRegion}
  }
  if (options.region !== undefined) owner = {...owner, activeRegion: regionOf(owner.spec as EnvironmentSpec, options.region), spec: {...owner.spec, regions: {primary: options.region}}}
  const {store, region} = await openOtherSiteStore(owner, options.fromEnv, {home})
  return {store, environment: owner.environment, region}
}

function regionOf(spec: EnvironmentSpec, region: string): string {
  const regions = [spec.regions.primary, spec.regions.secondary].filter((r): r is string => Boolean(r))
  if (!regions.includes(region)) throw new UsageError(`environment ${spec.name} has no region "${region}"`, {hint: `use --region ${regions.join(' or --region ')}`})
  return region
}
