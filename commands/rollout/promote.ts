import {Args, Flags} from '@oclif/core'

import {MygateCommand} from '../../src/cli/base-command.js'
import {OperationFailedError} from '../../src/errors.js'
import type {SteerResult} from '../../src/rollout-io/steer.js'

const OUTCOME_WORD: Record<SteerResult['result']['outcome'], string> = {succeeded: 'SUCCESS', rolledBack: 'ROLLED BACK', aborted: 'ABORTED', failed: 'FAILED', paused: 'PAUSED'}

export default class RolloutPromote extends MygateCommand<SteerResult> {
  static override summary = 'Continue a paused rollout: skip the current pause or analysis; --full skips to the promotion.'
  static override description =
    'Writes the request into the rollout record in the cluster. When another CLI is driving the rollout (it holds the deploy lease) that CLI ' +
    'carries it out and this command follows it; otherwise this command drives the rollout on until it finishes (or pauses, with --no-wait).'

  static override examples = ['<%= config.bin %> rollout promote visitors --env demo']
  static override args = {service: Args.string({description: 'Service.', required: true})}
  static override flags = {
    env: Flags.string({description: 'Environment.', required: true}),
    wait: Flags.boolean({description: 'Wait until the rollout finishes or pauses (default).', allowNo: true, default: true}),
    full: Flags.boolean({description: 'Skip every remaining step up to the promotion.'}),
  }

  protected async execute(): Promise<SteerResult> {
    const {args, flags} = await this.parse(RolloutPromote)
    const {steerRollout} = await import('../../src/rollout-io/steer.js')
    const result = await steerRollout('promote', {service: args.service, environment: flags.env, wait: flags.wait, full: flags.full, report: (line) => this.note(line)})
    const outcome = result.result.outcome
    // Undo and abort succeed when the previous version serves again; anything else that ended
    // without success (an automatic rollback after resume or promote) is a failed operation.
    const wanted = ['succeeded', 'paused']
    if (!wanted.includes(outcome)) {
      throw new OperationFailedError(`${args.service} in ${flags.env}: ${result.result.message}`, {details: {result}})
    }
    return result
  }

  protected override present(result: SteerResult): void {
    const r = result.result
    this.log(`Result: ${OUTCOME_WORD[r.outcome]} — ${r.message}`)
  }
}
