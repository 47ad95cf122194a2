import {Args, Flags} from '@oclif/core'

import {MygateCommand} from '../../../src/cli/base-command.js'
import type {FlagRolloutResult} from '../../../src/flags/flag-rollout.js'
import {describeRollout} from '../../../src/flags/present.js'
import {createProgress, progressMode} from '../../../src/ui/progress.js'

export default class FlagsRolloutAbort extends MygateCommand<FlagRolloutResult> {
  static override summary = 'Stop a flag rollout and turn the flag off.'
  static override examples = ['<%= config.bin %> flags rollout abort upi-autopay --env demo']
  static override args = {flag: Args.string({description: 'Flag key.', required: true})}
  static override flags = {
    env: Flags.string({description: 'Environment.', required: true}),
    wait: Flags.boolean({description: 'Follow (or drive) the rollout until it ends or pauses (default).', allowNo: true, default: true}),
  }

  protected async execute(): Promise<FlagRolloutResult> {
    const {args, flags} = await this.parse(FlagsRolloutAbort)
    const {steerFlagRollout} = await import('../../../src/flags/flag-rollout.js')
    return steerFlagRollout('abort', {env: flags.env, flag: args.flag, wait: flags.wait, progress: createProgress({mode: progressMode({json: this.jsonEnabled()})})})
  }

  protected override present(result: FlagRolloutResult): void {
    this.log(describeRollout(result.state))
  }
}
