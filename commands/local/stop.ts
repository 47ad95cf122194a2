import {MygateCommand} from '../../src/cli/base-command.js'
import {stopLocal} from '../../src/local-control/lifecycle.js'

export default class LocalStop extends MygateCommand<{stopped: boolean; home: string}> {
  static override summary = 'Stop the local control plane cleanly; its objects are kept for the next start.'
  static override examples = ['<%= config.bin %> local stop']

  protected async execute() {
    await this.parse(LocalStop)
    return stopLocal()
  }

  protected override present(result: {stopped: boolean}): void {
    this.log(result.stopped ? 'Stopped the local control plane; its state is kept.' : 'The local control plane was not running.')
  }
}
