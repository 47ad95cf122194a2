import type {ServiceDescriptor, Tier} from '../catalog/types.js'
import {planNodeGroups} from './node-groups.js'

/**
 * Node group sizes when a region changes role in a failover (issue 11), pure. The sizes are the
 * ones `env create` plans (node-groups.ts): the serving region gets the tier's full sizes, the
 * other one its standby sizes (the group minimum). Shared by EKS node groups and GKE node pools.
 *
 * Worked examples (prod on-demand: full 3..12 desired 3, standby 3..12 desired 3; dev spot: full
 * 0..3 desired 1, standby 1..3 desired 1):
 *   raise  live 1..3 desired 1, full 1..3 desired 2         -> 1..3 desired 2
 *   raise  live 1..6 desired 5 (autoscaled), full 1..3 d 2  -> 1..6 desired 5 (never shrunk)
 *   lower  standby 1..3 desired 1, pods need 0              -> 1..3 desired 1
 *   lower  standby 1..3 desired 1, pods need 2              -> 1..3 desired 2 (what the data needs)
 *   lower  standby 1..3 desired 1, pods need 5              -> 1..5 desired 5 (max follows)
 */

export interface GroupSize {
  minSize: number
  maxSize: number
  desiredSize: number
}

/** What one node group looks like in the cloud now. */
export interface LiveNodeGroup {
  name: string
  /** Per zone on GKE regional clusters (GKE's own semantics), else for the whole group. */
  size: GroupSize
  /** The zones the sizes apply to each (GKE regional: one instance group per zone); 1 when absent. */
  zones?: number
}

/** The sizes the plan gives each group of a region, at full scale or at standby. */
export function plannedGroupSizes(tier: Tier, services: readonly ServiceDescriptor[], scale: 'full' | 'standby'): Map<string, GroupSize> {
  // Instance types play no part in the sizes; pilot light only decides whether a spot group exists,
  // and the failover resizes the groups that exist.
  const groups = planNodeGroups({tier, services: [...services], onDemandTypes: [], spotTypes: [], standby: scale === 'standby'})
  return new Map(groups.map((group) => [group.name, {minSize: group.minSize, maxSize: group.maxSize, desiredSize: group.desiredSize}]))
}

/**
 * Full scale for the region that takes over: every bound at least the plan's. Nothing is lowered
 * during a failover (an autoscaler that already grew the group knows something the plan does not).
 */
export function raiseToFull(live: GroupSize, full: GroupSize): GroupSize {
  return {
    minSize: Math.max(live.minSize, full.minSize),
    maxSize: Math.max(live.maxSize, full.maxSize),
    desiredSize: Math.max(live.desiredSize, full.desiredSize),
  }
}

/**
 * Standby for the region that stops serving, never below what its remaining pods (the data
 * services keep running there) need: desired is the standby size or the nodes those pods take,
 * whichever is larger, and the maximum makes room for it.
 */
export function lowerToStandby(standby: GroupSize, neededNodes: number): GroupSize {
  const desiredSize = Math.max(standby.desiredSize, neededNodes)
  return {minSize: standby.minSize, maxSize: Math.max(standby.maxSize, desiredSize), desiredSize}
}

export function sameSize(a: GroupSize, b: GroupSize): boolean {
  return a.minSize === b.minSize && a.maxSize === b.maxSize && a.desiredSize === b.desiredSize
}

export interface Resources {
  cpuMilli: number
  memoryBytes: number
}

/**
 * The nodes it takes to hold these requests, at what one node offers (its allocatable). Zero
 * requests need no node; a node that offers nothing of a resource that is requested cannot hold it.
 *   needs 2500m / 3 GiB, node 2000m / 8 GiB -> 2 (CPU decides)
 */
export function nodesFor(requests: Resources, perNode: Resources): number {
  const count = (need: number, offer: number) => (need <= 0 ? 0 : offer <= 0 ? Number.POSITIVE_INFINITY : Math.ceil(need / offer))
  return Math.max(count(requests.cpuMilli, perNode.cpuMilli), count(requests.memoryBytes, perNode.memoryBytes))
}

export function describeSize(size: GroupSize): string {
  return `${size.minSize}..${size.maxSize} desired ${size.desiredSize}`
}
