import {Args} from '@oclif/core'

import {requireService} from '../../src/catalog/catalog.js'
import {loadCatalog} from '../../src/catalog/load-catalog.js'
import {formatServiceDetails} from '../../src/catalog/summary.js'
import type {ServiceDescriptor} from '../../src/catalog/types.js'
import {MygateCommand} from '../../src/cli/base-command.js'

/**
 * `mygate services show NAME`: one descriptor with defaults applied.
 * `--json` result: the full ServiceDescriptor (src/catalog/types.ts). Unknown NAME: exit 3.
 */
export default class ServicesShow extends MygateCommand<ServiceDescriptor> {
  static override description = 'Show one bundled service descriptor: image, probes, tiers, rollout, dependencies, secrets (by reference), recovery targets and backups.'

  static override args = {
    name: Args.string({description: 'Service name, as listed by `mygate services list`.', required: true}),
  }

  static override examples = ['<%= config.bin %> services show billing', '<%= config.bin %> services show billing --json']

  protected async execute(): Promise<ServiceDescriptor> {
    const {args} = await this.parse(ServicesShow)
    return requireService(await loadCatalog(), args.name)
  }

  protected override present(result: ServiceDescriptor): void {
    this.log(formatServiceDetails(result))
  }
}
