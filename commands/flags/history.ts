import {Args, Flags} from '@oclif/core'

import {MygateCommand} from '../../src/cli/base-command.js'
import {flagHistory, type FlagHistoryResult} from '../../src/flags/flag-operations.js'
import {describeServingOf, formatTable} from '../../src/flags/present.js'

export default class FlagsHistory extends MygateCommand<FlagHistoryResult> {
  static override summary = 'Every change to the flags of an environment: when, who, from which commit, before and after.'
  static override examples = ['<%= config.bin %> flags history --env demo', '<%= config.bin %> flags history upi-autopay --env demo --json']
  static override args = {flag: Args.string({description: 'Only this flag.'})}
  static override flags = {
    env: Flags.string({description: 'Environment.', required: true}),
    limit: Flags.integer({description: 'Newest entries to show.', default: 50, min: 1}),
  }

  protected async execute(): Promise<FlagHistoryResult> {
    const {args, flags} = await this.parse(FlagsHistory)
    return flagHistory({env: flags.env, key: args.flag, limit: flags.limit})
  }

  protected override present(result: FlagHistoryResult): void {
    const rows = result.entries.map((e) => [
      e.at.replace(/\.\d+Z$/, 'Z'),
      e.flag,
      e.action,
      `${describeServingOf(e.before)} -> ${describeServingOf(e.after)}`,
      `${e.user}@${e.host}`,
      e.git ? e.git.commit.slice(0, 7) + (e.git.dirty ? '+' : '') : '-',
      e.reason ?? '',
    ])
    for (const line of formatTable(['TIME', 'FLAG', 'ACTION', 'CHANGE', 'BY', 'COMMIT', 'REASON'], rows)) this.log(line)
  }
}
