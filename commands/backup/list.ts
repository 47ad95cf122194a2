import {Flags} from '@oclif/core'

import {type BackupListResult, backupList} from '../../src/backup/operations/backup-list.js'
import {loadCatalog} from '../../src/catalog/load-catalog.js'
import {MygateCommand} from '../../src/cli/base-command.js'

export default class BackupList extends MygateCommand<BackupListResult> {
  static override summary = "List an environment's backups, read from the region's bucket."
  static override description = "The bucket is the catalog's source of truth: any machine with access lists the same backups."
  static override examples = ['<%= config.bin %> backup list --env demo', '<%= config.bin %> backup list --env demo --service visitors --json', '<%= config.bin %> backup list --env demo-new --from-env demo-old']
  static override flags = {
    env: Flags.string({description: 'Environment.', required: true}),
    service: Flags.string({description: 'Only this service (or database); repeatable.', multiple: true}),
    'from-env': Flags.string({description: "List another environment's backups (kept after `env destroy`), as this one reads them for `backup restore --from-env`."}),
    region: Flags.string({description: "The region whose bucket to read (default: the environment's active region); each region holds a copy of every backup and slice."}),
  }

  protected async execute(): Promise<BackupListResult> {
    const {flags} = await this.parse(BackupList)
    return backupList({env: flags.env, services: flags.service ?? [], ...(flags.region ? {region: flags.region} : {}), ...(flags['from-env'] === undefined ? {} : {fromEnv: flags['from-env']}), catalog: await loadCatalog()})
  }

  protected override present(result: BackupListResult): void {
    const rows = result.backups.map((b) => [b.id, b.database, b.consistentAt, b.oplogLast, String(b.documents), String(b.bytes), b.verified])
    const header = ['ID', 'DATABASE', 'CONSISTENT AT', 'OPLOG', 'DOCUMENTS', 'BYTES', 'VERIFIED']
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
    for (const row of [header, ...rows]) this.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd())
    for (const gap of result.slices.filter((s) => s.gap)) {
      this.log(`GAP in ${gap.service}'s oplog slices: the oplog no longer held ${gap.gap!.requestedAfter} when slice ${gap.id} was taken (it starts at ${gap.gap!.firstAvailable}); no point-in-time restore crosses it`)
    }
    for (const b of result.breaks) {
      this.log(`BREAK in ${b.service}'s timeline at ${b.at} (${b.reason} ${b.runId}${b.detail ? `: ${b.detail}` : ''}): older backups and oplog slices restore only to moments before it`)
    }
    for (const w of result.windows) this.log(`${w.service} restorable: ${w.text}`)
    const whose = result.fromEnvironment ? `, ${result.fromEnvironment}'s backups as ${result.environment} reads them` : ''
    this.log(`${result.backups.length} backup${result.backups.length === 1 ? '' : 's'} and ${result.slices.length} oplog slice${result.slices.length === 1 ? '' : 's'} in ${result.store} (region ${result.region}${whose})`)
  }
}
