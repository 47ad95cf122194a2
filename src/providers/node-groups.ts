import type {ServiceDescriptor, Tier} from '../catalog/types.js'
import type {NodeGroupPlan} from './types.js'

/**
 * Which node groups a cluster gets, from the catalog: an on-demand group always (system pods,
 * data services, anything critical or not allowed on spot) and a spot group when at least one
 * service may run on spot. Shared by the AWS and GCP providers; only instance types differ.
 */

export const CAPACITY_LABEL = 'mygate.dev/capacity'

interface GroupSize {
  minSize: number
  maxSize: number
  desiredSize: number
}

/** Sizes per tier: dev is small and cheap, prod keeps one node per AZ at least. */
export const TIER_NODE_SIZES: Record<Tier, {onDemand: GroupSize; spot: GroupSize}> = {
  dev: {onDemand: {minSize: 1, maxSize: 3, desiredSize: 2}, spot: {minSize: 0, maxSize: 3, desiredSize: 1}},
  staging: {onDemand: {minSize: 2, maxSize: 6, desiredSize: 2}, spot: {minSize: 1, maxSize: 6, desiredSize: 2}},
  prod: {onDemand: {minSize: 3, maxSize: 12, desiredSize: 3}, spot: {minSize: 2, maxSize: 12, desiredSize: 3}},
}

/**
 * A service goes to spot only when its descriptor allows it and it is not critical: losing a
 * critical service to a spot reclaim would breach its recovery objective.
 */
export function runsOnSpot(service: ServiceDescriptor): boolean {
  return service.spot && service.criticality.level !== 'critical'
}

export interface NodeGroupOptions {
  tier: Tier
  services?: ServiceDescriptor[]
  onDemandTypes: string[]
  /** Several types so a spot shortage of one does not stop the group. */
  spotTypes: string[]
  /** A secondary region in disaster-recovery mode runs at the group minimum. */
  standby?: boolean
  /** pilot-light secondaries run only data services, which never go on spot. */
  pilotLight?: boolean
}

export const ON_DEMAND_GROUP = 'ng-on-demand'
export const SPOT_GROUP = 'ng-spot'

export function planNodeGroups(options: NodeGroupOptions): NodeGroupPlan[] {
  const sizes = TIER_NODE_SIZES[options.tier]
  const scale = (size: GroupSize): GroupSize =>
    options.standby ? {minSize: Math.max(1, size.minSize), maxSize: size.maxSize, desiredSize: Math.max(1, size.minSize)} : size
  const groups: NodeGroupPlan[] = [
    {name: ON_DEMAND_GROUP, capacity: 'on-demand', instanceTypes: options.onDemandTypes, ...scale(sizes.onDemand), labels: {[CAPACITY_LABEL]: 'on-demand'}},
  ]
  const spotServices = (options.services ?? []).filter(runsOnSpot)
  if (spotServices.length > 0 && !options.pilotLight) {
    groups.push({name: SPOT_GROUP, capacity: 'spot', instanceTypes: options.spotTypes, ...scale(sizes.spot), labels: {[CAPACITY_LABEL]: 'spot'}})
  }
  return groups
}
