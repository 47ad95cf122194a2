import type {ClusterManagerClient} from '@google-cloud/container'

import type {EnvironmentSpec} from '../../config/types.js'
import type {InfraCluster} from '../../drift/infrastructure.js'
import type {ClusterPlan} from '../types.js'
import {gcpStatus} from './errors.js'
import {gkeLabels} from './names.js'

/**
 * Read-only, for `env diff`: what GKE reports for one location's cluster and node pools
 * (getCluster), and what the plan says, in the shape src/drift/infrastructure.ts compares.
 * GKE's "tags" are the cluster's resourceLabels and each pool's node labels; a pool's capacity
 * type is its `spot` flag; its scaling bounds are the autoscaler's min and max node counts.
 */
export async function describeGkeInfrastructure(client: ClusterManagerClient, project: string, plan: ClusterPlan): Promise<InfraCluster | undefined> {
  let cluster
  try {
    ;[cluster] = await client.getCluster({name: `projects/${project}/locations/${plan.region}/clusters/${plan.clusterName}`})
  } catch (error) {
    if (gcpStatus(error) === 'NOT_FOUND') return undefined
    throw error
  }
  const version = cluster.currentMasterVersion || cluster.initialClusterVersion || undefined
  return {
    region: plan.region,
    clusterName: plan.clusterName,
    // GKE reports a full version (1.30.5-gke.100); the spec names a minor version.
    ...(version ? {kubernetesVersion: String(version).split('.').slice(0, 2).join('.')} : {}),
    tags: {...(cluster.resourceLabels ?? {})} as Record<string, string>,
    nodeGroups: (cluster.nodePools ?? []).map((pool) => ({
      name: String(pool.name),
      capacity: pool.config?.spot ? 'spot' : 'on-demand',
      instanceTypes: pool.config?.machineType ? [pool.config.machineType] : [],
      minSize: pool.autoscaling?.minNodeCount ?? 0,
      maxSize: pool.autoscaling?.maxNodeCount ?? 0,
      tags: {...(pool.config?.labels ?? {})} as Record<string, string>,
    })),
  }
}

/** The cluster the spec plans for a location (src/providers/gcp/plan.ts), as GKE would report it. */
export function plannedGkeInfrastructure(env: EnvironmentSpec, plan: ClusterPlan): InfraCluster {
  return {
    region: plan.region,
    clusterName: plan.clusterName,
    ...(plan.kubernetesVersion ? {kubernetesVersion: plan.kubernetesVersion} : {}),
    tags: gkeLabels(env, plan.region, plan.role),
    nodeGroups: plan.nodeGroups.map((group) => ({
      name: group.name,
      capacity: group.capacity,
      // GKE pools have one machine type: the first of the plan's list (gke.ts nodePoolRequest).
      instanceTypes: group.instanceTypes.slice(0, 1),
      minSize: group.minSize,
      maxSize: group.maxSize,
      tags: {...group.labels},
    })),
  }
}
