import {SteerRolloutCommand} from '../../src/cli/steer-command.js'

export default class RolloutResume extends SteerRolloutCommand {
  static override summary = 'Resume a rollout: after an inconclusive analysis, or one whose CLI died mid-way.'
  static override examples = ['<%= config.bin %> rollout resume visitors --env demo']

  protected readonly action = 'resume'
  protected readonly wanted = ['succeeded', 'paused'] as const
}
