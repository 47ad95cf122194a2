import {Flags} from '@oclif/core'

import {loadCatalog} from '../../src/catalog/load-catalog.js'
import {MygateCommand} from '../../src/cli/base-command.js'
import {parseDuration} from '../../src/duration.js'
import {ExitCode} from '../../src/errors.js'
import {watchExitCode, watchLines} from '../../src/failover/watch/present.js'
import {DEFAULT_WATCH_INTERVAL_MS, DEFAULT_WATCH_THRESHOLD, type WatchResult, watchEnvironment} from '../../src/failover/watch/watch.js'
import {progressMode} from '../../src/ui/progress.js'

export default class FailoverWatch extends MygateCommand<WatchResult> {
  static override summary = 'Watch every region; when the serving one is lost, run the steps that need no human, or alert one.'
  static override description =
    'Probes each region every interval (its cluster API with a short time-out, the gateway, every database through one status Job) and declares a region lost ' +
    'only after --threshold failed probes in a row. If MongoDB already elected every PRIMARY in the surviving region, the watch takes the environment lock and runs ' +
    'scale-up, Redis, DNS, verification and the record as a failover run of its own (who = watch). Where a forced reconfiguration would be needed it never forces: ' +
    'it alerts (a line on stderr, a Warning Event in the survivor\'s mygate-system, the exact `mygate failover --forced` command) and keeps watching. ' +
    `With --once it exits ${ExitCode.ok} when every region is healthy, ${ExitCode.watchHandled} when a lost region was handled, ${ExitCode.watchNeedsHuman} when a person must act.`

  static override examples = ['<%= config.bin %> failover watch --env prod', '<%= config.bin %> failover watch --env prod --once --json   # in a scheduled CI job']

  static override flags = {
    env: Flags.string({description: 'Environment name.', required: true}),
    interval: Flags.string({description: 'Time between probe rounds.', default: `${DEFAULT_WATCH_INTERVAL_MS / 1000}s`}),
    threshold: Flags.integer({description: 'Failed probes in a row before a region counts as lost.', default: DEFAULT_WATCH_THRESHOLD, min: 1}),
    once: Flags.boolean({description: `Probe until there is a verdict, then exit: ${ExitCode.ok} healthy, ${ExitCode.watchHandled} lost and handled, ${ExitCode.watchNeedsHuman} lost and a person must act.`}),
  }

  private once = false

  protected async execute(): Promise<WatchResult> {
    const {flags} = await this.parse(FailoverWatch)
    this.once = flags.once
    const controller = new AbortController()
    const stop = () => controller.abort()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    try {
      return await watchEnvironment({
        env: flags.env,
        catalog: await loadCatalog(),
        intervalMs: parseDuration(flags.interval, '--interval'),
        threshold: flags.threshold,
        once: flags.once,
        progress: progressMode({json: this.jsonEnabled()}),
        // Always on stderr, with --json too: the alerts are for whoever watches the log.
        onLine: (line) => this.note(`${new Date().toISOString()} ${line}`),
        signal: controller.signal,
      })
    } finally {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
    }
  }

  override async run(): Promise<WatchResult> {
    const result = await super.run()
    // Set, not thrown: the result is printed in full (and --json stays a success envelope).
    if (this.once) process.exitCode = watchExitCode(result)
    return result
  }

  protected override present(result: WatchResult): void {
    for (const line of watchLines(result)) this.log(line)
  }
}
