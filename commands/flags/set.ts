import {Args, Flags} from '@oclif/core'

import {MygateCommand} from '../../src/cli/base-command.js'
import {type FlagChangeResult, setFlags} from '../../src/flags/flag-operations.js'
import {describeChange} from '../../src/flags/present.js'

export default class FlagsSet extends MygateCommand<FlagChangeResult> {
  static override summary = 'Create or replace flags, from a flagd flag file or from flags.'
  static override description =
    'The result is validated against flagd\'s published schema before anything is written; every region gets the same flags. ' +
    'metadata.services names the services that evaluate the flag (their analysis and lock during a rollout).'

  static override examples = [
    '<%= config.bin %> flags set --env demo --file flags.yaml',
    '<%= config.bin %> flags set upi-autopay --env demo --variant on=true --variant off=false --default-variant off --services billing',
  ]

  static override args = {flag: Args.string({description: 'Flag key (with --file: only this flag of the file).'})}
  static override flags = {
    env: Flags.string({description: 'Environment.', required: true}),
    file: Flags.string({description: 'A flag set in flagd\'s format, YAML or JSON: {flags: {KEY: {...}}}.'}),
    variant: Flags.string({description: 'NAME=VALUE (true/false, number, JSON or text); repeatable; replaces the variants.', multiple: true}),
    'default-variant': Flags.string({description: 'Variant served when no targeting applies.'}),
    state: Flags.string({description: 'ENABLED or DISABLED (flagd treats a disabled flag as absent).', options: ['ENABLED', 'DISABLED']}),
    services: Flags.string({description: 'Comma-separated services that evaluate the flag.'}),
    description: Flags.string({description: 'One line shown by `flags list`.'}),
  }

  protected async execute(): Promise<FlagChangeResult> {
    const {args, flags} = await this.parse(FlagsSet)
    return setFlags({
      env: flags.env,
      key: args.flag,
      file: flags.file,
      variants: flags.variant,
      defaultVariant: flags['default-variant'],
      state: flags.state as 'ENABLED' | 'DISABLED' | undefined,
      services: flags.services,
      description: flags.description,
    })
  }

  protected override present(result: FlagChangeResult): void {
    for (const line of describeChange(result)) this.log(line)
  }
}
