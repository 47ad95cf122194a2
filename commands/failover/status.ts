import {Flags} from '@oclif/core'

import {MygateCommand} from '../../src/cli/base-command.js'
import {failoverStatus, type StatusResult} from '../../src/failover/execute.js'
import {statusLines} from '../../src/failover/present.js'
import {watchFailoverStatus} from '../../src/failover/watch-status.js'

export default class FailoverStatus extends MygateCommand<StatusResult> {
  static override summary = 'The active region and the newest failover run, step by step, with its measured RTO.'
  static override examples = ['<%= config.bin %> failover status --env demo', '<%= config.bin %> failover status --env demo --watch']
  static override flags = {
    env: Flags.string({description: 'Environment name.', required: true}),
    watch: Flags.boolean({description: 'Follow the newest run until it ends, printing each change (on stderr); then the final status.'}),
  }

  protected async execute(): Promise<StatusResult> {
    const {flags} = await this.parse(FailoverStatus)
    if (!flags.watch) return failoverStatus(flags.env)
    return watchFailoverStatus(flags.env, {onLines: (lines) => lines.forEach((line) => this.logToStderr(line))})
  }

  protected override present(result: StatusResult): void {
    for (const line of statusLines(result)) this.log(line)
  }
}
