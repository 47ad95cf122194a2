import {Args, Flags} from '@oclif/core'

import {type BackupDescribeResult, backupDescribe} from '../../src/backup/operations/backup-list.js'
import {loadCatalog} from '../../src/catalog/load-catalog.js'
import {MygateCommand} from '../../src/cli/base-command.js'

export default class BackupDescribe extends MygateCommand<BackupDescribeResult> {
  static override summary = 'Show one backup: its consistent point, archive, collections and verifications.'
  static override examples = ['<%= config.bin %> backup describe 20261203T070000Z-visitors-a1b2c3 --env demo']
  static override args = {id: Args.string({description: 'Backup id (from `mygate backup list`).', required: true})}
  static override flags = {
    env: Flags.string({description: 'Environment.', required: true}),
    region: Flags.string({description: "The region whose bucket to read (default: the environment's active region)."}),
  }

  protected async execute(): Promise<BackupDescribeResult> {
    const {args, flags} = await this.parse(BackupDescribe)
    return backupDescribe({env: flags.env, id: args.id, ...(flags.region ? {region: flags.region} : {}), catalog: await loadCatalog()})
  }

  protected override present(result: BackupDescribeResult): void {
    const b = result.backup
    this.log(`Backup:        ${b.id}`)
    this.log(`Service:       ${b.service} (${b.database}) in ${b.region}`)
    this.log(`Taken:         ${b.startedAt} .. ${b.finishedAt}`)
    this.log(`Consistent at: ${b.oplog.last} (${b.consistentAt}); oplog ${b.oplog.first} .. ${b.oplog.last}`)
    this.log(`Archive:       ${result.store}/${b.archive.key} (${b.archive.size} bytes, sha256 ${b.archive.sha256}, key ${b.encryptionKeyId || '-'})`)
    for (const [ns, hash] of Object.entries(b.collections)) this.log(`  ${ns}: ${hash.documents} documents, content ${hash.sha256Sum.slice(0, 16)}…`)
    for (const v of b.verifications) this.log(`Verified:      ${v.verdict} at ${v.at}, restore ${v.restoreSeconds}s${v.detail ? ` (${v.detail})` : ''}`)
    if (b.verifications.length === 0) this.log('Verified:      never (`mygate backup verify` restores it into a scratch set)')
  }
}
