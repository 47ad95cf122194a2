import {Flags} from '@oclif/core'

import {type BackupStatusResult, backupStatus} from '../../src/backup/operations/backup-status.js'
import {loadCatalog} from '../../src/catalog/load-catalog.js'
import {MygateCommand} from '../../src/cli/base-command.js'
import {formatDuration} from '../../src/duration.js'
import {ExitCode} from '../../src/errors.js'

export default class BackupStatus extends MygateCommand<BackupStatusResult> {
  static override summary = 'Backup health per database: the last good backup against the RPO, missed and failed runs, the last verification.'
  static override description =
    'Read from the active region\'s bucket (the catalog) and the cluster (failed dump Jobs). A database with no good backup, or one older than its RPO, is failing; ' +
    `missed or failed runs, oplog slices behind (no slice, base or successful slice run for twice the slice interval), a failed last verification and no verification in a week (once it has had backups for a week: the weekly <db>-verify CronJob) make it degraded. With --exit-code it exits ${ExitCode.drift} when any database is not healthy ` +
    `(as env diff --exit-code does for drift: a finding, not an error) and ${ExitCode.ok} when all are; errors keep their codes.`

  static override examples = ['<%= config.bin %> backup status --env demo', '<%= config.bin %> backup status --env prod --exit-code --json']
  static override flags = {
    env: Flags.string({description: 'Environment.', required: true}),
    service: Flags.string({description: 'Only this service (or database); repeatable.', multiple: true}),
    'exit-code': Flags.boolean({description: `Exit ${ExitCode.drift} when any database's backups are not healthy, ${ExitCode.ok} when all are.`}),
  }

  private exitOnUnhealthy = false

  protected async execute(): Promise<BackupStatusResult> {
    const {flags} = await this.parse(BackupStatus)
    this.exitOnUnhealthy = flags['exit-code']
    return backupStatus({env: flags.env, services: flags.service ?? [], catalog: await loadCatalog()})
  }

  override async run(): Promise<BackupStatusResult> {
    const result = await super.run()
    // Set, not thrown: the report is printed in full (and --json stays a success envelope).
    if (this.exitOnUnhealthy && !result.healthy) process.exitCode = ExitCode.drift
    return result
  }

  protected override present(result: BackupStatusResult): void {
    const mark = {healthy: '✔', degraded: '!', failing: '✖'} as const
    for (const s of result.services) {
      const last = s.lastGoodBackup ? `last good ${s.lastGoodBackup.id} (${formatDuration(s.lastGoodBackup.ageMs)} old, RPO ${s.rpo})` : `no good backup (RPO ${s.rpo})`
      const verified = s.lastVerification ? `verified ${s.lastVerification.verdict} at ${s.lastVerification.at}${s.verification ? ` (${s.verification.summary})` : ''}` : 'never verified'
      this.log(`${mark[s.verdict]} ${s.database}: ${s.verdict}; ${last}; ${verified}`)
      for (const problem of s.problems) this.log(`    ${problem}`)
      const waiting = (s.uncatalogued?.backups ?? 0) + (s.uncatalogued?.slices ?? 0)
      if (waiting > 0) this.log(`    ${s.uncatalogued!.backups} scheduled backup run(s) and ${s.uncatalogued!.slices} oplog slice run(s) not catalogued yet (not counted above): \`mygate backup schedule --env ${result.environment}\` catalogues them`)
    }
    const unhealthy = result.services.filter((s) => s.verdict !== 'healthy').map((s) => s.database)
    this.log(
      result.healthy
        ? `Result: HEALTHY — ${result.services.length} database${result.services.length === 1 ? '' : 's'} of ${result.environment} within their RPO (${result.store}).`
        : `Result: ${result.verdict.toUpperCase()} — ${unhealthy.length} of ${result.services.length} databases need attention: ${unhealthy.join(', ')}.`,
    )
  }
}
