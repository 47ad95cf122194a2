import {Args, Flags} from '@oclif/core'

import {MygateCommand} from '../../../src/cli/base-command.js'
import {parseDuration} from '../../../src/duration.js'
import {parseSteps} from '../../../src/flags/flag-changes.js'
import type {FlagRolloutResult} from '../../../src/flags/flag-rollout.js'
import {describeRollout} from '../../../src/flags/present.js'
import {createProgress, progressMode} from '../../../src/ui/progress.js'

export default class FlagsRollout extends MygateCommand<FlagRolloutResult> {
  static override summary = "Roll a flag out step by step, judging the services that evaluate it by the canary analysis, split by variant."
  static override description =
    'Moves the flag\'s fractional split through --steps; at each step measures the error rate and p99 latency of the requests that got the on-variant ' +
    '(in every service of the flag\'s metadata.services, against their descriptors\' thresholds) every --analysis-interval, and moves on after --pause. ' +
    'A failed measurement turns the flag off (default variant off, split removed) and exits 7 naming the metric, value and threshold. ' +
    'The state lives in the cluster: steer it from any machine with `flags rollout status|promote|abort|resume`; a CLI killed at any point is carried on by `resume`. ' +
    'Each step shows as a named phase with its verdict on stderr (a task tree in a terminal, plain lines in CI). ' +
    '--json prints {environment, flag, state} (state: phase, stepIndex, appliedPercent, lastMeasurements, failure).'

  static override examples = [
    '<%= config.bin %> flags rollout upi-autopay --env demo --steps 1,10,50,100 --pause 5m',
    '<%= config.bin %> flags rollout upi-autopay --env demo --steps 5,25,100 --pause 10m --analysis-interval 1m',
  ]

  static override args = {flag: Args.string({description: 'Flag key.', required: true})}
  static override flags = {
    env: Flags.string({description: 'Environment.', required: true}),
    steps: Flags.string({description: 'Percentages of the on-variant, increasing, 1..100.', default: '1,10,50,100'}),
    pause: Flags.string({description: 'Time at each step before the next (e.g. 5m).', default: '5m'}),
    'analysis-interval': Flags.string({description: 'How often to measure (e.g. 1m).', default: '1m'}),
  }

  protected async execute(): Promise<FlagRolloutResult> {
    const {args, flags} = await this.parse(FlagsRollout)
    const steps = parseSteps(flags.steps)
    const pauseMs = parseDuration(flags.pause, '--pause')
    const analysisIntervalMs = parseDuration(flags['analysis-interval'], '--analysis-interval')
    const {startFlagRollout} = await import('../../../src/flags/flag-rollout.js')
    return startFlagRollout({env: flags.env, flag: args.flag, steps, pauseMs, analysisIntervalMs, progress: createProgress({mode: progressMode({json: this.jsonEnabled()})})})
  }

  protected override present(result: FlagRolloutResult): void {
    this.log(describeRollout(result.state))
  }
}
