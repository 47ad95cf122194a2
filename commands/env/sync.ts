import {Args, Flags} from '@oclif/core'

import {MygateCommand} from '../../src/cli/base-command.js'
import {diffLines} from '../../src/drift/present.js'
import {syncEnvironment, type SyncResult} from '../../src/drift/sync.js'
import {canPrompt, confirmOperation} from '../../src/ui/confirm.js'

export default class EnvSync extends MygateCommand<SyncResult> {
  static override summary = 'Put drift right: apply the desired state where `env diff` found drift; with --prune also delete undeclared objects.'
  static override description =
    'Never deletes a PersistentVolumeClaim, a Secret or a database workload. Takes the environment lock (refused while a deploy or ' +
    'another environment operation holds a lock) and records what it changed (`mygate env history NAME`). A prod-tier environment ' +
    'needs its name typed in a terminal, or --confirm NAME without one; --prune elsewhere needs --yes without a terminal.'
  static override examples = ['<%= config.bin %> env sync demo --dry-run', '<%= config.bin %> env sync demo --prune --yes', '<%= config.bin %> env sync prod --confirm prod']
  static override args = {name: Args.string({description: 'Environment name.', required: true})}
  static override flags = {
    service: Flags.string({description: 'Only this service\'s objects (repeatable); nothing undeclared is pruned then.', multiple: true}),
    prune: Flags.boolean({description: 'Also delete objects in mygate\'s namespaces that nothing declares.'}),
    'dry-run': Flags.boolean({description: 'Print the plan; change nothing.'}),
    yes: Flags.boolean({description: 'Do not ask (needed for --prune without a terminal, outside prod).'}),
    confirm: Flags.string({description: 'The environment name again (prod without a terminal).'}),
  }

  protected async execute(): Promise<SyncResult> {
    const {args, flags} = await this.parse(EnvSync)
    return syncEnvironment({
      name: args.name,
      services: flags.service,
      prune: flags.prune,
      dryRun: flags['dry-run'],
      configPath: flags.config,
      confirm: (request) => confirmOperation({...request, terminal: canPrompt() && !this.jsonEnabled(), yes: flags.yes, confirm: flags.confirm}),
    })
  }

  protected override present(result: SyncResult): void {
    for (const line of diffLines(result.diff)) this.log(line)
    for (const step of result.steps.filter((s) => s.action === 'keep')) this.log(`  kept ${step.kind} ${step.namespace ? `${step.namespace}/` : ''}${step.name} in ${step.region}: ${step.reason}`)
    const work = result.steps.filter((s) => s.action !== 'keep')
    if (result.dryRun) {
      this.log(`Result: PLAN — ${work.length} change${work.length === 1 ? '' : 's'} (${count(work, 'apply')} to apply, ${count(work, 'create')} to create, ${count(work, 'delete')} to delete); nothing was changed.`)
      return
    }
    if (work.length === 0) {
      this.log('Result: NO DRIFT — nothing to change.')
      return
    }
    const c = result.changes
    this.log(`Result: SYNCED — ${c.filter((x) => x.action === 'applied').length} applied, ${c.filter((x) => x.action === 'created').length} created, ${c.filter((x) => x.action === 'deleted').length} deleted (audit ${result.auditId}; see \`mygate env history ${result.environment}\`).`)
  }
}

function count(steps: SyncResult['steps'], action: string): number {
  return steps.filter((s) => s.action === action).length
}
