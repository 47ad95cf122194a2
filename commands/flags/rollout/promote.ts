import {Args, Flags} from '@oclif/core'

import {MygateCommand} from '../../../src/cli/base-command.js'
import type {FlagRolloutResult} from '../../../src/flags/flag-rollout.js'
import {describeRollout} from '../../../src/flags/present.js'
import {createProgress, progressMode} from '../../../src/ui/progress.js'

export default class FlagsRolloutPromote extends MygateCommand<FlagRolloutResult> {
  static override summary = "Skip the rest of the current step's pause (once its analysis passed), or continue a paused rollout."
  static override examples = ['<%= config.bin %> flags rollout promote upi-autopay --env demo']
  static override args = {flag: Args.string({description: 'Flag key.', required: true})}
  static override flags = {
    env: Flags.string({description: 'Environment.', required: true}),
    wait: Flags.boolean({description: 'Follow (or drive) the rollout until it ends or pauses (default).', allowNo: true, default: true}),
  }

  protected async execute(): Promise<FlagRolloutResult> {
    const {args, flags} = await this.parse(FlagsRolloutPromote)
    const {steerFlagRollout} = await import('../../../src/flags/flag-rollout.js')
    return steerFlagRollout('promote', {env: flags.env, flag: args.flag, wait: flags.wait, progress: createProgress({mode: progressMode({json: this.jsonEnabled()})})})
  }

  protected override present(result: FlagRolloutResult): void {
    this.log(describeRollout(result.state))
  }
}
