import {Flags} from '@oclif/core'

import {SteerRolloutCommand} from '../../src/cli/steer-command.js'

export default class RolloutPromote extends SteerRolloutCommand {
  static override summary = 'Continue a paused rollout: skip the current pause or analysis; --full skips to the promotion.'
  static override examples = ['<%= config.bin %> rollout promote visitors --env demo', '<%= config.bin %> rollout promote visitors --env demo --full']
  static override flags = {
    ...SteerRolloutCommand.flags,
    full: Flags.boolean({description: 'Skip every remaining step up to the promotion.'}),
  }

  protected readonly action = 'promote'
  protected readonly wanted = ['succeeded', 'paused'] as const
}
