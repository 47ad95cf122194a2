import {Flags} from '@oclif/core'

import {loadCatalog} from '../../src/catalog/load-catalog.js'
import {MygateCommand} from '../../src/cli/base-command.js'
import {type SecretListResult, listSecrets} from '../../src/secrets/list.js'
import {formatAge} from '../../src/secrets/present.js'

export default class SecretsList extends MygateCommand<SecretListResult> {
  static override summary = "List an environment's Secrets: names, keys, source and age, never values."
  static override description =
    'Every Secret the services read, as found in the environment\'s clusters. SOURCE is generated (made by mygate), external (set by a user), ' +
    'reference (copied from AWS Secrets Manager / Google Secret Manager), placeholder (dev tier, not set yet; marked keys) or missing.'

  static override examples = ['<%= config.bin %> secrets list --env demo', '<%= config.bin %> secrets list --env demo --json']
  static override flags = {env: Flags.string({description: 'Environment.', required: true})}

  protected async execute(): Promise<SecretListResult> {
    const {flags} = await this.parse(SecretsList)
    return listSecrets({env: flags.env, catalog: await loadCatalog()})
  }

  protected override present(result: SecretListResult): void {
    const now = Date.now()
    const rows = result.secrets.map((s) => [
      s.name,
      s.source,
      s.keys.map((k) => (s.placeholderKeys.includes(k) ? `${k}*` : s.missingKeys.includes(k) ? `${k}!` : k)).join(','),
      s.createdAt ? formatAge(now - Date.parse(s.createdAt)) : '-',
      s.readers.join(','),
    ])
    const header = ['NAME', 'SOURCE', 'KEYS', 'AGE', 'READ BY']
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
    for (const row of [header, ...rows]) this.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd())
    if (result.secrets.some((s) => s.placeholderKeys.length > 0 || s.missingKeys.length > 0)) {
      this.log('')
      this.log(`* placeholder, ! missing: set with \`mygate secrets set NAME --env ${result.environment}\``)
    }
  }
}
