import {Flags} from '@oclif/core'

import {loadCatalog} from '../../src/catalog/load-catalog.js'
import {MygateCommand} from '../../src/cli/base-command.js'
import {CHECK_NAMES} from '../../src/failover/checks.js'
import {type FailoverResult, runFailover} from '../../src/failover/execute.js'
import {planLines} from '../../src/failover/plan.js'
import {presentRun} from '../../src/failover/present.js'
import {canPrompt} from '../../src/ui/confirm.js'
import {progressMode} from '../../src/ui/progress.js'

export default class Failover extends MygateCommand<FailoverResult> {
  static override summary = 'Move an environment to its other region: a planned switchover, or a forced failover when the active region is lost.'
  static override description =
    'Plans the steps, runs the readiness checks in the target region, then scales the target up, moves every database PRIMARY, ' +
    'switches traffic, verifies the gateway and records the new active region. --forced fences the lost region first and ' +
    'needs the environment name typed (or --confirm NAME without a terminal). A forced failover then takes a new base backup of every database in the new ' +
    'region; one that cannot be taken is a warning (above the Result line; --json: warnings), the exit code stays 0 (the failover happened).'

  static override examples = [
    '<%= config.bin %> failover --env demo --dry-run',
    '<%= config.bin %> failover --env demo',
    '<%= config.bin %> failover --env prod --forced --confirm prod --reason "eu-west-1 outage"',
  ]

  static override flags = {
    env: Flags.string({description: 'Environment name.', required: true}),
    to: Flags.string({description: 'Target region (default: the region that is not active).'}),
    planned: Flags.boolean({description: 'A planned switchover: both regions answer (the default).', exclusive: ['forced']}),
    forced: Flags.boolean({description: 'The active region is lost: fence it, then force the survivors.', exclusive: ['planned']}),
    'dry-run': Flags.boolean({description: 'Print the plan; change nothing.'}),
    override: Flags.string({description: `Skip a failing readiness check (asks for confirmation): ${CHECK_NAMES.join(', ')}.`, multiple: true}),
    confirm: Flags.string({description: 'The environment name again (a forced failover or --override without a terminal).'}),
    reason: Flags.string({description: 'Why, recorded with the run.'}),
  }

  protected async execute(): Promise<FailoverResult> {
    const {flags} = await this.parse(Failover)
    const result = await runFailover({
      env: flags.env,
      catalog: await loadCatalog(),
      mode: flags.forced ? 'forced' : 'planned',
      to: flags.to,
      dryRun: flags['dry-run'],
      overrides: flags.override,
      confirm: flags.confirm,
      terminal: canPrompt() && !this.jsonEnabled(),
      reason: flags.reason,
      progress: progressMode({json: this.jsonEnabled()}),
    })
    // The envelope's warnings (--json); a person reads them above the Result line (presentRun).
    if (this.jsonEnabled()) for (const warning of result.warnings ?? []) this.addWarning(warning)
    return result
  }

  protected override present(result: FailoverResult): void {
    if (result.dryRun) {
      for (const line of planLines(result.plan)) this.log(line)
      return
    }
    for (const line of presentRun(result)) this.log(line)
  }
}
