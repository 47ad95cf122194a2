import {Args, Flags} from '@oclif/core'

import {MygateCommand} from '../../src/cli/base-command.js'
import {type FlagChangeResult, deleteFlag} from '../../src/flags/flag-operations.js'
import {describeChange} from '../../src/flags/present.js'

export default class FlagsDelete extends MygateCommand<FlagChangeResult> {
  static override summary = 'Delete a flag (services then get their code default).'
  static override examples = ['<%= config.bin %> flags delete upi-autopay --env demo']
  static override args = {flag: Args.string({description: 'Flag key.', required: true})}
  static override flags = {env: Flags.string({description: 'Environment.', required: true})}

  protected async execute(): Promise<FlagChangeResult> {
    const {args, flags} = await this.parse(FlagsDelete)
    return deleteFlag({env: flags.env, key: args.flag})
  }

  protected override present(result: FlagChangeResult): void {
    for (const line of describeChange(result)) this.log(line)
  }
}
