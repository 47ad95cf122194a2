import {Args, Flags} from '@oclif/core'

import {type BackupRestoreResult, backupRestore} from '../../src/backup/operations/backup-restore.js'
import {loadCatalog} from '../../src/catalog/load-catalog.js'
import {MygateCommand} from '../../src/cli/base-command.js'
import {canPrompt} from '../../src/ui/confirm.js'

export default class BackupRestore extends MygateCommand<BackupRestoreResult> {
  static override summary = "Restore a service's database beside the live one, prove it, then switch the service to it (undoable, resumable)."
  static override description =
    'The backup (an id, the newest, or the newest at or before --to-time with the oplog replayed up to it) is restored into a NEW replica set ' +
    'beside the live one and its counts and hashes are compared with the catalog; only then are the service\'s writes stopped, its connection ' +
    'Secret pointed at the restored set and its pods restarted. The live set is kept: --undo switches back. A killed restore is resumed by ' +
    'running it again; before the switch, --abandon removes the half-made set. Production needs the environment name typed (or --confirm NAME).'

  static override examples = [
    '<%= config.bin %> backup restore --env demo --service visitors --no-switch',
    '<%= config.bin %> backup restore --env demo --service visitors 20261203T070000Z-visitors-a1b2c3',
    '<%= config.bin %> backup restore --env demo --service visitors --to-time 1764745200:3',
    '<%= config.bin %> backup restore --env demo --service visitors --undo',
    '<%= config.bin %> backup restore --env demo-new --from-env demo-old --service visitors',
    '<%= config.bin %> backup restore --env demo --service visitors --abandon',
  ]

  static override args = {id: Args.string({description: 'The backup to restore (default: the newest; see `mygate backup list`).'})}
  static override flags = {
    env: Flags.string({description: 'Environment.', required: true}),
    service: Flags.string({description: 'The service (or its database) to restore; repeat the flag for several (with --to-time).', multiple: true, multipleNonGreedy: true}),
    'to-time': Flags.string({description: 'Restore to this moment: an RFC 3339 time or an oplog timestamp SECONDS:ORDINAL (that operation included).'}),
    'no-switch': Flags.boolean({description: 'Restore beside the live database and stop: the service keeps reading the live one.'}),
    undo: Flags.boolean({description: 'Switch the service back to the set it read before the last restore (the restored set is kept).'}),
    abandon: Flags.boolean({description: 'Remove an unfinished restore that has not switched the service yet, or the set a --no-switch restore kept.'}),
    'dry-run': Flags.boolean({description: 'Print the plan; change nothing.'}),
    'from-env': Flags.string({description: "Restore another environment's backup (kept after `env destroy`): read from its backup site; the database users get this environment's passwords."}),
    confirm: Flags.string({description: 'The environment name again (production without a terminal).'}),
  }

  protected async execute(): Promise<BackupRestoreResult> {
    const {args, flags} = await this.parse(BackupRestore)
    return backupRestore({
      env: flags.env,
      services: flags.service ?? [],
      ...(args.id ? {id: args.id} : {}),
      ...(flags['to-time'] ? {toTime: flags['to-time']} : {}),
      noSwitch: flags['no-switch'],
      undo: flags.undo,
      abandon: flags.abandon,
      dryRun: flags['dry-run'],
      ...(flags.confirm === undefined ? {} : {confirm: flags.confirm}),
      ...(flags['from-env'] === undefined ? {} : {fromEnv: flags['from-env']}),
      terminal: canPrompt() && !this.jsonEnabled(),
      catalog: await loadCatalog(),
      onStep: (service, kind, state, detail) => {
        if (!this.jsonEnabled()) this.note(`[${kind}] ${service}: ${state === 'start' ? 'started' : detail ?? 'done'}`)
      },
      onProgress: (message) => {
        if (!this.jsonEnabled()) this.note(`  ${message}`)
      },
    })
  }

  protected override present(result: BackupRestoreResult): void {
    for (const r of result.restores) {
      if (result.dryRun) {
        this.log(`would restore ${r.database} (${r.service}) from backup ${r.backupId}${r.oplogLimit ? ` up to ${r.oplogLimit} (excluded)` : ''} into ${r.restoredSet}: ${r.steps.map((s) => s.kind).join(' -> ') || result.action}`)
        continue
      }
      if (result.action === 'abandon') {
        this.log(`${r.service}: restore ${r.runId} abandoned; ${r.restoredSet} ${r.removedSet ? 'removed' : 'was not created'}; ${r.service} reads ${r.serviceReads}`)
        continue
      }
      if (result.action === 'undo') {
        this.log(`${r.service}: reads ${r.serviceReads} again; ${r.restoredSet} kept with the ${r.writesSinceSwitch ?? 0} document change(s) it took since the switch`)
        continue
      }
      this.log(`${r.service}: backup ${r.backupId}${r.lastAppliedOp ? ` (last operation applied ${r.lastAppliedOp})` : ''} restored into ${r.restoredSet}${r.resumed ? ' (resumed)' : ''}; ${r.proven ? `${r.proven.documents} documents in ${r.proven.collections} collections proven` : 'not proven'}`)
      if (r.connection) this.log(`  ${r.restoredSet}: members ${r.connection.hosts.join(',')}; credentials in Secret ${r.connection.namespace}/${r.connection.credentialsSecret}`)
      if (r.keepPreviousUntil) this.log(`  ${r.previousSet} kept for --undo (may be scaled down after ${r.keepPreviousUntil})`)
    }
    const n = result.restores.length
    const what = result.dryRun ? 'DRY RUN' : 'SUCCESS'
    const did = result.dryRun ? 'nothing was changed' : result.action === 'restore' ? result.restores.map((r) => `${r.service} reads ${r.serviceReads}`).join(', ') : `${result.action} of ${n} restore${n === 1 ? '' : 's'}`
    this.log(`Result: ${what} — ${result.environment}${result.fromEnvironment ? ` (from ${result.fromEnvironment}'s backups)` : ''}: ${did}.`)
  }
}
