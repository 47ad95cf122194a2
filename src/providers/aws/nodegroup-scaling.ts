import type {GroupSize, LiveNodeGroup} from '../node-group-sizing.js'
import {sameSize} from '../node-group-sizing.js'
import type {AwsRegionClients} from './clients.js'
import {awsFailure, isAwsError} from './errors.js'

/**
 * Resizing EKS managed node groups for a failover: DescribeNodegroup to read the scaling config,
 * UpdateNodegroupConfig with a new `scalingConfig` (minSize, maxSize, desiredSize) to change it.
 * EKS applies the update asynchronously (the group is UPDATING while the Auto Scaling group
 * launches or drains nodes); the failover does not wait for nodes, it waits for its pods.
 * Every resize reads first, so a resumed failover sends no update for a group already sized.
 */

export async function readNodegroups(clients: AwsRegionClients, clusterName: string, names: readonly string[]): Promise<LiveNodeGroup[]> {
  const found: LiveNodeGroup[] = []
  for (const name of names) {
    const size = await readNodegroupSize(clients, clusterName, name)
    if (size) found.push({name, size})
  }
  return found
}

/** The group's scaling config, or undefined when the group does not exist. */
export async function readNodegroupSize(clients: AwsRegionClients, clusterName: string, name: string): Promise<GroupSize | undefined> {
  try {
    const answer = await clients.eks.send(new clients.sdk.eks.DescribeNodegroupCommand({clusterName, nodegroupName: name}))
    const scaling = answer.nodegroup?.scalingConfig
    return {minSize: scaling?.minSize ?? 0, maxSize: scaling?.maxSize ?? 0, desiredSize: scaling?.desiredSize ?? 0}
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) return undefined
    throw awsFailure(`describing node group ${name} of ${clusterName} (${clients.region})`, error)
  }
}

/** Sets the group's scaling config unless it already has it. True when an update was sent. */
export async function resizeNodegroup(clients: AwsRegionClients, clusterName: string, name: string, size: GroupSize): Promise<boolean> {
  const live = await readNodegroupSize(clients, clusterName, name)
  if (live && sameSize(live, size)) return false
  try {
    await clients.eks.send(
      new clients.sdk.eks.UpdateNodegroupConfigCommand({
        clusterName,
        nodegroupName: name,
        scalingConfig: {minSize: size.minSize, maxSize: size.maxSize, desiredSize: size.desiredSize},
      }),
    )
    return true
  } catch (error) {
    throw awsFailure(`resizing node group ${name} of ${clusterName} (${clients.region}) to ${size.minSize}..${size.maxSize} desired ${size.desiredSize}`, error)
  }
}
