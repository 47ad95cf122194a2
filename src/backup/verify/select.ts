import {NotFoundError, UsageError} from '../../errors.js'
import type {BackupEntry} from '../catalog/entry.js'
import type {BackupTarget} from '../operations/backup-targets.js'

/**
 * Which backups `backup verify` restores, pure:
 * - an ID: that backup (of any service; `--service`, when given, must be its service);
 * - `--latest`: the newest backup (by consistent point) of each target service; a service named
 *   with `--service` that has none is an error, and so is a catalog with no backup at all;
 *   without `--service`, services that were never backed up are left out.
 */
export interface VerifySelection {
  id?: string
  latest?: boolean
  /** Resolved from `--service` (empty: every database with backups enabled). */
  targets: BackupTarget[]
  /** True when the targets were named with --service (not defaulted to every database). */
  named: boolean
}

export function checkVerifySelection(selection: Pick<VerifySelection, 'id' | 'latest'>): void {
  if (selection.id && selection.latest) throw new UsageError('give a backup id or --latest, not both', {hint: 'mygate backup verify ID --env E, or mygate backup verify --latest --env E'})
  if (!selection.id && !selection.latest) throw new UsageError('which backup? give its id or --latest', {hint: 'list them with `mygate backup list --env E`; --latest verifies the newest backup of each service'})
}

export function selectBackupsToVerify(backups: readonly BackupEntry[], selection: VerifySelection, where: {store: string; environment: string}): BackupEntry[] {
  checkVerifySelection(selection)
  if (selection.id) {
    const entry = backups.find((b) => b.id === selection.id)
    if (!entry) throw new NotFoundError(`backup ${selection.id} does not exist in ${where.store}`, {hint: `list them with \`mygate backup list --env ${where.environment}\``})
    if (selection.named && !selection.targets.some((t) => t.service === entry.service)) {
      throw new UsageError(`backup ${selection.id} is of ${entry.service}, not of ${selection.targets.map((t) => t.service).join(', ')}`, {hint: `drop --service, or use --service ${entry.service}`})
    }
    return [entry]
  }
  const chosen: BackupEntry[] = []
  for (const target of selection.targets) {
    const newest = backups
      .filter((b) => b.service === target.service)
      .sort((a, b) => b.consistentAt.localeCompare(a.consistentAt) || b.finishedAt.localeCompare(a.finishedAt) || b.id.localeCompare(a.id))[0]
    if (newest) chosen.push(newest)
    else if (selection.named) throw new NotFoundError(`${target.service} has no backups in ${where.store} to verify`, {hint: `take one with \`mygate backup create --env ${where.environment} --service ${target.service}\``})
  }
  if (chosen.length === 0) throw new NotFoundError(`there are no backups in ${where.store} to verify`, {hint: `take them with \`mygate backup create --env ${where.environment}\``})
  return chosen
}
