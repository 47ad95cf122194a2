import {MygateCommand} from '../../src/cli/base-command.js'
import {loadProjectConfig} from '../../src/config/load-project-config.js'
import {EnvironmentSummary, listEnvironments} from '../../src/env/list.js'

export default class EnvList extends MygateCommand<EnvironmentSummary[]> {
  static override summary = 'List environments: created ones (read from their clusters) and those only declared in mygate.yaml.'
  static override examples = ['<%= config.bin %> env list', '<%= config.bin %> env list --json | jq -r \'.result[] | select(.expired) | .name\'']

  protected async execute(): Promise<EnvironmentSummary[]> {
    const {flags} = await this.parse(EnvList)
    const config = await loadProjectConfig({configPath: flags.config})
    return listEnvironments({config})
  }

  protected override present(rows: EnvironmentSummary[]): void {
    const table = rows.map((r) => [
      r.name,
      r.status === 'created' ? (r.expired ? 'expired' : (r.phase ?? '')) : r.status,
      r.provider ?? '',
      r.tier ?? '',
      [r.regions?.primary, r.regions?.secondary].filter(Boolean).join(', '),
      r.activeRegion ?? '',
      r.createdAt?.slice(0, 19).replace('T', ' ') ?? '',
    ])
    const header = ['NAME', 'STATUS', 'PROVIDER', 'TIER', 'REGIONS', 'ACTIVE', 'CREATED']
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)))
    for (const row of [header, ...table]) this.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd())
  }
}
