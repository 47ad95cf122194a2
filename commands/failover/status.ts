import {Flags} from '@oclif/core'

import {MygateCommand} from '../../src/cli/base-command.js'
import {failoverStatus, type StatusResult} from '../../src/failover/execute.js'
import {statusLines} from '../../src/failover/present.js'

export default class FailoverStatus extends MygateCommand<StatusResult> {
  static override summary = 'The active region and the newest failover run, step by step, with its measured RTO.'
  static override examples = ['<%= config.bin %> failover status --env demo']
  static override flags = {env: Flags.string({description: 'Environment name.', required: true})}

  protected async execute(): Promise<StatusResult> {
    const {flags} = await this.parse(FailoverStatus)
    return failoverStatus(flags.env)
  }

  protected override present(result: StatusResult): void {
    for (const line of statusLines(result)) this.log(line)
  }
}
