import {Args} from '@oclif/core'

import {MygateCommand} from '../../src/cli/base-command.js'
import {environmentHistory, type EnvironmentHistory} from '../../src/drift/history.js'

export default class EnvHistory extends MygateCommand<EnvironmentHistory> {
  static override summary = 'Show what environment-wide operations (env sync) changed, who ran them and when.'
  static override examples = ['<%= config.bin %> env history demo', '<%= config.bin %> env history demo --json']
  static override args = {name: Args.string({description: 'Environment name.', required: true})}

  protected async execute(): Promise<EnvironmentHistory> {
    const {args} = await this.parse(EnvHistory)
    return environmentHistory(args.name)
  }

  protected override present(history: EnvironmentHistory): void {
    if (history.entries.length === 0) this.log(`No environment operations recorded for ${history.environment}.`)
    for (const e of history.entries) {
      this.log(`${e.startedAt}  ${e.operation}  ${e.outcome}  by ${e.user}@${e.host}  (${e.changes.length} change${e.changes.length === 1 ? '' : 's'})${e.reason ? `: ${e.reason}` : ''}`)
      for (const c of e.changes) this.log(`    ${c.action} ${c.kind} ${c.namespace ? `${c.namespace}/` : ''}${c.name} in ${c.region}${c.fields ? `: ${c.fields.join(', ')}` : ''}`)
    }
  }
}
