import {Flags} from '@oclif/core'

import {MygateCommand} from '../src/cli/base-command.js'
import {OUTPUT_FORMATS, OutputFormat, formatObjects} from '../src/render/output.js'
import {RenderManifestsResult, renderManifests} from '../src/render/render-manifests.js'

/**
 * `mygate render`: catalog + environment -> validated Kubernetes manifests.
 * `--json` result: RenderManifestsResult (src/render/render-manifests.ts):
 * `{env, objects, files?, dir?, manifests?}`.
 */
export default class Render extends MygateCommand<RenderManifestsResult> {
  static override description =
    'Render the manifests of an environment (baseline + services), validated against the Kubernetes and CRD schemas.'

  static override examples = [
    '<%= config.bin %> render --env dev | kubectl apply -f -',
    '<%= config.bin %> render --env prod --service billing --service auth --output json',
    '<%= config.bin %> render --env staging --out ./rendered',
  ]

  static override flags = {
    env: Flags.string({char: 'e', description: 'Environment from mygate.yaml.', default: 'dev'}),
    service: Flags.string({char: 's', description: 'Only this service (repeatable).', multiple: true}),
    out: Flags.string({
      description: 'Write one file per service (plus 00-baseline) into this directory, all or nothing.',
    }),
    output: Flags.string({description: 'Output format.', options: [...OUTPUT_FORMATS], default: 'yaml'}),
    baseline: Flags.boolean({
      description: 'Include the baseline (namespaces, policies, RBAC, quotas, alerts).',
      default: true,
      allowNo: true,
    }),
  }

  private format: OutputFormat = 'yaml'

  protected async execute(): Promise<RenderManifestsResult> {
    const {flags} = await this.parse(Render)
    this.format = flags.output as OutputFormat
    return renderManifests({
      env: flags.env,
      services: flags.service,
      out: flags.out,
      format: this.format,
      includeBaseline: flags.baseline,
      configPath: flags.config,
    })
  }

  protected override present(result: RenderManifestsResult): void {
    if (result.manifests) {
      process.stdout.write(formatObjects(result.manifests, this.format))
      return
    }
    this.log(`Wrote ${result.objects} objects for ${result.env} in ${result.files?.length ?? 0} files to ${result.dir}`)
  }
}
