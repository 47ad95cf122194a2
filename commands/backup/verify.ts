import {Args, Flags} from '@oclif/core'

import {type BackupVerifyResult, backupVerify, verificationFailure} from '../../src/backup/operations/backup-verify.js'
import {loadCatalog} from '../../src/catalog/load-catalog.js'
import {MygateCommand} from '../../src/cli/base-command.js'

export default class BackupVerify extends MygateCommand<BackupVerifyResult> {
  static override summary = 'Prove a backup by restoring it into a scratch namespace and comparing every collection with its catalog entry.'
  static override description =
    'The backup is restored into a new replica set in mygate-verify-<short id> (deleted afterwards, also on failure); per-collection document counts and content hashes ' +
    'are compared with the catalog entry, and the verdict and measured restore time are recorded beside the entry in the bucket. ' +
    'Exits 7 when a collection or the archive does not match, naming the collection and both checksums.'

  static override examples = [
    '<%= config.bin %> backup verify 20261203T070000Z-visitors-a1b2c3 --env demo',
    '<%= config.bin %> backup verify --latest --env demo',
    '<%= config.bin %> backup verify --latest --env demo --service visitors --json',
  ]

  static override args = {id: Args.string({description: 'Backup id (from `mygate backup list`).'})}
  static override flags = {
    env: Flags.string({description: 'Environment.', required: true}),
    latest: Flags.boolean({description: 'Verify the newest backup of each service (or of each --service).'}),
    service: Flags.string({description: 'A service (or its database) whose latest backup to verify; repeatable.', multiple: true}),
  }

  protected async execute(): Promise<BackupVerifyResult> {
    const {args, flags} = await this.parse(BackupVerify)
    const result = await backupVerify({
      env: flags.env,
      ...(args.id ? {id: args.id} : {}),
      latest: flags.latest,
      services: flags.service ?? [],
      catalog: await loadCatalog(),
      onPhase: (phase, detail) => {
        if (!this.jsonEnabled()) this.note(`[${phase}] ${detail}`)
      },
    })
    const failure = verificationFailure(result)
    if (failure) {
      // The verdict in full first, then the error line and exit 7 (--json: the error envelope carries the result).
      if (!this.jsonEnabled()) this.present(result)
      throw failure
    }
    return result
  }

  protected override present(result: BackupVerifyResult): void {
    for (const v of result.verifications) {
      this.log(`${v.id}  ${v.database}  ${v.verdict.toUpperCase()}  restore ${v.restoreSeconds}s in ${v.namespace}`)
      for (const c of v.collections) {
        this.log(`  ${c.ns}: ${c.match ? 'match' : 'MISMATCH'}  ${c.restored?.documents ?? 0} documents, checksum ${(c.restored?.sha256Sum ?? 'none').slice(0, 16)}…`)
      }
      if (v.detail) this.log(`  ${v.detail}`)
    }
    const failed = result.verifications.filter((v) => v.verdict === 'failed').length
    const count = `${result.verifications.length} backup${result.verifications.length === 1 ? '' : 's'} of ${result.environment}`
    this.log(failed === 0 ? `Result: SUCCESS — ${count} restored and matched the catalog; verdicts recorded in ${result.store}.` : `Result: FAILED — ${failed} of ${count} did not match; verdicts recorded in ${result.store}.`)
  }
}
