import {Args, Flags} from '@oclif/core'

import {loadCatalog} from '../src/catalog/load-catalog.js'
import {MygateCommand} from '../src/cli/base-command.js'
import type {DeployResult} from '../src/deploy/deploy.js'
import {canPrompt} from '../src/ui/confirm.js'
import {createProgress, progressMode} from '../src/ui/progress.js'

export default class Deploy extends MygateCommand<DeployResult> {
  static override summary = 'Deploy services with a canary, blue-green or rolling rollout.'
  static override description =
    'Validates every input before changing anything, takes the deploy lease of each service, records the rollout in the cluster ' +
    '(so `mygate rollout status|promote|abort|undo|resume|history` work from any machine) and runs it: canary weights by replica ratio, ' +
    'or through the Istio VirtualService when the environment has the mesh; analysis of error rate and p99 latency against the ' +
    "descriptor's thresholds through Prometheus; automatic rollback on failed analysis or crash-looping pods. Without a strategy flag, " +
    "the service's descriptor decides; canary steps, pause and analysis interval default to the descriptor's rollout settings. " +
    'Several services form a release train in dependency order. A MongoDB service (`billing-db`) is upgraded by role instead: ' +
    'secondaries restarted one at a time, the primary stepped down and restarted last. A prod-tier environment needs approval (typed in a terminal, --approve without one) ' +
    'and a clean git working tree unless --allow-dirty.'

  static override examples = [
    '<%= config.bin %> deploy visitors --env demo --version 3.5.0 --canary',
    '<%= config.bin %> deploy visitors --env demo --version 3.5.0 --canary --steps 10,50,100 --pause 1m --analysis-interval 30s',
    '<%= config.bin %> deploy billing --env demo --image registry.mygate.dev/mygate/billing:2.1.0 --blue-green',
    '<%= config.bin %> deploy auth users visitors --env staging --version 2026.11.1 --concurrency 2',
    '<%= config.bin %> deploy visitors --env prod --version 3.5.0 --approve --json',
    '<%= config.bin %> deploy billing-db --env demo --version 7.0.14',
  ]

  static override strict = false
  static override args = {service: Args.string({description: 'Services to deploy (several make a release train).'})}

  static override flags = {
    env: Flags.string({description: 'Environment to deploy to.', required: true}),
    version: Flags.string({description: 'Image tag to deploy (the image is REGISTRY/REPOSITORY:VERSION).'}),
    image: Flags.string({description: 'Full image reference with a tag or digest (one service only).'}),
    canary: Flags.boolean({description: 'Canary rollout.'}),
    'blue-green': Flags.boolean({description: 'Blue-green rollout.'}),
    rolling: Flags.boolean({description: 'Rolling update.'}),
    steps: Flags.string({description: 'Canary weights in percent, increasing, e.g. 10,25,50,100 (default: the descriptor).'}),
    pause: Flags.string({description: 'Bake time after each canary weight, e.g. 1m (default: the descriptor; 0 for none).'}),
    analysis: Flags.boolean({description: 'Analyse error rate and p99 latency at each step (default on).', allowNo: true}),
    'analysis-interval': Flags.string({description: 'Analysis interval and PromQL window, e.g. 30s (default: the descriptor).'}),
    'scale-down-delay': Flags.string({description: 'Blue-green: how long the old colour stays up after the switch (default 30s).'}),
    wait: Flags.boolean({description: 'Wait for the rollout to finish (default); --no-wait returns at the first pause.', allowNo: true, default: true}),
    timeout: Flags.string({description: 'Longest wait for pods to become ready at a step, or for a person at a pause (default 5m).'}),
    approve: Flags.boolean({description: 'Approve a production deploy without a terminal (CI).'}),
    'allow-dirty': Flags.boolean({description: 'Allow a production deploy from a dirty git working tree.'}),
    yes: Flags.boolean({description: 'Do not ask questions (non-prod needs none).'}),
    concurrency: Flags.integer({description: 'Most services rolled out at once in a release train.', default: 2}),
    'dry-run': Flags.boolean({description: 'Validate and print the plan; change nothing.'}),
  }

  protected async execute(): Promise<DeployResult> {
    const {argv, flags} = await this.parse(Deploy)
    const services = (argv as string[]).filter((a) => a !== '')
    const {deploy} = await import('../src/deploy/deploy.js')
    const catalog = await loadCatalog()
    return deploy({
      services,
      environment: flags.env,
      catalog,
      version: flags.version,
      image: flags.image,
      canary: flags.canary,
      blueGreen: flags['blue-green'],
      rolling: flags.rolling,
      steps: flags.steps,
      pause: flags.pause,
      analysis: flags.analysis,
      analysisInterval: flags['analysis-interval'],
      scaleDownDelay: flags['scale-down-delay'],
      timeout: flags.timeout,
      concurrency: flags.concurrency,
      wait: flags.wait,
      dryRun: flags['dry-run'],
      approve: flags.approve,
      allowDirty: flags['allow-dirty'],
      yes: flags.yes,
      terminal: canPrompt() && !this.jsonEnabled(),
      cwd: process.cwd(),
      progress: createProgress({mode: progressMode({json: this.jsonEnabled()})}),
    })
  }

  protected override present(result: DeployResult): void {
    if (result.dryRun) {
      for (const p of result.plan) {
        this.log(`${p.service}: ${p.strategy} ${p.from ?? '(none)'} -> ${p.to} (${p.image})`)
        p.steps.forEach((step, i) => this.log(`  ${i + 1}. ${step}`))
      }
      if (result.waves.length > 1) this.log(`Waves: ${result.waves.map((w) => w.join(', ')).join(' -> ')}`)
      this.log(result.summary)
      return
    }
    for (const d of result.databases ?? []) {
      this.log(`${d.service}: ${d.outcome} (by role ${d.from ?? '(none)'} -> ${d.image})`)
      d.restarted.forEach((m, i) => this.log(`  ${i + 1}. ${m.role} ${m.host} (${m.region})${m.role === 'primary' ? ', stepped down first' : ''}`))
    }
    for (const s of result.services) {
      const last = s.analysis.at(-1)
      this.log(`${s.service}: ${s.outcome} (${s.strategy} ${s.from ?? '(none)'} -> ${s.to}), ${s.weight}% on ${s.to}${last ? `, last analysis ${last.verdict}` : ''}`)
    }
    this.log(result.summary)
  }
}
