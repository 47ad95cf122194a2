import type {DestroyReport} from '../types.js'
import {checkPeerable} from './address-plan.js'
import type {RegionContext} from './context.js'
import {destroyDatabaseSecurityGroup, ensureDatabaseSecurityGroup} from './database-security-group.js'
import {type LinkedRegion, destroyPeerings, ensurePeerRoutes, ensurePeering} from './peering.js'

/**
 * What joins the two regions of an environment so their databases can replicate: the peering,
 * the routes through it and the database security groups (plan and rules: top of network.ts).
 */

export interface RegionLink {
  peeringId: string
  securityGroupIds: Record<string, string>
}

/** Converges the link between the two regions; run after both networks exist. */
export async function ensureRegionLink(primary: LinkedRegion, secondary: LinkedRegion): Promise<RegionLink> {
  const ranges = [primary, secondary].map((side) => ({region: side.ctx.region, cidr: side.network.cidr}))
  checkPeerable(ranges[0], ranges[1], primary.ctx.env.name)
  const peeringId = await ensurePeering(primary, secondary)
  await Promise.all([
    ensurePeerRoutes(primary, secondary.network.cidr, peeringId),
    ensurePeerRoutes(secondary, primary.network.cidr, peeringId),
  ])
  const groups = await Promise.all([primary, secondary].map((side) => ensureDatabaseSecurityGroup(side.ctx, side.network, ranges)))
  return {peeringId, securityGroupIds: {[primary.ctx.region]: groups[0], [secondary.ctx.region]: groups[1]}}
}

/**
 * Removes routes, peering and database security groups (with their rules), before the clusters
 * and VPCs go. Runs for a one-region environment too: it finds nothing there but costs one call.
 */
export async function destroyRegionLink(regions: RegionContext[], report: DestroyReport): Promise<void> {
  if (regions.length > 1) await destroyPeerings(regions, report)
  await Promise.all(regions.map((ctx) => destroyDatabaseSecurityGroup(ctx, report)))
}
