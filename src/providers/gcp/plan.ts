import type {ServiceDescriptor, Tier} from '../../catalog/types.js'
import type {EnvironmentSpec} from '../../config/types.js'
import {environmentRegions} from '../naming.js'
import {planNodeGroups} from '../node-groups.js'
import type {ClusterPlan} from '../types.js'
import {DEFAULT_GKE_VERSION, gkeClusterName} from './names.js'

/**
 * One GKE cluster per location. A region gives a regional cluster, whose node pool sizes are per
 * zone (GKE's own semantics); a zone gives a zonal cluster.
 */

const MACHINE_TYPES: Record<Tier, string[]> = {dev: ['e2-standard-2'], staging: ['e2-standard-4'], prod: ['n2-standard-4']}

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
    supportingResources: [],
  }))
}
