import {MygateCommand} from '../../src/cli/base-command.js'
import {LocalStatus, localStatus} from '../../src/local-control/lifecycle.js'
import {presentLocalStatus} from '../../src/local-control/present.js'

export default class LocalStatusCommand extends MygateCommand<LocalStatus> {
  static override summary = 'Show the local control plane: clusters, endpoints, object counts.'
  static override examples = ['<%= config.bin %> local status', '<%= config.bin %> local status --json']

  protected async execute(): Promise<LocalStatus> {
    await this.parse(LocalStatusCommand)
    return localStatus()
  }

  protected override present(status: LocalStatus): void {
    if (!status.running) {
      this.log('The local control plane is not running. Start it with `mygate local start`.')
      return
    }
    presentLocalStatus(status, (line) => this.log(line))
  }
}
