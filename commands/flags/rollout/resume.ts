import {Args, Flags} from '@oclif/core'

import {MygateCommand} from '../../../src/cli/base-command.js'
import type {FlagRolloutResult} from '../../../src/flags/flag-rollout.js'
import {describeRollout} from '../../../src/flags/present.js'
import {createProgress, progressMode} from '../../../src/ui/progress.js'

export default class FlagsRolloutResume extends MygateCommand<FlagRolloutResult> {
  static override summary = 'Continue a paused rollout, or drive on one whose CLI died.'
  static override description =
    'Drives the rollout from the step recorded in the cluster: at once when its CLI died on this host, once that CLI\'s flag lock expires when it ran elsewhere ' +
    '(meanwhile it follows the live driver). A rollout that already ended is reported with its exit code: 0, or 7 when its analysis turned the flag off.'
  static override examples = ['<%= config.bin %> flags rollout resume upi-autopay --env demo']
  static override args = {flag: Args.string({description: 'Flag key.', required: true})}
  static override flags = {
    env: Flags.string({description: 'Environment.', required: true}),
    wait: Flags.boolean({description: 'Follow (or drive) the rollout until it ends or pauses (default).', allowNo: true, default: true}),
  }

  protected async execute(): Promise<FlagRolloutResult> {
    const {args, flags} = await this.parse(FlagsRolloutResume)
    const {steerFlagRollout} = await import('../../../src/flags/flag-rollout.js')
    return steerFlagRollout('resume', {env: flags.env, flag: args.flag, wait: flags.wait, progress: createProgress({mode: progressMode({json: this.jsonEnabled()})})})
  }

  protected override present(result: FlagRolloutResult): void {
    this.log(describeRollout(result.state))
  }
}
