import {randomBytes} from 'node:crypto'

import type {Catalog as ServiceCatalog} from '../../catalog/types.js'
import {OperationFailedError} from '../../errors.js'
import {mygateHome} from '../../home.js'
import {listCatalog, recordVerification} from '../catalog/catalog-store.js'
import type {BackupEntry} from '../catalog/entry.js'
import {restoreIntoSet, type RestorePhase} from '../restore/restore-into-set.js'
import {deleteScratchNamespace, LABEL_PURPOSE, scratchNamespace, verifyNamespaceName} from '../restore/scratch-namespace.js'
import {type CollectionCheck, archiveChecksumProblem, compareRestore, restoredHashes} from '../verify/verdict.js'
import {checkVerifySelection, selectBackupsToVerify} from '../verify/select.js'
import {activeBackupSite, connectBackupEnvironment} from './backup-site.js'
import {catalogueScheduledRuns} from '../schedule/catalogue-scheduled.js'
import {databaseNameOf, resolveBackupTargets} from './backup-targets.js'
import type {BackupSite} from './create-backup.js'

/**
 * `mygate backup verify --env E (ID | --latest) [--service S ...]`: proves a backup by restoring
 * it. Per backup, in the active region (where backups run):
 *
 * 1. namespace: a scratch namespace `mygate-verify-<short id>` (Pod Security as mygate-data);
 * 2. provision, elect, restore, measure: restoreIntoSet (purpose verify, one member);
 * 3. compare: per-collection counts and content hashes against the catalog entry, and the
 *    archive's SHA-256 as stored now against the one recorded at upload;
 * 4. record: the verdict and the measured restore time as a verification record beside the entry
 *    (the bucket is the catalog's truth; `backup list|describe|status` read it from there);
 * 5. cleanup: the scratch namespace is deleted, also when a step failed.
 *
 * A restore Job that fails (a corrupted archive: mongorestore names the collection and the CRC)
 * is the backup's failure and is recorded as such; a failure of the cluster itself (API errors,
 * time-outs) says nothing about the backup and is not recorded. Failed verifications make the
 * command exit 7 through verificationFailure() (named collection and both checksums).
 */

export interface BackupVerifyOptions {
  env: string
  /** A backup id, or `latest` for the newest backup of each service (exactly one of the two). */
  id?: string
  latest?: boolean
  /** Services (or databases) to verify the latest backup of; with an id, the id's service. */
  services?: string[]
  catalog: ServiceCatalog
  home?: string
  /** Per backup, provisioning to measured (default 10 minutes). */
  timeoutMs?: number
  now?: () => Date
  onPhase?: (phase: VerifyPhase, detail: string) => void
}

export type VerifyPhase = 'namespace' | RestorePhase | 'compare' | 'record' | 'cleanup'

export interface BackupVerification {
  id: string
  service: string
  database: string
  verdict: 'passed' | 'failed'
  /** Scratch restore, provisioning to measured (the RTO evidence recorded in the catalog). */
  restoreSeconds: number
  namespace: string
  archive: {sha256: string; storedSha256: string | null}
  collections: CollectionCheck[]
  /** For a failure: the collection and both checksums, or what the restore said. */
  detail?: string
  /** When the verification record was written. */
  recordedAt: string
}

export interface BackupVerifyResult {
  environment: string
  region: string
  store: string
  verifications: BackupVerification[]
  passed: boolean
}

export async function backupVerify(options: BackupVerifyOptions): Promise<BackupVerifyResult> {
  // Bad input is refused before any cluster is contacted.
  checkVerifySelection(options)
  const named = (options.services ?? []).length > 0
  const targets = resolveBackupTargets(options.catalog, options.services ?? [])
  const home = options.home ?? mygateHome()
  const connection = await connectBackupEnvironment(options.env, {home})
  try {
    const site = await activeBackupSite(connection, home)
    const where = {store: site.store.location, environment: connection.record.name}
    // The latest backup may be a scheduled run not catalogued yet.
    await catalogueScheduledRuns(connection.record, site.store, targets, home)
    const entries = selectBackupsToVerify((await listCatalog(site.store)).backups, {id: options.id, latest: options.latest, targets, named}, where)
    const verifications: BackupVerification[] = []
    for (const entry of entries) verifications.push(await verifyOne(options, site, connection.record.spec, entry))
    return {environment: connection.record.name, region: site.region, store: site.store.location, verifications, passed: verifications.every((v) => v.verdict === 'passed')}
  } finally {
    connection.close()
  }
}

