import {SteerRolloutCommand} from '../../src/cli/steer-command.js'

export default class RolloutAbort extends SteerRolloutCommand {
  static override summary = 'Abort a rollout in progress: traffic returns to the previous version at once.'
  static override examples = ['<%= config.bin %> rollout abort visitors --env demo']

  protected readonly action = 'abort'
  protected readonly wanted = ['rolledBack', 'aborted', 'paused'] as const
}
