import {SteerRolloutCommand} from '../../src/cli/steer-command.js'

export default class RolloutUndo extends SteerRolloutCommand {
  static override summary = 'Undo the last rollout: back to the previous version (instant while the old version still runs).'
  static override examples = ['<%= config.bin %> rollout undo visitors --env demo']

  protected readonly action = 'undo'
  protected readonly wanted = ['rolledBack', 'aborted', 'paused'] as const
}
