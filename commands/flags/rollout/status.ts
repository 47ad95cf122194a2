import {Args, Flags} from '@oclif/core'

import {MygateCommand} from '../../../src/cli/base-command.js'
import type {FlagRolloutResult} from '../../../src/flags/flag-rollout.js'
import {describeRollout} from '../../../src/flags/present.js'
import {createProgress, progressMode} from '../../../src/ui/progress.js'

export default class FlagsRolloutStatus extends MygateCommand<FlagRolloutResult> {
  static override summary = 'Show a flag rollout: phase, current split, latest measurements.'
  static override examples = ['<%= config.bin %> flags rollout status upi-autopay --env demo']
  static override args = {flag: Args.string({description: 'Flag key.', required: true})}
  static override flags = {
    env: Flags.string({description: 'Environment.', required: true}),

  }

  protected async execute(): Promise<FlagRolloutResult> {
    const {args, flags} = await this.parse(FlagsRolloutStatus)
    const {steerFlagRollout} = await import('../../../src/flags/flag-rollout.js')
    return steerFlagRollout('status', {env: flags.env, flag: args.flag, progress: createProgress({mode: progressMode({json: this.jsonEnabled()})})})
  }

  protected override present(result: FlagRolloutResult): void {
    this.log(describeRollout(result.state))
  }
}
