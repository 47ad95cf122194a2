import {Flags} from '@oclif/core'

import {loadCatalog} from '../src/catalog/load-catalog.js'
import {MygateCommand} from '../src/cli/base-command.js'
import {type FailbackResult, runFailback} from '../src/failover/failback.js'
import {presentRun} from '../src/failover/present.js'
import {canPrompt} from '../src/ui/confirm.js'
import {progressMode} from '../src/ui/progress.js'

export default class Failback extends MygateCommand<FailbackResult> {
  static override summary = 'Return to the region the last failover left, once it is fenced and caught up.'
  static override description =
    'Refused while the old region is not fenced (it has not answered since a forced failover) or its databases lag beyond their RPO. ' +
    'After a forced failover the old members rejoin first; the writes MongoDB rolls back on them are reported.'

  static override examples = ['<%= config.bin %> failback --env demo']
  static override flags = {
    env: Flags.string({description: 'Environment name.', required: true}),
    confirm: Flags.string({description: 'The environment name again (production without a terminal).'}),
    reason: Flags.string({description: 'Why, recorded with the run.'}),
  }

  protected async execute(): Promise<FailbackResult> {
    const {flags} = await this.parse(Failback)
    return runFailback({
      env: flags.env,
      catalog: await loadCatalog(),
      confirm: flags.confirm,
      terminal: canPrompt() && !this.jsonEnabled(),
      reason: flags.reason,
      progress: progressMode({json: this.jsonEnabled()}),
    })
  }

  protected override present(result: FailbackResult): void {
    for (const line of presentRun(result)) this.log(line)
  }
}
