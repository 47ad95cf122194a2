import {Args, Flags} from '@oclif/core'

import {MygateCommand} from '../../src/cli/base-command.js'
import {diffEnvironment, type EnvironmentDiff} from '../../src/drift/diff.js'
import {diffLines, diffVerdict} from '../../src/drift/present.js'
import {ExitCode} from '../../src/errors.js'

export default class EnvDiff extends MygateCommand<EnvironmentDiff> {
  static override summary = 'Show configuration drift: live objects that differ from what mygate declares, with the manager that changed each field.'
  static override description =
    'Compares every region\'s live objects with the desired state (rendered manifests at the recorded versions, the baseline, ' +
    'Secrets by hash) through a server-side apply dry-run. Not drift: API-server defaults, status, replicas an HPA scales, ' +
    'objects an operation in progress owns, and the environment\'s drift.ignore list in mygate.yaml. ' +
    `With --exit-code it exits ${ExitCode.ok} when nothing drifted and ${ExitCode.drift} when something did (errors keep their codes).`
  static override examples = ['<%= config.bin %> env diff demo', '<%= config.bin %> env diff prod --service visitors --region ap-south-1', '<%= config.bin %> env diff prod --json --exit-code']
  static override args = {name: Args.string({description: 'Environment name.', required: true})}
  static override flags = {
    service: Flags.string({description: 'Only this service\'s objects (repeatable); undeclared objects are then not looked for.', multiple: true}),
    region: Flags.string({description: 'Only this region.'}),
    'exit-code': Flags.boolean({description: `Exit ${ExitCode.drift} when something drifted, ${ExitCode.ok} when nothing did.`}),
  }

  private exitOnDrift = false

  protected async execute(): Promise<EnvironmentDiff> {
    const {args, flags} = await this.parse(EnvDiff)
    this.exitOnDrift = flags['exit-code']
    return diffEnvironment({name: args.name, services: flags.service, region: flags.region, configPath: flags.config})
  }

  override async run(): Promise<EnvironmentDiff> {
    const result = await super.run()
    // Set, not thrown: the result is printed in full (and --json stays a success envelope).
    if (this.exitOnDrift && result.drifted) process.exitCode = ExitCode.drift
    return result
  }

  protected override present(diff: EnvironmentDiff): void {
    for (const line of diffLines(diff)) this.log(line)
    this.log(diffVerdict(diff))
  }
}
