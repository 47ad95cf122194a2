import {loadCatalog} from '../../src/catalog/load-catalog.js'
import {type ServiceSummary, formatServiceTable, summarizeCatalog} from '../../src/catalog/summary.js'
import {MygateCommand} from '../../src/cli/base-command.js'

/**
 * `mygate services list`: every bundled service, apps first, then databases and the cache.
 * `--json` result: ServiceSummary[] (see src/catalog/summary.ts): name, kind, description, image,
 * strategy, criticality, replicas {dev, staging, prod}, spot, dependsOn.
 */
export default class ServicesList extends MygateCommand<ServiceSummary[]> {
  static override description = 'List the bundled MyGate services with their rollout strategy, criticality, replicas per tier and spot use.'

  static override examples = ['<%= config.bin %> services list', '<%= config.bin %> services list --json | jq -r \'.result[].name\'']

  protected async execute(): Promise<ServiceSummary[]> {
    await this.parse(ServicesList)
    return summarizeCatalog(await loadCatalog())
  }

  protected override present(result: ServiceSummary[]): void {
    this.log(formatServiceTable(result))
  }
}
