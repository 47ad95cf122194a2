import {NotFoundError, UsageError} from '../../errors.js'
import type {BackupEntry, OplogSliceEntry} from '../catalog/entry.js'
import type {TimelineBreak} from '../catalog/timeline-break.js'
import {formatWindow, parseRestoreTarget, planPointInTimeRestore, restorableWindow} from '../catalog/restore-window.js'

/**
 * What a restore restores from, decided from the catalog alone (pure): a backup named by id, the
 * newest one, or, for `--to-time T`, the newest base backup whose consistent point is at or before
 * T with the oplog slices that reach T (restore-window.ts) and the exclusive `--oplogLimit`.
 *
 *   id given             -> that backup (unknown id: NotFound naming it)
 *   --to-time T          -> planPointInTimeRestore; T in the future or outside the window is
 *                           refused with the window printed
 *   neither              -> the newest backup (none: NotFound)
 */

export interface RestoreSource {
  base: BackupEntry
  /** Oplog slices to replay after the archive's own oplog (point in time), oldest first. */
  slices: OplogSliceEntry[]
  oplogLimit?: string
  lastAppliedAtMost?: string
}

export interface ChooseSourceInput {
  service: string
  backups: BackupEntry[]
  slices: OplogSliceEntry[]
  /** Timeline breaks (restore switches, forced failovers): no replay crosses one. */
  breaks?: TimelineBreak[]
  id?: string
  toTime?: string
  now: Date
}

export function chooseRestoreSource(input: ChooseSourceInput): RestoreSource {
  const {service, backups} = input
  if (input.id !== undefined && input.toTime !== undefined) {
    throw new UsageError(`give a backup id or --to-time, not both (${input.id}, --to-time ${input.toTime})`, {hint: '--to-time picks the backup itself'})
  }
  if (input.id !== undefined) {
    const base = backups.find((b) => b.id === input.id)
    if (!base) {
      const newest = backups.at(-1)
      throw new NotFoundError(`backup ${input.id} of ${service} does not exist`, {
        hint: newest ? `list them with \`mygate backup list --service ${service}\` (the newest is ${newest.id})` : `${service} has no backups yet: \`mygate backup create --service ${service}\``,
      })
    }
    return {base, slices: []}
  }
  if (input.toTime !== undefined) {
    const target = parseRestoreTarget({toTime: input.toTime})
    const seconds = target.kind === 'time' ? target.at.getTime() / 1000 : target.ts.seconds
    if (seconds > input.now.getTime() / 1000) {
      throw new UsageError(`--to-time ${input.toTime} is in the future (now is ${input.now.toISOString()}); the restorable window of ${service} is ${formatWindow(restorableWindow(backups, input.slices, input.breaks ?? []), input.breaks ?? [])}`, {
        hint: 'pick a time inside the window',
      })
    }
    const plan = planPointInTimeRestore(backups, input.slices, target, input.breaks ?? [])
    return {base: plan.base, slices: plan.slices, oplogLimit: plan.oplogLimit, lastAppliedAtMost: plan.lastAppliedAtMost}
  }
  const newest = backups.at(-1)
  if (!newest) throw new NotFoundError(`${service} has no backups to restore`, {hint: `take one with \`mygate backup create --service ${service}\``})
  return {base: newest, slices: []}
}

/** For messages: "backup ID (consistent at T)" or "... replayed up to L (excluded)". */
export function describeSource(source: RestoreSource): string {
  const limit = source.oplogLimit ? `, oplog replayed up to ${source.oplogLimit} (excluded)` : ''
  return `backup ${source.base.id} (consistent at ${source.base.oplog.last}, ${source.base.consistentAt}${limit})`
}
