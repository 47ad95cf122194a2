import {Flags} from '@oclif/core'

import {loadCatalog} from '../../src/catalog/load-catalog.js'
import {MygateCommand} from '../../src/cli/base-command.js'
import {type DrillResult, runDrill} from '../../src/failover/drill.js'
import {drillLines} from '../../src/failover/present.js'
import {canPrompt} from '../../src/ui/confirm.js'
import {progressMode} from '../../src/ui/progress.js'

export default class FailoverDrill extends MygateCommand<DrillResult> {
  static override summary = 'Rehearse losing the active region and measure RTO and RPO against every service\'s targets.'
  static override description =
    'On the local provider: takes the active region down (region outage fault), runs a forced failover (confirmed by the drill: nothing real is at risk), ' +
    'brings the region back, applies the pending fence, resyncs its databases (reporting rolled-back writes), fails back, and judges each phase. ' +
    'On any other provider a drill is a real planned switchover and needs --confirm NAME. Exits 7 when a target is missed.'

  static override examples = ['<%= config.bin %> failover drill --env demo', '<%= config.bin %> failover drill --env staging --confirm staging --json']

  static override flags = {
    env: Flags.string({description: 'Environment name.', required: true}),
    confirm: Flags.string({description: 'The environment name again: required outside the local provider, where the drill is a real switchover.'}),
    reason: Flags.string({description: 'Why, recorded with the runs.'}),
  }

  protected async execute(): Promise<DrillResult> {
    const {flags} = await this.parse(FailoverDrill)
    return runDrill({
      env: flags.env,
      catalog: await loadCatalog(),
      confirm: flags.confirm,
      reason: flags.reason,
      terminal: canPrompt() && !this.jsonEnabled(),
      progress: progressMode({json: this.jsonEnabled()}),
    })
  }

  protected override present(result: DrillResult): void {
    for (const line of drillLines(result)) this.log(line)
  }
}
