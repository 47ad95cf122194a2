import {Args, Flags} from '@oclif/core'

import {MygateCommand} from '../../src/cli/base-command.js'
import type {HistoryResult} from '../../src/deploy/steer.js'

export default class RolloutHistory extends MygateCommand<HistoryResult> {
  static override summary = "List a service's deploys in an environment: who, what, git state, when, outcome (the last 50)."
  static override examples = ['<%= config.bin %> rollout history visitors --env demo', '<%= config.bin %> rollout history visitors --env demo --json']
  static override args = {service: Args.string({description: 'Service.', required: true})}
  static override flags = {env: Flags.string({description: 'Environment.', required: true})}

  protected async execute(): Promise<HistoryResult> {
    const {args, flags} = await this.parse(RolloutHistory)
    const {rolloutHistory} = await import('../../src/deploy/steer.js')
    return rolloutHistory(args.service, flags.env)
  }

  protected override present(result: HistoryResult): void {
    if (result.entries.length === 0) {
      this.log(`No deploys of ${result.service} recorded in ${result.environment}.`)
      return
    }
    for (const e of [...result.entries].reverse()) {
      const git = e.git ? ` git ${e.git.commit.slice(0, 7)} on ${e.git.branch}${e.git.dirty ? ' (dirty)' : ''}` : ''
      this.log(`${e.startedAt}  ${e.strategy.padEnd(10)} ${(e.fromVersion ?? '(none)').padEnd(10)} -> ${e.toVersion.padEnd(10)} ${e.outcome.padEnd(11)} by ${e.user}@${e.host}${git}${e.reason ? ` — ${e.reason}` : ''}`)
    }
  }
}
