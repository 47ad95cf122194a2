/**
 * Infrastructure drift on aws and gcp, pure: a cluster's Kubernetes version and tags, and each
 * node group's instance types, capacity type, tags and scaling bounds, as the environment's spec
 * plans them (ClusterPlan) against what the cloud reports. Not the current size: failover and
 * autoscalers change it by design. Tags: only the keys mygate sets are compared (the cloud and
 * other tools add their own).
 *
 * Worked examples (compareInfrastructure, one node group ng-on-demand planned m6i.large, 3..12):
 *   live m6i.large, 3..12, desired 5                      -> no drift (size is not drift)
 *   live m5.xlarge, 3..12                                  -> nodegroup ng-on-demand instanceTypes: ["m6i.large"] <- ["m5.xlarge"]
 *   live m6i.large, 1..12                                  -> nodegroup ng-on-demand minSize: 3 <- 1
 *   node group absent                                      -> nodegroup ng-on-demand: missing
 */

export interface InfraNodeGroup {
  name: string
  capacity: string
  instanceTypes: string[]
  minSize: number
  maxSize: number
  tags: Record<string, string>
}

export interface InfraCluster {
  region: string
  clusterName: string
  kubernetesVersion?: string
  tags: Record<string, string>
  nodeGroups: InfraNodeGroup[]
}

export interface InfrastructureDrift {
  region: string
  /** "cluster mygate-prod-ap-south-1", "nodegroup ng-on-demand" */
  resource: string
  field: string
  desired: unknown
  live: unknown
}

export function compareInfrastructure(desired: InfraCluster, live: InfraCluster | undefined): InfrastructureDrift[] {
  const out: InfrastructureDrift[] = []
  const cluster = `cluster ${desired.clusterName}`
  const push = (resource: string, field: string, want: unknown, have: unknown) => out.push({region: desired.region, resource, field, desired: want, live: have})
  if (!live) {
    push(cluster, '(cluster)', 'present', 'missing')
    return out
  }
  if (desired.kubernetesVersion !== undefined && live.kubernetesVersion !== desired.kubernetesVersion) push(cluster, 'version', desired.kubernetesVersion, live.kubernetesVersion)
  for (const field of tagDrift(desired.tags, live.tags)) push(cluster, `tags["${field}"]`, desired.tags[field], live.tags[field])
  for (const group of desired.nodeGroups) {
    const resource = `nodegroup ${group.name}`
    const found = live.nodeGroups.find((g) => g.name === group.name)
    if (!found) {
      push(resource, '(nodegroup)', 'present', 'missing')
      continue
    }
    if (JSON.stringify([...group.instanceTypes].sort()) !== JSON.stringify([...found.instanceTypes].sort())) push(resource, 'instanceTypes', group.instanceTypes, found.instanceTypes)
    if (group.capacity !== found.capacity) push(resource, 'capacityType', group.capacity, found.capacity)
    if (group.minSize !== found.minSize) push(resource, 'minSize', group.minSize, found.minSize)
    if (group.maxSize !== found.maxSize) push(resource, 'maxSize', group.maxSize, found.maxSize)
    for (const field of tagDrift(group.tags, found.tags)) push(resource, `tags["${field}"]`, group.tags[field], found.tags[field])
  }
  return out
}

function tagDrift(desired: Record<string, string>, live: Record<string, string>): string[] {
  return Object.keys(desired).filter((key) => live[key] !== desired[key]).sort()
}
