import {Flags} from '@oclif/core'

import {type BackupScheduleResult, backupSchedule} from '../../src/backup/operations/backup-schedule.js'
import {loadCatalog} from '../../src/catalog/load-catalog.js'
import {MygateCommand} from '../../src/cli/base-command.js'

export default class BackupSchedule extends MygateCommand<BackupScheduleResult> {
  static override summary = 'Show or change the backup schedules: base backups on each descriptor\'s schedule, oplog slices every half RPO, in the active region.'
  static override description =
    'The schedules are CronJobs in the active region (spec.timeZone from the descriptor\'s backup.timeZone); they follow the active region after a failover. ' +
    'Each call also catalogs what the scheduled runs uploaded. --set / --time-zone change one database\'s base schedule (name it with --service); the change is kept on its CronJob. ' +
    'A weekly CronJob per database verifies its latest backup in the cluster (a scratch restore, hashes against the catalog, the verdict beside the entry); --verify-set moves it.'

  static override examples = [
    '<%= config.bin %> backup schedule --env demo',
    '<%= config.bin %> backup schedule --env demo --service visitors --set "0 */4 * * *" --time-zone Asia/Kolkata',
  ]

  static override flags = {
    env: Flags.string({description: 'Environment.', required: true}),
    service: Flags.string({description: 'Only this service (or database); repeatable (one with --set).', multiple: true}),
    set: Flags.string({description: 'New cron schedule of the base backups (five fields).'}),
    'time-zone': Flags.string({description: 'IANA time zone the schedule is read in (e.g. Asia/Kolkata).'}),
    'verify-set': Flags.string({description: 'New cron schedule of the weekly verification of the latest backup (five fields, same time zone).'}),
  }

  protected async execute(): Promise<BackupScheduleResult> {
    const {flags} = await this.parse(BackupSchedule)
    return backupSchedule({
      env: flags.env,
      services: flags.service ?? [],
      ...(flags.set !== undefined ? {set: flags.set} : {}),
      ...(flags['time-zone'] !== undefined ? {timeZone: flags['time-zone']} : {}),
      ...(flags['verify-set'] !== undefined ? {verifySet: flags['verify-set']} : {}),
      catalog: await loadCatalog(),
    })
  }

  protected override present(result: BackupScheduleResult): void {
    const rows = result.schedules.map((s) => [
      s.database,
      s.base ? `${s.base.schedule}${s.base.timeZone ? ` (${s.base.timeZone})` : ' (UTC)'}${s.base.overridden ? ' *' : ''}` : 'none',
      s.base?.lastScheduleTime ?? '-',
      `${s.slices.schedule} (every ${s.slices.intervalMinutes}m, RPO ${s.rpo})`,
      s.slices.lastScheduleTime ?? '-',
      `${s.verify.schedule}${s.verify.timeZone ? ` (${s.verify.timeZone})` : ' (UTC)'}${s.verify.overridden ? ' *' : ''}`,
      s.verify.lastScheduleTime ?? '-',
    ])
    const header = ['DATABASE', 'BASE BACKUPS', 'LAST BASE RUN', 'OPLOG SLICES', 'LAST SLICE RUN', 'WEEKLY VERIFY', 'LAST VERIFY RUN']
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
    for (const row of [header, ...rows]) this.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd())
    if (result.schedules.some((s) => s.base?.overridden || s.verify.overridden)) this.log('* changed with --set/--time-zone/--verify-set (the descriptor or the default spread says otherwise)')
    this.log(
      `Result: ${result.changed ? 'CHANGED' : 'SUCCESS'} — ${result.schedules.length} database schedule${result.schedules.length === 1 ? '' : 's'} in region ${result.region}; ` +
        `catalogued ${result.ingested.backups} scheduled backup${result.ingested.backups === 1 ? '' : 's'} and ${result.ingested.slices} slice${result.ingested.slices === 1 ? '' : 's'}.`,
    )
  }
}
