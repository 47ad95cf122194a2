import type {EnvironmentSpec, ProviderName} from '../../config/types.js'
import {isMygateError, NotFoundError, UsageError} from '../../errors.js'
import {mygateHome} from '../../home.js'
import type {BackupSite} from '../operations/create-backup.js'
import {openSiteStore} from '../site/open-store.js'
import {backupBucketName} from '../site/site-names.js'
import type {ObjectStore} from '../storage/object-store.js'

/**
 * `--from-env OLD`: another environment's backup site as the source of a restore (or a listing)
 * in this one. Backups outlive their environment (`env destroy` keeps the buckets and keys unless
 * --delete-backups), so OLD is found by its NAME alone: its buckets are `mygate-OLD-REGION-backups`
 * (site-names.ts), derived, never read from OLD's record, which is usually gone (restore after
 * destroy is the main use). OLD is looked for in this environment's regions, the active one first:
 * its archives must be readable by the Jobs that run here, and a provider's buckets are reached
 * from the same provider only, so OLD is taken to be on this environment's provider.
 *
 * Nothing of OLD is ever written: the restore's run state, its new base backup and its timeline
 * break go to this environment's own site.
 */

export interface OtherSiteOwner {
  /** This environment (NEW). */
  environment: string
  provider: ProviderName
  spec: Pick<EnvironmentSpec, 'gcp' | 'name' | 'regions'>
  /** NEW's active region: looked at first. */
  activeRegion: string
}

/** OLD == NEW is refused: a same-environment restore is `backup restore` without --from-env. */
export function refuseSameEnvironment(fromEnv: string, env: string): void {
  if (fromEnv.trim() === '') throw new UsageError('--from-env needs the name of the environment whose backups to read', {hint: 'e.g. --from-env demo-old'})
  if (fromEnv === env) {
    throw new UsageError(`--from-env ${fromEnv} names the environment restored into (${env})`, {hint: `restore ${env}'s own backups without --from-env: \`mygate backup restore --env ${env} --service S\``})
  }
}

/** Where OLD's bucket is looked for: NEW's active region, then its other region (pure). */
export function candidateRegions(owner: {activeRegion: string; spec: Pick<EnvironmentSpec, 'regions'>}): string[] {
  const all = [owner.activeRegion, owner.spec.regions.primary, owner.spec.regions.secondary].filter((r): r is string => Boolean(r))
  return [...new Set(all)]
}

/** What was looked for, in the provider's URL form (for the refusal's message). */
export function siteUrl(provider: ProviderName, bucket: string): string {
  return `${provider === 'aws' ? 's3' : provider === 'gcp' ? 'gs' : 'local'}://${bucket}`
}

export interface OtherSiteStore {
  store: ObjectStore
  region: string
}

/**
 * OLD's bucket in the first of NEW's regions that has one. Refused with one line naming every
 * bucket looked for when none exists; other failures (storage unreachable, access denied) speak.
 */
export async function openOtherSiteStore(owner: OtherSiteOwner, fromEnv: string, options: {home?: string; processEnv?: NodeJS.ProcessEnv} = {}): Promise<OtherSiteStore> {
  refuseSameEnvironment(fromEnv, owner.environment)
  const regions = candidateRegions(owner)
  const looked: string[] = []
  for (const region of regions) {
    looked.push(siteUrl(owner.provider, backupBucketName(fromEnv, region)))
    try {
      const store = await openSiteStore({name: fromEnv, provider: owner.provider, spec: {...owner.spec, name: fromEnv}}, region, {home: options.home ?? mygateHome(), mustExist: true, ...(options.processEnv ? {processEnv: options.processEnv} : {})})
      return {store, region}
    } catch (error) {
      if (!(isMygateError(error) && error instanceof NotFoundError)) throw error
    }
  }
  throw new NotFoundError(`environment ${fromEnv} has no backup site readable from ${owner.environment}: looked for ${looked.join(' and ')}`, {
    hint: `check the name (its buckets are mygate-${fromEnv}-REGION-backups, kept by \`env destroy\` unless --delete-backups), and that it ran in ${regions.join(' or ')}`,
  })
}

/**
 * A BackupSite whose bucket is OLD's and whose cluster is NEW's active one: the restore Job runs
 * here (NEW's `mygate-backup` service account, bound to NEW's cloud identity) and downloads from
 * OLD's bucket, decrypting with OLD's key (cloud grants: src/providers/{aws,gcp}/backup-site.ts).
 */
export function otherSiteFor(own: BackupSite, other: OtherSiteStore, provider: ProviderName): BackupSite {
  const {store} = other
  const storeProvider = provider === 'local' ? 'local' : provider === 'aws' ? 'aws' : 'gcp'
  return {
    client: own.client,
    region: other.region,
    store,
    locate: (key) => ({provider: storeProvider, bucket: store.bucket, key, ...(storeProvider === 'local' ? {} : {encryptionKey: (store as {encryptionKeyId?: string}).encryptionKeyId})}),
    ...(own.serviceAccountAnnotations ? {serviceAccountAnnotations: own.serviceAccountAnnotations} : {}),
  }
}

/** The refusal when OLD's site holds no backup of the service. */
export function noBackupThere(fromEnv: string, service: string, store: ObjectStore): NotFoundError {
  return new NotFoundError(`environment ${fromEnv} has no backup of ${service} in ${store.location}`, {hint: `list what it holds with \`mygate backup list --env ENV --from-env ${fromEnv}\``})
}