async function verifyOne(options: BackupVerifyOptions, site: BackupSite, env: Parameters<typeof restoreIntoSet>[0]['env'], entry: BackupEntry): Promise<BackupVerification> {
  const phase = options.onPhase ?? (() => {})
  const now = options.now ?? (() => new Date())
  const namespace = verifyNamespaceName(entry.id)
  // A fresh set name per run (the namespace name is the backup's): a verification re-run right
  // after the previous one never meets what is left of the old set while it is being torn down.
  const targetSet = `${entry.database}-v${randomBytes(2).toString('hex')}`
  const started = Date.now()
  phase('namespace', `${entry.id}: scratch namespace ${namespace}`)
  await site.client.apply(scratchNamespace(namespace, {[LABEL_PURPOSE]: 'verify', 'mygate.dev/backup-id': entry.id.toLowerCase().slice(0, 63)}))
  let outcome: BackupVerification | undefined
  let failure: unknown
  try {
    const stored = await site.store.head(entry.archive.key)
    const archiveProblem = archiveChecksumProblem(entry.archive.sha256, stored?.sha256)
    let compared: ReturnType<typeof compareRestore>
    let restoreMs: number
    try {
      const restored = await restoreIntoSet({
        site,
        catalog: options.catalog,
        env,
        entry,
        namespace,
        targetSet,
        purpose: 'verify',
        // Verification proves the data, not the topology: one member restores it as well as three.
        replicas: 1,
        ...(options.timeoutMs ? {timeoutMs: options.timeoutMs} : {}),
        onPhase: (p, detail) => phase(p, detail),
      })
      restoreMs = restored.restoreMs
      phase('compare', `${entry.id}: ${restored.collections.length} collections against the catalog entry`)
      compared = compareRestore(entry.collections, restoredHashes(databaseNameOf(entry.database), restored.collections))
    } catch (error) {
      // The restore Job failing is the archive's failure (mongorestore read it and refused it).
      if (!(error instanceof OperationFailedError)) throw error
      restoreMs = Date.now() - started
      compared = {verdict: 'failed', collections: [], detail: `the restore failed: ${error.message}`}
    }
    const detail = [archiveProblem, compared.detail].filter(Boolean).join('; ') || undefined
    const verdict = compared.verdict === 'passed' && !archiveProblem ? 'passed' : 'failed'
    const restoreSeconds = Math.round(restoreMs / 100) / 10
    const at = now().toISOString()
    phase('record', `${entry.id}: ${verdict} (restore ${restoreSeconds}s) recorded beside the entry`)
    await recordVerification(site.store, entry, {at, verdict, restoreSeconds, ...(detail ? {detail} : {})})
    outcome = {
      id: entry.id,
      service: entry.service,
      database: entry.database,
      verdict,
      restoreSeconds,
      namespace,
      archive: {sha256: entry.archive.sha256, storedSha256: stored?.sha256 ?? null},
      collections: compared.collections,
      ...(detail ? {detail} : {}),
      recordedAt: at,
    }
  } catch (error) {
    failure = error
  }
  // Cleaned up whatever happened; a cleanup failure never hides the failure before it.
  phase('cleanup', `${entry.id}: deleting ${namespace}`)
  try {
    await deleteScratchNamespace(site.client, namespace)
  } catch (error) {
    if (failure === undefined) throw error
  }
  if (failure !== undefined || !outcome) throw failure
  return outcome
}

/** The error a failed verification exits with (7: the operation ran and failed), or undefined. */
export function verificationFailure(result: BackupVerifyResult): OperationFailedError | undefined {
  const failed = result.verifications.filter((v) => v.verdict === 'failed')
  if (failed.length === 0) return undefined
  return new OperationFailedError(`verification failed: ${failed.map((v) => `${v.id}: ${v.detail ?? 'failed'}`).join('; ')}`, {
    hint: `the backup cannot be trusted: take a new one (\`mygate backup create --env ${result.environment} --service ${failed[0].service}\`) and verify it`,
    details: {result},
  })
}
