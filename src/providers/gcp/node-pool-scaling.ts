import type {ClusterManagerClient, protos} from '@google-cloud/container'

import {isMygateError} from '../../errors.js'
import type {GroupSize, LiveNodeGroup} from '../node-group-sizing.js'
import type {ComputeClient} from './compute.js'
import {gcpFailure, gcpStatus} from './errors.js'
import {waitForOperation} from './gke.js'

/**
 * Resizing GKE node pools for a failover, as Google documents it for the v1 API:
 * `nodePools.setAutoscaling` sets the autoscaler's bounds (minNodeCount, maxNodeCount) and
 * `nodePools.setSize` the node count, both long-running operations polled to the end. GKE reports
 * no current size on the node pool: it is the target size of the pool's managed instance groups
 * (`instanceGroupUrls`, Compute `instanceGroupManagers.get` -> targetSize), which is what is read.
 * Sizes are per zone (a regional cluster has one instance group per zone), as in the plan.
 * Every resize reads first, so a resumed failover starts no operation for a pool already sized.
 */

type NodePool = protos.google.container.v1.INodePool

export interface NodePoolAccess {
  client: ClusterManagerClient
  compute: ComputeClient
  project: string
  location: string
  clusterName: string
  pollIntervalMs: number
  timeoutMs: number
}

const poolPath = (access: NodePoolAccess, name: string) => `projects/${access.project}/locations/${access.location}/clusters/${access.clusterName}/nodePools/${name}`

async function getNodePool(access: NodePoolAccess, name: string): Promise<NodePool | undefined> {
  try {
    const [pool] = await access.client.getNodePool({name: poolPath(access, name)})
    return pool
  } catch (error) {
    if (gcpStatus(error) === 'NOT_FOUND') return undefined
    throw gcpFailure(`reading node pool ${name} of ${access.clusterName}`, error)
  }
}

/** The pool's size per zone: the largest target size of its instance groups (0 when it has none yet). */
async function targetSize(access: NodePoolAccess, pool: NodePool): Promise<number> {
  let largest = 0
  for (const url of pool.instanceGroupUrls ?? []) {
    // https://www.googleapis.com/compute/v1/projects/P/zones/Z/instanceGroupManagers/N -> zones/Z/instanceGroupManagers/N
    const relative = url.replace(/^.*\/projects\/[^/]+\//, '')
    const group = await access.compute.get<{targetSize?: number}>(relative, `reading instance group ${relative}`)
    largest = Math.max(largest, group?.targetSize ?? 0)
  }
  return largest
}

async function readPool(access: NodePoolAccess, name: string): Promise<GroupSize | undefined> {
  const pool = await getNodePool(access, name)
  return pool ? poolSize(access, pool) : undefined
}

async function poolSize(access: NodePoolAccess, pool: NodePool): Promise<GroupSize> {
  const autoscaling = pool.autoscaling
  const desiredSize = await targetSize(access, pool)
  return autoscaling?.enabled
    ? {minSize: autoscaling.minNodeCount ?? 0, maxSize: autoscaling.maxNodeCount ?? 0, desiredSize}
    : // Without the autoscaler the pool is its size: nothing can be requested beyond it.
      {minSize: desiredSize, maxSize: desiredSize, desiredSize}
}

export async function readNodePools(access: NodePoolAccess, names: readonly string[]): Promise<LiveNodeGroup[]> {
  const found: LiveNodeGroup[] = []
  for (const name of names) {
    const pool = await getNodePool(access, name)
    const size = pool ? await poolSize(access, pool) : undefined
    if (pool && size) found.push({name, size, zones: Math.max(1, pool.instanceGroupUrls?.length ?? 0)})
  }
  return found
}

/** Sets the pool's autoscaling bounds, then its size, each unless it already has it. True when anything changed. */
export async function resizeNodePool(access: NodePoolAccess, name: string, size: GroupSize): Promise<boolean> {
  const live = await readPool(access, name)
  const ctx = {client: access.client, project: access.project, plan: {region: access.location}, pollIntervalMs: access.pollIntervalMs, timeoutMs: access.timeoutMs}
  let changed = false
  // Bounds first: a size outside the old bounds would be pulled back by the autoscaler.
  if (!live || live.minSize !== size.minSize || live.maxSize !== size.maxSize) {
    try {
      const [operation] = await access.client.setNodePoolAutoscaling({
        name: poolPath(access, name),
        autoscaling: {enabled: true, minNodeCount: size.minSize, maxNodeCount: size.maxSize},
      })
      await waitForOperation(ctx, operation, `setting the autoscaling bounds of node pool ${name}`)
    } catch (error) {
      if (isMygateError(error)) throw error
      throw gcpFailure(`setting the autoscaling of node pool ${name} of ${access.clusterName} to ${size.minSize}..${size.maxSize}`, error)
    }
    changed = true
  }
  if (!live || live.desiredSize !== size.desiredSize) {
    try {
      const [operation] = await access.client.setNodePoolSize({name: poolPath(access, name), nodeCount: size.desiredSize})
      await waitForOperation(ctx, operation, `resizing node pool ${name} to ${size.desiredSize}`)
    } catch (error) {
      if (isMygateError(error)) throw error
      throw gcpFailure(`resizing node pool ${name} of ${access.clusterName} to ${size.desiredSize} nodes per zone`, error)
    }
    changed = true
  }
  return changed
}
