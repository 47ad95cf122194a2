import {Flags} from '@oclif/core'

import {type ExecCredential, mintEksToken} from '../../src/auth/eks-token.js'
import {MygateCommand} from '../../src/cli/base-command.js'
import {UsageError} from '../../src/errors.js'

/**
 * `mygate auth eks-token`: the kubeconfig exec plugin of EKS environments. Prints a bare
 * ExecCredential (not the mygate --json envelope): kubectl parses stdout as exactly that.
 */
export default class AuthEksToken extends MygateCommand<ExecCredential> {
  static override description = 'Print an EKS bearer token as a Kubernetes ExecCredential (used by mygate kubeconfigs).'

  static override examples = ['<%= config.bin %> auth eks-token --cluster mygate-demo-eu-west-1 --region eu-west-1']

  // The output already is JSON, in kubectl's format.
  static override enableJsonFlag = false

  static override flags = {
    cluster: Flags.string({description: 'EKS cluster name.', required: true}),
    region: Flags.string({description: 'AWS region of the cluster (default: $AWS_REGION).', env: 'AWS_REGION'}),
  }

  protected async execute(): Promise<ExecCredential> {
    const {flags} = await this.parse(AuthEksToken)
    if (!flags.region) {
      throw new UsageError('no AWS region given for the EKS token', {hint: 'pass --region, or set AWS_REGION'})
    }
    return mintEksToken({clusterName: flags.cluster, region: flags.region})
  }

  protected override present(result: ExecCredential): void {
    process.stdout.write(`${JSON.stringify(result)}\n`)
  }
}
