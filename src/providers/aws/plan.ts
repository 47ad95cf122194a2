import type {ServiceDescriptor, Tier} from '../../catalog/types.js'
import type {EnvironmentSpec} from '../../config/types.js'
import type {ClusterPlan} from '../types.js'
import {environmentRegions} from '../naming.js'
import {DEFAULT_EKS_VERSION, awsClusterName, clusterRoleName, nodeRoleName} from './names.js'
import {VPC_CIDR} from './network.js'
import {planNodeGroups} from '../node-groups.js'

/** What an environment needs on AWS, as data: one EKS cluster per region with its node groups. */

const ON_DEMAND_TYPES: Record<Tier, string[]> = {dev: ['t3.large'], staging: ['m6i.large'], prod: ['m6i.xlarge']}
/** Several similar types: spot capacity is drawn from whichever pool has room. */
const SPOT_TYPES: Record<Tier, string[]> = {
  dev: ['t3.large', 't3a.large', 'm5.large'],
  staging: ['m6i.large', 'm5.large', 'm5a.large'],
  prod: ['m6i.xlarge', 'm5.xlarge', 'm5a.xlarge'],
}

/**
 * Named subnets (aws.subnetIds) belong to one region, so they are used for the primary; a
 * secondary region always gets a mygate-created VPC.
 */
export function usesOwnNetwork(env: EnvironmentSpec, role: 'primary' | 'secondary'): boolean {
  return role === 'secondary' || !env.aws?.subnetIds || env.aws.subnetIds.length === 0
}

export function planAwsClusters(env: EnvironmentSpec, services?: ServiceDescriptor[]): ClusterPlan[] {
  return environmentRegions(env).map(({region, role}) => {
    const supportingResources: string[] = []
    if (usesOwnNetwork(env, role)) {
      supportingResources.push(
        `VPC ${VPC_CIDR} with public and private subnets in up to 3 availability zones`,
        'internet gateway and route tables',
      )
    }
    if (!env.aws?.clusterRoleArn) supportingResources.push(`IAM role ${clusterRoleName(env.name, region)}`)
    if (!env.aws?.nodeRoleArn) supportingResources.push(`IAM role ${nodeRoleName(env.name, region)}`)
    return {
      region,
      role,
      clusterName: awsClusterName(env.name, region),
      kubernetesVersion: env.aws?.kubernetesVersion ?? DEFAULT_EKS_VERSION,
      nodeGroups: planNodeGroups({
        tier: env.tier,
        services,
        onDemandTypes: ON_DEMAND_TYPES[env.tier],
        spotTypes: SPOT_TYPES[env.tier],
        standby: role === 'secondary',
        pilotLight: role === 'secondary' && env.drMode === 'pilot-light',
      }),
      supportingResources,
    }
  })
}
