import type {Catalog} from '../../catalog/types.js'
import type {EnvironmentRecord} from '../../env/record.js'
import type {TimelineBreakReason} from '../catalog/timeline-break.js'
import type {BackupTarget} from '../operations/backup-targets.js'
import type {BackupSite} from '../operations/create-backup.js'
import {pointSchedulesAt} from '../schedule/reconcile-schedules.js'
import {takeNewBaseAfterBreak} from '../timeline/new-base-after-break.js'
import type {RestoreContext} from './execute-restore.js'
import {setHosts} from './live-set.js'
import type {RestoreRun} from './restore-run.js'

/**
 * What a restore does when the set a service reads changes, with the service's writes still
 * stopped: at the switch to the restored set (afterSwitch) and at --undo's switch back
 * (afterUndo). Both break the service's timeline, so each records the break (reason
 * restore-switch or restore-undo), takes a new base backup of the set the service reads from then
 * on (new-base-after-break.ts: read first, a re-run takes no second), and points the schedule's
 * CronJobs (base backups and oplog slices) at that set, so the next scheduled slice chains from
 * that base in that set's oplog.
 */
export interface BreakHooksInput {
  record: EnvironmentRecord
  site: BackupSite
  catalog: Catalog
  target: BackupTarget
  now: () => Date
  jobTimeoutMs?: number
  onProgress?: (message: string) => void
}

export function breakHooks(input: BreakHooksInput): Pick<RestoreContext, 'afterSwitch' | 'afterUndo'> {
  const mark = async (run: RestoreRun, reason: TimelineBreakReason, set: string, at: Date): Promise<string> => {
    const {target} = input
    const [base] = await takeNewBaseAfterBreak({
      environment: input.record.name,
      site: input.site,
      targets: [target],
      reason,
      runId: run.id,
      at,
      setOf: () => set,
      hostsOf: (of) => setHosts(input.catalog, input.record.spec, target.database, of),
      detail: () => `${target.service} reads ${set}${reason === 'restore-undo' ? ' again' : ''}`,
      now: input.now,
      ...(input.jobTimeoutMs ? {jobTimeoutMs: input.jobTimeoutMs} : {}),
      ...(input.onProgress ? {onPhase: (phase: string, detail: string) => input.onProgress?.(`[${phase}] ${detail}`)} : {}),
    })
    const schedules = await pointSchedulesAt(input.site.client, input.record, input.catalog, {database: target.database, set})
    // The base's id stays a word of its own (`new base backup ID ...`): scripts and tests read it.
    return `timeline break recorded at ${base.timelineBreak.at}; new base backup ${base.backupId}${base.taken ? '' : ' (taken before the resume)'} (schedules: ${schedules})`
  }
  return {
    afterSwitch: (run, switchedAt) => mark(run, 'restore-switch', run.restoredSet, switchedAt),
    afterUndo: (run, undoneAt) => mark(run, 'restore-undo', run.previousSet, undoneAt),
  }
}
