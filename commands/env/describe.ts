import {Args} from '@oclif/core'

import {MygateCommand} from '../../src/cli/base-command.js'
import {EnvironmentDescription, describeEnvironment} from '../../src/env/describe.js'

export default class EnvDescribe extends MygateCommand<EnvironmentDescription> {
  static override summary = 'Show an environment: clusters, regions, endpoints, kubeconfig, and each service\'s version, replicas and health.'
  static override examples = ['<%= config.bin %> env describe demo', '<%= config.bin %> env describe demo --json']
  static override args = {name: Args.string({description: 'Environment name.', required: true})}

  protected async execute(): Promise<EnvironmentDescription> {
    const {args} = await this.parse(EnvDescribe)
    return describeEnvironment(args.name)
  }

  protected override present(d: EnvironmentDescription): void {
    this.log(`Environment: ${d.name}  (provider ${d.provider}, tier ${d.tier}, ${d.expired ? 'EXPIRED' : d.phase})`)
    this.log(`Created:     ${d.createdAt}${d.expiresAt ? `   expires ${d.expiresAt}` : ''}`)
    this.log(`Kubeconfig:  ${d.kubeconfig}`)
    if (d.dns) {
      this.log(`DNS:         ${d.dns.name} -> ${d.dns.active.join(', ') || 'no region answers'} (${d.dns.mode})`)
      for (const r of d.dns.regions) {
        const state = [r.healthy === false ? 'unhealthy' : 'healthy', ...(r.weight !== undefined ? [`weight ${r.weight}`] : []), ...(r.withdrawn ? ['withdrawn'] : [])]
        this.log(`  ${d.dns.active.includes(r.region) ? '●' : '○'} ${r.region.padEnd(14)} ${(r.endpoint ?? '(no entry point)').padEnd(48)} ${state.join(', ')}`)
      }
    } else if (d.dnsError) {
      this.log(`DNS:         unknown (${d.dnsError})`)
    }
    for (const r of d.regions) {
      this.log('')
      this.log(`Region ${r.region} [${r.role}${r.active ? ', active' : ''}]  cluster ${r.clusterName}  context ${r.context}${r.endpoint ? `  ${r.endpoint}` : ''}`)
      if (!r.reachable) {
        this.log(`  unreachable: ${r.error}`)
        continue
      }
      for (const s of r.services) {
        this.log(`  ${s.health === 'Healthy' ? '✔' : s.health === 'Degraded' ? '✖' : '…'} ${s.name.padEnd(14)} ${s.version.padEnd(10)} ${`${s.ready}/${s.replicas}`.padEnd(6)} ${s.health}`)
      }
    }
  }
}
