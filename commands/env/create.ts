import {Args, Flags} from '@oclif/core'

import {TIERS} from '../../src/catalog/types.js'
import {loadCatalog} from '../../src/catalog/load-catalog.js'
import {MygateCommand} from '../../src/cli/base-command.js'
import {loadProjectConfig} from '../../src/config/load-project-config.js'
import {DR_MODES, PROVIDERS} from '../../src/config/types.js'
import {CreateEnvironmentResult, createEnvironment} from '../../src/env/create.js'
import {planLines} from '../../src/env/plan.js'
import {resolveCreateSpec} from '../../src/env/resolve-spec.js'
import {providerFor} from '../../src/providers/registry.js'
import {progressMode} from '../../src/ui/progress.js'

export default class EnvCreate extends MygateCommand<CreateEnvironmentResult> {
  static override summary = 'Create (or converge) an environment with every bundled service running.'
  static override description =
    'Plans the clusters, baseline and services, makes the clusters exist on the provider, applies the baseline and the services ' +
    'in dependency order with server-side apply, waits until each is ready, and records the environment in its cluster(s). ' +
    'Running it again finishes a half-created environment and changes nothing in a complete one. With no provider configured, `local` is used.'

  static override examples = [
    '<%= config.bin %> env create demo',
    '<%= config.bin %> env create demo --region local-1 --secondary-region local-2',
    '<%= config.bin %> env create pr-42 --ttl 8h --json',
    '<%= config.bin %> env create staging --provider aws --infra-only',
    '<%= config.bin %> env create demo --dry-run',
  ]

  static override args = {name: Args.string({description: 'Environment name (a DNS-1123 label).', required: true})}

  static override flags = {
    provider: Flags.string({description: 'Where the clusters come from.', options: [...PROVIDERS]}),
    tier: Flags.string({description: 'Sizing tier.', options: [...TIERS]}),
    region: Flags.string({description: 'Primary region.'}),
    'secondary-region': Flags.string({description: 'Disaster-recovery region.'}),
    'dr-mode': Flags.string({description: 'How the secondary region runs.', options: [...DR_MODES]}),
    context: Flags.string({description: 'kubeconfig context (provider kubeconfig).'}),
    file: Flags.string({description: 'Env file with one environment entry (keys as in mygate.yaml).'}),
    ttl: Flags.string({description: 'Time to live, e.g. 8h; expired environments are listed and removed by `env destroy --expired`.'}),
    'infra-only': Flags.boolean({description: 'Stop once the clusters exist and the kubeconfig is written.'}),
    'dry-run': Flags.boolean({description: 'Print the plan and change nothing.'}),
    yes: Flags.boolean({description: 'Do not ask for confirmation.'}),
    timeout: Flags.string({description: 'How long to wait for each wave of services (e.g. 5m).', default: '5m'}),
  }

  protected async execute(): Promise<CreateEnvironmentResult> {
    const {args, flags} = await this.parse(EnvCreate)
    const {parseDuration} = await import('../../src/duration.js')
    const waveTimeoutMs = parseDuration(flags.timeout, '--timeout')
    const config = await loadProjectConfig({configPath: flags.config})
    const env = await resolveCreateSpec(args.name, config, {
      provider: flags.provider as (typeof PROVIDERS)[number] | undefined,
      tier: flags.tier as (typeof TIERS)[number] | undefined,
      region: flags.region,
      secondaryRegion: flags['secondary-region'],
      drMode: flags['dr-mode'] as (typeof DR_MODES)[number] | undefined,
      context: flags.context,
      ttl: flags.ttl,
      file: flags.file,
    })
    const catalog = await loadCatalog()
    const provider = await providerFor(env.provider, {services: catalog.services})
    return createEnvironment({
      env,
      catalog,
      provider,
      infraOnly: flags['infra-only'],
      dryRun: flags['dry-run'],
      waveTimeoutMs,
      interactive: progressMode({json: this.jsonEnabled()}) === 'tree',
    })
  }

  protected override present(result: CreateEnvironmentResult): void {
    if (result.dryRun) {
      for (const line of planLines(result.plan)) this.log(line)
      this.log('Dry run: nothing was changed.')
      return
    }
    for (const skipped of result.applied.skipped) this.note(skipped)
    if (result.plan && result.services.length > 0) {
      const width = Math.max(...result.services.map((s) => s.service.length))
      const rows = result.services.map((s) => `  ${s.verdict === 'succeeded' ? '✔' : '✖'} ${s.service.padEnd(width)}  ${s.region.padEnd(10)} ${s.message}`)
      this.log(`Services (${result.services.length}):`)
      for (const row of rows) this.log(row)
    }
    this.log(
      result.changed
        ? `Result: SUCCESS — environment ${result.environment} is ready (${result.applied.created} created, ${result.applied.configured} configured, ${result.applied.unchanged} unchanged).`
        : `Result: SUCCESS — environment ${result.environment} was already up to date; nothing changed.`,
    )
    if (result.kubeconfig) {
      const context = Object.values(result.contexts ?? {})[0]
      this.log(`Use it with: kubectl --kubeconfig ${result.kubeconfig} --context ${context} get deployments -A`)
    }
  }
}
