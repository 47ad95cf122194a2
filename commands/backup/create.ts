import {Flags} from '@oclif/core'

import {type BackupCreateResult, backupCreate} from '../../src/backup/operations/backup-create.js'
import {loadCatalog} from '../../src/catalog/load-catalog.js'
import {MygateCommand} from '../../src/cli/base-command.js'

export default class BackupCreate extends MygateCommand<BackupCreateResult> {
  static override summary = "Back up an environment's databases: a mongodump Job per database, its archive and catalog entry in the region's bucket."
  static override description =
    'Each database is dumped from a secondary (mongodump --oplog --gzip) by a Job that uploads the archive itself with the cluster\'s workload identity; ' +
    'mygate then reads the archive back, hashes every collection as of its consistent point (documents plus captured oplog) and writes the catalog entry last. ' +
    'Without --service: every database whose descriptor enables backups.'

  static override examples = ['<%= config.bin %> backup create --env demo', '<%= config.bin %> backup create --env demo --service visitors --json', '<%= config.bin %> backup create --env demo --dry-run', '<%= config.bin %> backup create --env demo --service visitors --oplog-slice']
  static override flags = {
    env: Flags.string({description: 'Environment.', required: true}),
    service: Flags.string({description: 'A service (or its database) to back up; repeatable.', multiple: true}),
    'oplog-slice': Flags.boolean({
      description: 'Take an oplog slice (the writes since the newest backup or slice, for point-in-time restore) instead of a base backup.',
    }),
    'dry-run': Flags.boolean({description: 'Print the plan; run nothing.'}),
  }

  protected async execute(): Promise<BackupCreateResult> {
    const {flags} = await this.parse(BackupCreate)
    return backupCreate({
      env: flags.env,
      services: flags.service ?? [],
      dryRun: flags['dry-run'],
      oplogSlice: flags['oplog-slice'],
      catalog: await loadCatalog(),
      onPhase: (phase, detail) => {
        if (!this.jsonEnabled()) this.note(`[${phase}] ${detail}`)
      },
    })
  }

  protected override present(result: BackupCreateResult): void {
    if (result.dryRun) {
      const what = result.kind === 'oplog-slice' ? 'take an oplog slice of' : 'back up'
      for (const step of result.plan) this.log(`would ${what} ${step.database} (${step.service}) with Job ${step.job} into ${step.bucket} (${result.region})`)
      this.log(`Result: DRY RUN — ${result.plan.length} database${result.plan.length === 1 ? '' : 's'} of ${result.environment}; nothing was run.`)
      return
    }
    if (result.kind === 'oplog-slice') {
      for (const s of result.slices) {
        if ('nothingNew' in s) this.log(`${s.database}  no slice: ${s.nothingNew}`)
        else this.log(`${s.id}  ${s.database}  oplog (${s.after}, ${s.last}]  ${s.entries} operations  ${s.bytes} bytes${s.gap ? `  GAP: the oplog no longer held ${s.gap.requestedAfter} (starts at ${s.gap.firstAvailable}); no restore crosses it` : ''}`)
      }
      if (result.copies) this.log(`copied ${result.copies.copied} to ${result.copies.to} (re-encrypted with that region's key; ${result.copies.present} already there)`)
      const taken = result.slices.filter((s) => !('nothingNew' in s)).length
      const gaps = result.slices.filter((s) => 'gap' in s && s.gap).length
      this.log(`Result: ${gaps > 0 ? 'DEGRADED' : 'SUCCESS'} — ${taken} oplog slice${taken === 1 ? '' : 's'} of ${result.environment} in region ${result.region}${gaps > 0 ? `, ${gaps} with a gap (take a base backup: \`mygate backup create --env ${result.environment}\`)` : ''}.`)
      return
    }
    for (const b of result.backups) {
      this.log(`${b.id}  ${b.database}  consistent at ${b.oplogLast} (${b.consistentAt})  ${b.documents} documents in ${b.collections} collections  ${b.bytes} bytes  dump ${b.dumpSeconds.toFixed(1)}s`)
    }
    if (result.copies) this.log(`copied ${result.copies.copied} to ${result.copies.to} (re-encrypted with that region's key; ${result.copies.present} already there)`)
    this.log(`Result: SUCCESS — ${result.backups.length} backup${result.backups.length === 1 ? '' : 's'} of ${result.environment} in region ${result.region}.`)
  }
}
