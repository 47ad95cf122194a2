import type {ServiceDescriptor} from '../catalog/types.js'
import type {EnvironmentRecord} from '../env/record.js'
import type {AwsClientConfig} from '../providers/aws/clients.js'
import {compareInfrastructure, type InfrastructureDrift} from './infrastructure.js'

/**
 * The infrastructure part of `env diff`: for an aws environment, each region's EKS cluster and
 * node groups against what the recorded spec plans (src/providers/aws/plan.ts). Read-only; the
 * AWS SDK loads only here (fast start for every other provider). Undefined for providers whose
 * infrastructure is not compared yet (local and kubeconfig have none of their own; gcp is not
 * wired yet).
 */
export async function infrastructureDrift(
  record: EnvironmentRecord,
  options: {services: ServiceDescriptor[]; regions?: string[]; clientConfig?: AwsClientConfig},
): Promise<InfrastructureDrift[] | undefined> {
  if (record.provider !== 'aws') return undefined
  const [{createAwsProvider}, {createRegionClients, destroyRegionClients}, {describeAwsInfrastructure, plannedAwsInfrastructure}] = await Promise.all([
    import('../providers/aws/index.js'),
    import('../providers/aws/clients.js'),
    import('../providers/aws/describe-infrastructure.js'),
  ])
  const plans = createAwsProvider({services: options.services}).planClusters(record.spec).filter((plan) => !options.regions || options.regions.includes(plan.region))
  const drifts = await Promise.all(
    plans.map(async (plan) => {
      const clients = await createRegionClients(plan.region, options.clientConfig)
      try {
        return compareInfrastructure(plannedAwsInfrastructure(record.spec, plan), await describeAwsInfrastructure(clients, plan))
      } finally {
        destroyRegionClients(clients)
      }
    }),
  )
  return drifts.flat()
}
