import {Args} from '@oclif/core'

import {MygateCommand} from '../../src/cli/base-command.js'
import {EnvironmentKubeconfig, environmentKubeconfig} from '../../src/env/kubeconfig.js'

export default class EnvKubeconfig extends MygateCommand<EnvironmentKubeconfig> {
  static override summary = 'Write the environment\'s kubeconfig under $MYGATE_HOME and print its path.'
  static override examples = ['kubectl --kubeconfig "$(<%= config.bin %> env kubeconfig demo)" get pods -A']
  static override args = {name: Args.string({description: 'Environment name.', required: true})}

  protected async execute(): Promise<EnvironmentKubeconfig> {
    const {args} = await this.parse(EnvKubeconfig)
    return environmentKubeconfig(args.name)
  }

  protected override present(result: EnvironmentKubeconfig): void {
    this.log(result.path)
  }
}
