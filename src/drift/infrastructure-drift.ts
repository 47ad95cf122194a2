import type {ClusterManagerClient} from '@google-cloud/container'

import type {ServiceDescriptor} from '../catalog/types.js'
import type {EnvironmentRecord} from '../env/record.js'
import type {AwsClientConfig} from '../providers/aws/clients.js'
import {compareInfrastructure, type InfrastructureDrift} from './infrastructure.js'

/**
 * The infrastructure part of `env diff`: for an aws environment, each region's EKS cluster and
 * node groups against what the recorded spec plans (src/providers/aws/plan.ts). Read-only; the
 * same for a gcp environment's GKE clusters and node pools. The cloud SDKs load only here (fast
 * start for every other provider). Two regions: the member names' private zone too
 * (member-zone-drift.ts). Undefined for local and kubeconfig, which have no infrastructure of
 * mygate's own.
 */
export async function infrastructureDrift(
  record: EnvironmentRecord,
  options: {services: ServiceDescriptor[]; regions?: string[]; clientConfig?: AwsClientConfig; gcpClientOptions?: ConstructorParameters<typeof ClusterManagerClient>[0]},
): Promise<InfrastructureDrift[] | undefined> {
  if (record.provider !== 'aws' && record.provider !== 'gcp') return undefined
  const clusters = record.provider === 'gcp' ? await gkeDrift(record, options) : await awsDrift(record, options)
  // As gkeDrift: a gcp record without its project has nothing to compare against.
  if (record.provider === 'gcp' && !record.spec.gcp?.project) return clusters
  const {memberZoneDrift} = await import('./member-zone-drift.js')
  return [...clusters, ...(await memberZoneDrift(record.spec, {services: options.services, zoneOptions: {aws: {config: options.clientConfig}}}))]
}

async function awsDrift(record: EnvironmentRecord, options: {services: ServiceDescriptor[]; regions?: string[]; clientConfig?: AwsClientConfig}): Promise<InfrastructureDrift[]> {
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

async function gkeDrift(
  record: EnvironmentRecord,
  options: {services: ServiceDescriptor[]; regions?: string[]; gcpClientOptions?: ConstructorParameters<typeof ClusterManagerClient>[0]},
): Promise<InfrastructureDrift[]> {
  const [{ClusterManagerClient}, {createGcpProvider}, {describeGkeInfrastructure, plannedGkeInfrastructure}] = await Promise.all([
    import('@google-cloud/container'),
    import('../providers/gcp/index.js'),
    import('../providers/gcp/describe-infrastructure.js'),
  ])
  const project = record.spec.gcp?.project
  if (!project) return []
  const plans = createGcpProvider({services: options.services}).planClusters(record.spec).filter((plan) => !options.regions || options.regions.includes(plan.region))
  const client = new ClusterManagerClient(options.gcpClientOptions)
  try {
    const found = await Promise.all(plans.map(async (plan) => compareInfrastructure(plannedGkeInfrastructure(record.spec, plan), await describeGkeInfrastructure(client, project, plan))))
    return found.flat()
  } finally {
    await client.close()
  }
}
