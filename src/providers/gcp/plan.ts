import type {ServiceDescriptor, Tier} from '../../catalog/types.js'
import type {EnvironmentSpec} from '../../config/types.js'
import {environmentRegions} from '../naming.js'
import {planNodeGroups} from '../node-groups.js'
import type {ClusterPlan} from '../types.js'
import {planGcpNetwork} from './address-plan.js'
import {DEFAULT_GKE_VERSION, gkeClusterName} from './names.js'
import {MEMBER_ZONE_DOMAIN} from '../member-names.js'
import {memberZoneName} from './member-zone.js'

/**
 * One GKE cluster per location. A region gives a regional cluster, whose node pool sizes are per
 * zone (GKE's own semantics); a zone gives a zonal cluster.
 */

const MACHINE_TYPES: Record<Tier, string[]> = {dev: ['e2-standard-2'], staging: ['e2-standard-4'], prod: ['n2-standard-4']}

/** The network lines of one location's plan (network.ts documents the address plan). */
function networkResources(env: EnvironmentSpec, location: string, role: 'primary' | 'secondary'): string[] {
  const network = planGcpNetwork(env)
  const subnetwork = network.subnetworks.find((candidate) => candidate.location === location)!
  const {nodes, pods, services} = subnetwork.ranges
  const lines: string[] = []
  if (role === 'primary') {
    lines.push(
      network.ownedByMygate
        ? `VPC network ${network.name} (custom subnets, shared by the environment's regions)`
        : `VPC network ${network.name} (gcp.network: used, never created or deleted by mygate)`,
    )
  }
  lines.push(`subnetwork ${subnetwork.name} in ${subnetwork.region}: nodes ${nodes}, pods ${pods}, services ${services}`)
  // Made by env create once the member load balancers have addresses (src/env/member-names.ts).
  if (role === 'primary' && env.regions.secondary) lines.push(`Cloud DNS private zone ${memberZoneName(env.name)} (${MEMBER_ZONE_DOMAIN}) for the members' names, visible to network ${network.name}`)
  return lines
}

export function planGcpClusters(env: EnvironmentSpec, services?: ServiceDescriptor[]): ClusterPlan[] {
  return environmentRegions(env).map(({region, role}) => ({
    region,
    role,
    clusterName: gkeClusterName(env.name, region),
    kubernetesVersion: env.gcp?.kubernetesVersion ?? DEFAULT_GKE_VERSION,
    nodeGroups: planNodeGroups({
      tier: env.tier,
      services,
      onDemandTypes: MACHINE_TYPES[env.tier],
      spotTypes: MACHINE_TYPES[env.tier],
      standby: role === 'secondary',
      pilotLight: role === 'secondary' && env.drMode === 'pilot-light',
    }),
    supportingResources: networkResources(env, region, role),
  }))
}
