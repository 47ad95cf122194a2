import type {Catalog as ServiceCatalog} from '../../catalog/types.js'
import {isProductionTier} from '../../guards/confirmation-rule.js'
import {mygateHome} from '../../home.js'
import {deleteBaseBackup, deleteOplogSlice, listCatalog} from '../catalog/catalog-store.js'
import {applyRetention, retentionPolicyOf} from '../catalog/retention.js'
import {openBackupStore, connectBackupEnvironment} from './backup-site.js'
import {resolveBackupTargets} from './backup-targets.js'
import {catalogueScheduledRuns} from '../schedule/catalogue-scheduled.js'

/**
 * `mygate backup prune --env E [--service S ...] [--dry-run]`: applies each database's retention
 * (its descriptor's `backup` block, src/backup/catalog/retention.ts: never the newest backup,
 * never the last verified one) to the active region's bucket. Plan, then act: the plan (what is
 * kept and why, what goes) is computed first and is all `--dry-run` prints; deleting removes each
 * backup's entry before its archive, so a half-pruned backup is never listed as restorable.
 *
 * Production (a tier that is not dev or staging, or unknown) needs the confirmation rule's typed
 * name before anything is deleted; the caller's `confirm` carries it out (src/ui/confirm.ts).
 * Other tiers prune without a question: retention is the descriptor's own policy.
 */

export interface BackupPruneOptions {
  env: string
  services?: string[]
  dryRun?: boolean
  catalog: ServiceCatalog
  home?: string
  now?: () => Date
  /** Asked once, only when something would be deleted in production; throws to refuse. */
  confirm?: (request: {environment: string; tier: string | undefined; backups: number; slices: number}) => Promise<void>
  onPhase?: (phase: 'plan' | 'delete', detail: string) => void
}

export interface PrunePlan {
  service: string
  database: string
  keep: Array<{id: string; finishedAt: string; reasons: string[]}>
  delete: Array<{id: string; finishedAt: string}>
  deleteSlices: string[]
}

export interface BackupPruneResult {
  environment: string
  region: string
  store: string
  dryRun: boolean
  plan: PrunePlan[]
  /** What was deleted (empty on --dry-run). */
  deleted: {backups: string[]; slices: string[]}
}

export async function backupPrune(options: BackupPruneOptions): Promise<BackupPruneResult> {
  const targets = resolveBackupTargets(options.catalog, options.services ?? [])
  const home = options.home ?? mygateHome()
  const phase = options.onPhase ?? (() => {})
  const connection = await connectBackupEnvironment(options.env, {home})
  try {
    const region = connection.record.activeRegion
    const store = await openBackupStore(connection, region, home)
    const now = (options.now ?? (() => new Date()))()
    // Retention decides over every backup, scheduled runs included (a dry run only reads).
    if (!options.dryRun) await catalogueScheduledRuns(connection.record, store, targets, home)
    const decisions = []
    for (const target of targets) {
      const descriptor = options.catalog.byName(target.database)
      const {backups, slices} = await listCatalog(store, {service: target.service})
      const decision = applyRetention(backups, slices, retentionPolicyOf(descriptor?.backup ?? {}), now)
      decisions.push({target, decision})
    }
    const plan: PrunePlan[] = decisions.map(({target, decision}) => ({
      service: target.service,
      database: target.database,
      keep: decision.keep.map((k) => ({id: k.backup.id, finishedAt: k.backup.finishedAt, reasons: k.reasons})),
      delete: decision.delete.map((b) => ({id: b.id, finishedAt: b.finishedAt})),
      deleteSlices: decision.deleteSlices.map((s) => s.id),
    }))
    for (const p of plan) phase('plan', `${p.database}: keep ${p.keep.length}, delete ${p.delete.length} backup${p.delete.length === 1 ? '' : 's'} and ${p.deleteSlices.length} oplog slice${p.deleteSlices.length === 1 ? '' : 's'}`)
    const result = {environment: connection.record.name, region, store: store.location, dryRun: Boolean(options.dryRun), plan, deleted: {backups: [] as string[], slices: [] as string[]}}
    const backupCount = plan.reduce((n, p) => n + p.delete.length, 0)
    const sliceCount = plan.reduce((n, p) => n + p.deleteSlices.length, 0)
    if (options.dryRun || backupCount + sliceCount === 0) return result
    const tier = connection.record.spec.tier as string | undefined
    if (isProductionTier(tier)) {
      if (!options.confirm) throw new Error('backupPrune: a production prune needs a confirm callback')
      await options.confirm({environment: connection.record.name, tier, backups: backupCount, slices: sliceCount})
    }
    for (const {decision} of decisions) {
      for (const backup of decision.delete) {
        phase('delete', `${backup.id}: entry, then archive`)
        await deleteBaseBackup(store, backup)
        result.deleted.backups.push(backup.id)
      }
      for (const slice of decision.deleteSlices) {
        await deleteOplogSlice(store, slice)
        result.deleted.slices.push(slice.id)
      }
    }
    return result
  } finally {
    connection.close()
  }
}
