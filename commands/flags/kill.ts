import {Args, Flags} from '@oclif/core'

import {MygateCommand} from '../../src/cli/base-command.js'
import {type FlagChangeResult, killFlag} from '../../src/flags/flag-operations.js'
import {describeChange} from '../../src/flags/present.js'

export default class FlagsKill extends MygateCommand<FlagChangeResult> {
  static override summary = 'Turn a flag off now, stopping any rollout of it. Never refused: it takes no lock.'
  static override examples = ['<%= config.bin %> flags kill upi-autopay --env demo --reason "payments failing"']
  static override args = {flag: Args.string({description: 'Flag key.', required: true})}
  static override flags = {
    env: Flags.string({description: 'Environment.', required: true}),
    reason: Flags.string({description: 'Why, for the audit trail.'}),
  }

  protected async execute(): Promise<FlagChangeResult> {
    const {args, flags} = await this.parse(FlagsKill)
    return killFlag({env: flags.env, key: args.flag, reason: flags.reason})
  }

  protected override present(result: FlagChangeResult): void {
    for (const line of describeChange(result)) this.log(line)
    if (result.abortedRollout) this.log(`rollout ${result.abortedRollout} aborted`)
  }
}
