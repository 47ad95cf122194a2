import {Flags} from '@oclif/core'

import {type BackupPruneResult, backupPrune} from '../../src/backup/operations/backup-prune.js'
import {loadCatalog} from '../../src/catalog/load-catalog.js'
import {MygateCommand} from '../../src/cli/base-command.js'
import {canPrompt, confirmOperation} from '../../src/ui/confirm.js'

export default class BackupPrune extends MygateCommand<BackupPruneResult> {
  static override summary = "Delete the backups each database's retention no longer keeps (never the newest, never the last verified one)."
  static override description =
    "Retention comes from each descriptor's backup block (retention, keepDaily/keepWeekly/keepMonthly in its time zone). Each backup's catalog entry is deleted before its archive, " +
    'so a half-pruned backup is never listed as restorable. In production the environment name must be typed (or --confirm NAME without a terminal).'

  static override examples = ['<%= config.bin %> backup prune --env demo --dry-run', '<%= config.bin %> backup prune --env demo --service visitors', '<%= config.bin %> backup prune --env prod --confirm prod']
  static override flags = {
    env: Flags.string({description: 'Environment.', required: true}),
    service: Flags.string({description: 'Only this service (or database); repeatable.', multiple: true}),
    'dry-run': Flags.boolean({description: 'Print what would be kept and deleted; delete nothing.'}),
    confirm: Flags.string({description: 'The environment name again (required for prod without a terminal).'}),
  }

  protected async execute(): Promise<BackupPruneResult> {
    const {flags} = await this.parse(BackupPrune)
    return backupPrune({
      env: flags.env,
      services: flags.service ?? [],
      dryRun: flags['dry-run'],
      catalog: await loadCatalog(),
      confirm: async ({environment, tier, backups, slices}) => {
        await confirmOperation({
          environment,
          tier,
          destructive: false,
          action: `delete ${backups} backup(s) and ${slices} oplog slice(s) of ${environment}`,
          doing: `pruning the backups of ${environment}`,
          terminal: canPrompt() && !this.jsonEnabled(),
          yes: false,
          ...(flags.confirm !== undefined ? {confirm: flags.confirm} : {}),
        })
      },
      onPhase: (phase, detail) => {
        if (!this.jsonEnabled()) this.note(`[${phase}] ${detail}`)
      },
    })
  }

  protected override present(result: BackupPruneResult): void {
    for (const p of result.plan) {
      for (const k of p.keep) this.log(`keep    ${k.id}  ${p.database}  (${k.reasons.join(', ')})`)
      for (const d of p.delete) this.log(`${result.dryRun ? 'would delete' : 'deleted'} ${d.id}  ${p.database}`)
    }
    const planned = result.plan.reduce((n, p) => n + p.delete.length, 0)
    const slices = result.plan.reduce((n, p) => n + p.deleteSlices.length, 0)
    this.log(
      result.dryRun
        ? `Result: DRY RUN — would delete ${planned} backup${planned === 1 ? '' : 's'} and ${slices} oplog slice${slices === 1 ? '' : 's'} of ${result.environment}; nothing was deleted.`
        : `Result: SUCCESS — deleted ${result.deleted.backups.length} backup${result.deleted.backups.length === 1 ? '' : 's'} and ${result.deleted.slices.length} oplog slice${result.deleted.slices.length === 1 ? '' : 's'} of ${result.environment} (${result.store}).`,
    )
  }
}
