import {Args, Flags} from '@oclif/core'

import {MygateCommand} from '../../src/cli/base-command.js'
import type {RolloutStatus} from '../../src/deploy/rollout-status.js'

export default class RolloutStatusCommand extends MygateCommand<RolloutStatus> {
  static override summary = "Show a service's current (or last) rollout, from the record in the cluster."
  static override description = 'With --watch, follows the rollout live (a watch on its record) until it finishes.'
  static override examples = ['<%= config.bin %> rollout status visitors --env demo', '<%= config.bin %> rollout status visitors --env demo --watch']
  static override args = {service: Args.string({description: 'Service.', required: true})}
  static override flags = {
    env: Flags.string({description: 'Environment.', required: true}),
    watch: Flags.boolean({description: 'Follow the rollout until it finishes.'}),
  }

  protected async execute(): Promise<RolloutStatus> {
    const {args, flags} = await this.parse(RolloutStatusCommand)
    if (!flags.watch) {
      // Kept lean: the steering code is not loaded for a plain status (see src/deploy/rollout-status.ts).
      const {rolloutStatus} = await import('../../src/deploy/rollout-status.js')
      return rolloutStatus(args.service, flags.env)
    }
    const steer = await import('../../src/deploy/steer.js')
    let printed = 0
    return steer.watchRolloutStatus(args.service, flags.env, (status) => {
      if (this.jsonEnabled()) return
      this.log(`${printed++ === 0 ? '' : '\n'}${status.lines.join('\n')}`)
    })
  }

  protected override present(result: RolloutStatus): void {
    const {argv} = this
    if (argv.includes('--watch')) return
    for (const line of result.lines) this.log(line)
  }
}
