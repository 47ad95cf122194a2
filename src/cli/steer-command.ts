import {Args, Flags} from '@oclif/core'

import {BookkeepingError, OperationFailedError} from '../errors.js'
import type {SteerResult} from '../deploy/steer.js'
import {createProgress, progressMode} from '../ui/progress.js'
import {MygateCommand} from './base-command.js'

const OUTCOME_WORD: Record<SteerResult['result']['outcome'], string> = {
  succeeded: 'SUCCESS',
  rolledBack: 'ROLLED BACK',
  aborted: 'ABORTED',
  failed: 'FAILED',
  paused: 'PAUSED',
}

/**
 * Shared shape of `mygate rollout promote|abort|undo|resume`: write the request into the rollout
 * record in the cluster, then follow (or drive) the rollout to its outcome.
 */
export abstract class SteerRolloutCommand extends MygateCommand<SteerResult> {
  static override description =
    'Writes the request into the rollout record in the cluster. When another CLI is driving the rollout (it holds the deploy lease) that CLI ' +
    'carries it out and this command follows it; otherwise this command drives the rollout on until it finishes (or pauses, with --no-wait).'

  static override args = {service: Args.string({description: 'Service.', required: true})}
  static override flags = {
    env: Flags.string({description: 'Environment.', required: true}),
    wait: Flags.boolean({description: 'Wait until the rollout finishes or pauses (default).', allowNo: true, default: true}),
  }

  protected abstract readonly action: SteerResult['action']
  /** Outcomes that mean the request did what it asked; anything else exits non-zero. */
  protected abstract readonly wanted: ReadonlyArray<SteerResult['result']['outcome']>

  protected async execute(): Promise<SteerResult> {
    // oclif copies a command's own static `args` only; this class's are inherited, so name them.
    const ctor = this.ctor as typeof SteerRolloutCommand
    const {args, flags} = await this.parse({args: ctor.args, flags: ctor.flags, baseFlags: ctor.baseFlags, enableJsonFlag: ctor.enableJsonFlag})
    const {steerRollout} = await import('../deploy/steer.js')
    let result: SteerResult
    try {
      result = await steerRollout(this.action, {
        service: args.service,
        environment: flags.env,
        wait: flags.wait,
        full: (flags as {full?: boolean}).full,
        progress: createProgress({mode: progressMode({json: this.jsonEnabled()})}),
      })
    } catch (error) {
      // Missing records are exit 8 only when the request did what it asked; otherwise it failed (exit 7).
      const ended = error instanceof BookkeepingError ? (error.details?.result as SteerResult | undefined) : undefined
      if (ended === undefined || this.wanted.includes(ended.result.outcome)) throw error
      result = ended
    }
    if (!this.wanted.includes(result.result.outcome)) {
      throw new OperationFailedError(`${args.service} in ${flags.env}: ${result.result.message}`, {details: {result}})
    }
    return result
  }

  protected override present(result: SteerResult): void {
    this.log(`Result: ${OUTCOME_WORD[result.result.outcome]} — ${result.result.message}`)
  }
}
