import type {ServiceDescriptor, Tier} from '../../catalog/types.js'
import type {EnvironmentSpec} from '../../config/types.js'
import type {ClusterPlan} from '../types.js'
import {environmentRegions} from '../naming.js'
import {DATABASE_PORTS, type RegionRole, vpcCidrFor} from './address-plan.js'
import {DEFAULT_EKS_VERSION, awsClusterName, clusterRoleName, databaseSecurityGroupName, nodeRoleName} from './names.js'
import {planNodeGroups} from '../node-groups.js'
import {MEMBER_ZONE_DOMAIN} from '../member-names.js'

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

/** The range a region's VPC is planned with; the named subnets' VPC has whatever range it has. */
function plannedRange(env: EnvironmentSpec, role: RegionRole): string {
  return usesOwnNetwork(env, role) ? vpcCidrFor(role) : 'the range of the named subnets\' VPC'
}

/** The cross-region pieces of one region (network.ts documents the plan and the rules). */
function regionLinkResources(env: EnvironmentSpec, region: string, role: RegionRole, peerRegion: string): string[] {
  const peerRole: RegionRole = role === 'primary' ? 'secondary' : 'primary'
  const ports = DATABASE_PORTS.map(({port, service}) => `${port} (${service})`).join(', ')
  return [
    role === 'primary'
      ? `VPC peering with ${peerRegion} (requested here, accepted in ${peerRegion}); routes to ${plannedRange(env, peerRole)} through it`
      : `VPC peering with ${peerRegion} (accepted here); routes to ${plannedRange(env, peerRole)} through it`,
    `security group ${databaseSecurityGroupName(env.name, region)} for the per-member database load balancers: TCP ${ports} from ${plannedRange(env, 'primary')} and ${plannedRange(env, 'secondary')}`,
    // Global, listed once: made by env create once the member load balancers have addresses (src/env/member-names.ts).
    ...(role === 'primary' ? [`Route 53 private hosted zone ${MEMBER_ZONE_DOMAIN} for the members' names, associated with both regions' VPCs`] : []),
  ]
}

export function planAwsClusters(env: EnvironmentSpec, services?: ServiceDescriptor[]): ClusterPlan[] {
  const regions = environmentRegions(env)
  return regions.map(({region, role}) => {
    const supportingResources: string[] = []
    if (usesOwnNetwork(env, role)) {
      supportingResources.push(
        `VPC ${vpcCidrFor(role)} with public and private subnets in up to 3 availability zones (an existing VPC keeps its range)`,
        'internet gateway and route tables',
      )
    }
    const peer = regions.find((candidate) => candidate.region !== region)
    if (peer) supportingResources.push(...regionLinkResources(env, region, role, peer.region))
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
