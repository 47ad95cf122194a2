import {Args, Flags} from '@oclif/core'

import {MygateCommand} from '../../src/cli/base-command.js'
import {type FlagGetResult, getFlag} from '../../src/flags/flag-operations.js'

export default class FlagsGet extends MygateCommand<FlagGetResult> {
  static override summary = 'Print one flag in flagd\'s format (state, variants, defaultVariant, targeting, metadata).'
  static override examples = ['<%= config.bin %> flags get upi-autopay --env demo']
  static override args = {flag: Args.string({description: 'Flag key.', required: true})}
  static override flags = {env: Flags.string({description: 'Environment.', required: true})}

  protected async execute(): Promise<FlagGetResult> {
    const {args, flags} = await this.parse(FlagsGet)
    return getFlag({env: flags.env, key: args.flag})
  }

  protected override present(result: FlagGetResult): void {
    this.log(JSON.stringify({[result.key]: result.flag}, null, 2))
  }
}
