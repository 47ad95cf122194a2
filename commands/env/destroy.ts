import {Args, Flags} from '@oclif/core'

import {MygateCommand} from '../../src/cli/base-command.js'
import {DestroyEnvironmentResult, destroyEnvironment} from '../../src/env/destroy.js'
import {findDestroyTargets} from '../../src/env/destroy-targets.js'
import {OperationFailedError, UsageError} from '../../src/errors.js'
import {providerFor} from '../../src/providers/registry.js'
import {canPrompt, confirmOperation} from '../../src/ui/confirm.js'
import {progressMode} from '../../src/ui/progress.js'

interface DestroyResult {
  destroyed: DestroyEnvironmentResult[]
}

export default class EnvDestroy extends MygateCommand<DestroyResult> {
  static override summary = 'Destroy an environment: services, baseline, then clusters and node groups.'
  static override description =
    'Asks for the environment\'s name to be typed in a terminal. Without a terminal (CI) it never prompts: pass --yes, ' +
    'and for a prod-tier environment also --confirm NAME. --expired removes every environment whose TTL has run out. ' +
    'Backup buckets and their keys are kept (a new environment can restore from them) unless --delete-backups.'

  static override examples = ['<%= config.bin %> env destroy demo', '<%= config.bin %> env destroy demo --yes', '<%= config.bin %> env destroy prod --yes --confirm prod', '<%= config.bin %> env destroy --expired --yes', '<%= config.bin %> env destroy demo --delete-backups --confirm demo']

  static override args = {name: Args.string({description: 'Environment name.'})}
  static override flags = {
    yes: Flags.boolean({description: 'Do not ask (required without a terminal).'}),
    confirm: Flags.string({description: 'The environment name again (required for prod without a terminal).'}),
    expired: Flags.boolean({description: 'Destroy every environment whose TTL has expired.'}),
    'delete-backups': Flags.boolean({description: 'Also delete the backup buckets (every version) and schedule their keys for deletion. Needs the typed name (--confirm NAME without a terminal).'}),
  }

  protected async execute(): Promise<DestroyResult> {
    const {args, flags} = await this.parse(EnvDestroy)
    if (flags.expired === Boolean(args.name)) {
      throw new UsageError(args.name ? 'give either an environment name or --expired, not both' : 'which environment?', {
        hint: 'run `mygate env destroy NAME` or `mygate env destroy --expired`',
      })
    }
    const interactive = progressMode({json: this.jsonEnabled()}) === 'tree'
    const targets = await findDestroyTargets({name: args.name, expired: flags.expired, configPath: flags.config})
    if (flags.expired && targets.length === 0) this.note('No expired environments.')
    const destroyed: DestroyEnvironmentResult[] = []
    for (const {name, tier} of targets) {
      await confirmOperation({
        environment: name,
        tier,
        destructive: true,
        action: flags['delete-backups'] ? `destroy environment ${name} and delete its backups` : `destroy environment ${name}`,
        doing: flags['delete-backups'] ? `destroying environment ${name} with its backups` : `destroying environment ${name}`,
        ...(flags['delete-backups'] ? {typedNameBecause: 'it deletes the backups, which nothing can recreate'} : {}),
        terminal: canPrompt() && !this.jsonEnabled(),
        yes: flags.yes,
        confirm: flags.confirm,
      })
      destroyed.push(await destroyEnvironment({name, providerFor: (spec) => providerFor(spec.provider), interactive, deleteBackups: flags['delete-backups']}))
    }
    const leftovers = destroyed.flatMap((d) => d.leftBehind.map((l) => `${d.environment}: ${l.resource} (${l.reason})`))
    if (leftovers.length > 0) {
      throw new OperationFailedError(`could not remove ${leftovers.length} thing(s): ${leftovers.join('; ')}`, {
        hint: 're-run the destroy once the cause is fixed; what was removed stays removed',
        details: {destroyed},
      })
    }
    return {destroyed}
  }

  protected override present(result: DestroyResult): void {
    for (const d of result.destroyed) {
      for (const kept of d.kept) this.log(`  kept ${kept.resource}: ${kept.reason}`)
      // Deleted backups are said in full: the key's deletion is only scheduled (KMS waits at least 7 days).
      for (const removed of d.removed.filter((r) => /^(backup bucket|KMS key|Cloud KMS key)/.test(r))) this.log(`  deleted ${removed}`)
      for (const left of d.leftBehind) this.log(`  could not remove ${left.resource}: ${left.reason}`)
      this.log(
        d.leftBehind.length === 0
          ? `Result: SUCCESS — environment ${d.environment} destroyed (${d.removed.length} steps).`
          : `Result: PARTIAL — environment ${d.environment}: ${d.leftBehind.length} thing(s) left behind (listed above).`,
      )
    }
  }
}
