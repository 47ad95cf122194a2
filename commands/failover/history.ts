import {Flags} from '@oclif/core'

import {MygateCommand} from '../../src/cli/base-command.js'
import {failoverHistory, type HistoryEntry} from '../../src/failover/execute.js'
import {historyLines} from '../../src/failover/present.js'

export default class FailoverHistory extends MygateCommand<{environment: string; runs: HistoryEntry[]}> {
  static override summary = 'Every failover of an environment: who, why, outcome, RTO and data-loss window.'
  static override examples = ['<%= config.bin %> failover history --env demo']
  static override flags = {env: Flags.string({description: 'Environment name.', required: true})}

  protected async execute(): Promise<{environment: string; runs: HistoryEntry[]}> {
    const {flags} = await this.parse(FailoverHistory)
    return failoverHistory(flags.env)
  }

  protected override present(result: {environment: string; runs: HistoryEntry[]}): void {
    for (const line of historyLines(result.runs)) this.log(line)
  }
}
