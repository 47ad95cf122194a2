import {Flags} from '@oclif/core'

import {MygateCommand} from '../../src/cli/base-command.js'
import {type FlagListResult, listFlags} from '../../src/flags/flag-operations.js'
import {formatTable, describeServing} from '../../src/flags/present.js'

export default class FlagsList extends MygateCommand<FlagListResult> {
  static override summary = "List an environment's feature flags: what each serves, and which services evaluate it."
  static override examples = ['<%= config.bin %> flags list --env demo', '<%= config.bin %> flags list --env demo --json']
  static override flags = {env: Flags.string({description: 'Environment.', required: true})}

  protected async execute(): Promise<FlagListResult> {
    const {flags} = await this.parse(FlagsList)
    return listFlags({env: flags.env})
  }

  protected override present(result: FlagListResult): void {
    const rows = result.flags.map((f) => [f.key, describeServing(f), f.services.join(',') || '-', f.description ?? ''])
    for (const line of formatTable(['FLAG', 'SERVING', 'SERVICES', 'DESCRIPTION'], rows)) this.log(line)
  }
}
