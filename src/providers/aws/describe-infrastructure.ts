import type {EnvironmentSpec} from '../../config/types.js'
import type {InfraCluster} from '../../drift/infrastructure.js'
import type {ClusterPlan} from '../types.js'
import type {AwsRegionClients} from './clients.js'
import {environmentTags, TAG} from './names.js'

/**
 * Read-only, for `env diff`: what EKS reports for one region's cluster and its planned node
 * groups (DescribeCluster, DescribeNodegroup), and what the plan says it should be, in the shape
 * src/drift/infrastructure.ts compares. Absent resources are undefined / left out; other failures
 * are the SDK's errors.
 */
export async function describeAwsInfrastructure(clients: AwsRegionClients, plan: ClusterPlan): Promise<InfraCluster | undefined> {
  const {eks, sdk} = clients
  let cluster
  try {
    cluster = (await eks.send(new sdk.eks.DescribeClusterCommand({name: plan.clusterName}))).cluster
  } catch (error) {
    if ((error as {name?: string}).name === 'ResourceNotFoundException') return undefined
    throw error
  }
  const nodeGroups: InfraCluster['nodeGroups'] = []
  for (const group of plan.nodeGroups) {
    try {
      const found = (await eks.send(new sdk.eks.DescribeNodegroupCommand({clusterName: plan.clusterName, nodegroupName: group.name}))).nodegroup
      if (!found) continue
      nodeGroups.push({
        name: group.name,
        capacity: found.capacityType === 'SPOT' ? 'spot' : 'on-demand',
        instanceTypes: found.instanceTypes ?? [],
        minSize: found.scalingConfig?.minSize ?? 0,
        maxSize: found.scalingConfig?.maxSize ?? 0,
        tags: found.tags ?? {},
      })
    } catch (error) {
      if ((error as {name?: string}).name !== 'ResourceNotFoundException') throw error
    }
  }
  return {region: plan.region, clusterName: plan.clusterName, kubernetesVersion: cluster?.version, tags: cluster?.tags ?? {}, nodeGroups}
}

/** The cluster the environment's spec plans for a region (src/providers/aws/plan.ts), tags included. */
export function plannedAwsInfrastructure(env: EnvironmentSpec, plan: ClusterPlan): InfraCluster {
  const tags = environmentTags(env, plan.region, plan.role)
  return {
    region: plan.region,
    clusterName: plan.clusterName,
    ...(plan.kubernetesVersion ? {kubernetesVersion: plan.kubernetesVersion} : {}),
    tags,
    nodeGroups: plan.nodeGroups.map((group) => ({
      name: group.name,
      capacity: group.capacity,
      instanceTypes: group.instanceTypes,
      minSize: group.minSize,
      maxSize: group.maxSize,
      tags: {...tags, [TAG.component]: group.name},
    })),
  }
}
