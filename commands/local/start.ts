import {Flags} from '@oclif/core'

import {MygateCommand} from '../../src/cli/base-command.js'
import {LocalStatus, startLocal} from '../../src/local-control/lifecycle.js'
import {presentLocalStatus} from '../../src/local-control/present.js'

export default class LocalStart extends MygateCommand<LocalStatus> {
  static override summary = 'Start the embedded local control plane (idempotent).'
  static override description =
    'Runs a Kubernetes-compatible API server with simulated nodes on 127.0.0.1, detached, with its state under $MYGATE_HOME/local. ' +
    'Creates a `default` cluster when none exists and prints the kubectl line to use. Touches ~/.kube/config only with --merge-kubeconfig.'

  static override examples = ['<%= config.bin %> local start', 'kubectl --kubeconfig ~/.mygate/local/kubeconfig.yaml get nodes']

  static override flags = {
    'merge-kubeconfig': Flags.boolean({description: 'Also add the local contexts to your kubeconfig ($KUBECONFIG or ~/.kube/config).'}),
  }

  protected async execute(): Promise<LocalStatus> {
    const {flags} = await this.parse(LocalStart)
    const status = await startLocal()
    if (flags['merge-kubeconfig']) {
      const {mergeIntoUserKubeconfig} = await import('../../src/local-control/merge-kubeconfig.js')
      status.mergedInto = (await mergeIntoUserKubeconfig(status.kubeconfig)).path
    }
    return status
  }

  protected override present(status: LocalStatus): void {
    this.note(status.started ? `Started the local control plane (pid ${status.pid}).` : `The local control plane is already running (pid ${status.pid}).`)
    presentLocalStatus(status, (line) => this.log(line))
    if (status.mergedInto) this.log(`Added the local contexts to ${status.mergedInto}.`)
  }
}
