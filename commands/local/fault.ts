import {Flags} from '@oclif/core'

import {MygateCommand} from '../../src/cli/base-command.js'
import {parseDuration} from '../../src/duration.js'
import {FaultRequest, FaultResult, injectFaults} from '../../src/local-control/inject-faults.js'

export default class LocalFault extends MygateCommand<FaultResult> {
  static override summary = 'Inject or clear faults in a local environment.'
  static override description =
    'Service faults (error rate, latency, crash loop, failing readiness) apply to the pods of a service version and show in pod status and in the metrics API. ' +
    '--flag makes only the requests that get a feature flag\'s on-variant fail. ' +
    '--replication-lag makes a database\'s secondaries (in every region, or --region\'s) replicate that far behind the primary. ' +
    '--region-down takes a region\'s cluster offline; --api-* flags make the API server fail, slow down, or lose the responses of writes it carried out. --clear removes what the other flags select.'

  static override examples = [
    '<%= config.bin %> local fault --env demo --service visitors --version 1.3.0 --error-rate 0.3',
    '<%= config.bin %> local fault --env demo --service visitors --version 1.3.0 --crash',
    '<%= config.bin %> local fault --env demo --service billing-db --replication-lag 2m',
    '<%= config.bin %> local fault --env demo --region-down local-1',
    '<%= config.bin %> local fault --env demo --api-error-rate 0.2 --api-status 503',
    '<%= config.bin %> local fault --env demo --api-lost-response-rate 0.1 --api-lost-response drop',
    '<%= config.bin %> local fault --env demo --service visitors --clear',
  ]

  static override flags = {
    env: Flags.string({description: 'Environment (provider local).', required: true}),
    service: Flags.string({description: 'Service whose pods get the fault.'}),
    version: Flags.string({description: 'Only this version of the service (default: every version).'}),
    'error-rate': Flags.string({description: 'Share of requests that fail with 5xx, 0..1.'}),
    'latency-ms': Flags.integer({description: 'p99 latency the service shows, in ms.', min: 0}),
    crash: Flags.boolean({description: 'Pods crash-loop.'}),
    'not-ready': Flags.boolean({description: 'Pods run but never become ready.'}),
    'replication-lag': Flags.string({description: 'For a database service: its secondaries replicate this far behind the primary (e.g. 2m).'}),
    'region-down': Flags.string({description: 'Take this region\'s cluster offline.'}),
    'api-error-rate': Flags.string({description: 'Share of API requests answered with an error, 0..1.'}),
    'api-status': Flags.integer({description: 'Status for injected API errors (500, 503, 429, 409); repeatable.', multiple: true}),
    'api-latency-ms': Flags.integer({description: 'Latency added to every API request, in ms.', min: 0}),
    'api-lost-response-rate': Flags.string({description: 'Share of API writes carried out whose response is then lost, 0..1 (proves client retries idempotent).'}),
    'api-lost-response': Flags.string({
      description: 'How a lost response shows: drop (connection closed), error (a 5xx after the write), or both in turn.',
      options: ['drop', 'error', 'both'],
    }),
    'api-retry-after': Flags.integer({
      description: 'Seconds in the Retry-After of injected 429 and 503 answers (default 1, as kube-apiserver sends; 0 lets tests retry at once).',
      min: 0,
    }),
    region: Flags.string({description: 'Limit service and API faults to this region.'}),
    clear: Flags.boolean({description: 'Remove the selected faults instead of adding them.'}),
    flag: Flags.string({description: "Requests that get this flag's on-variant fail at --error-rate (in every service that evaluates it, or --service's)."}),
  }

  protected async execute(): Promise<FaultResult> {
    const {flags} = await this.parse(LocalFault)
    return injectFaults({
      env: flags.env,
      service: flags.service,
      version: flags.version,
      errorRate: parseRate(flags['error-rate']),
      latencyMs: flags['latency-ms'],
      crash: flags.crash,
      notReady: flags['not-ready'],
      replicationLagMs: flags['replication-lag'] === undefined ? undefined : parseDuration(flags['replication-lag'], '--replication-lag'),
      regionDown: flags['region-down'],
      apiErrorRate: parseRate(flags['api-error-rate']),
      apiStatuses: flags['api-status'],
      apiLatencyMs: flags['api-latency-ms'],
      apiLostResponseRate: parseRate(flags['api-lost-response-rate']),
      apiLostResponse: flags['api-lost-response'] as FaultRequest['apiLostResponse'],
      apiRetryAfterSeconds: flags['api-retry-after'],
      region: flags.region,
      clear: flags.clear,
      flag: flags.flag,
    })
  }

  protected override present(result: FaultResult): void {
    for (const change of result.changes) this.log(change)
  }
}

function parseRate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  // A non-number becomes NaN, which fails the 0..1 check in validateFaultRequest naming the flag.
  return value.trim() === '' ? Number.NaN : Number(value)
}
