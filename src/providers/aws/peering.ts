import type {RouteTable, VpcPeeringConnection} from '@aws-sdk/client-ec2'

import {ConflictError, ExternalError} from '../../errors.js'
import type {DestroyReport} from '../types.js'
import type {RegionContext} from './context.js'
import {awsFailure, awsMessage, isAwsError, waiterTimeout} from './errors.js'
import {TAG, isOwnedBy, tagList, tagRecord} from './names.js'
import {type Network, step, tagSpec} from './network.js'

/**
 * The inter-region VPC peering of a two-region environment and the routes through it (the plan
 * and why is described at the top of network.ts). Requested from the primary region's VPC,
 * accepted in the secondary region, as AWS requires for a peering across regions
 * (CreateVpcPeeringConnection with PeerRegion, AcceptVpcPeeringConnection sent to the peer region).
 */

export interface LinkedRegion {
  ctx: RegionContext
  network: Network
}

export const PEERING_COMPONENT = 'peering'

/** Peering states that will never carry traffic again; such a peering is replaced, never reused. */
const FINISHED = new Set(['deleted', 'deleting', 'rejected', 'failed', 'expired'])

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A peering becomes active within seconds; poll faster than the cluster waiters, never slower. */
const pollMs = (ctx: RegionContext) => Math.max(200, Math.min(ctx.wait.minDelaySeconds, 2) * 1000)

function isLive(peering: VpcPeeringConnection): boolean {
  return !FINISHED.has(peering.Status?.Code ?? '')
}

function describePeeringLabel(primary: LinkedRegion, secondary: LinkedRegion, id: string): string {
  return `VPC peering ${id} (${primary.ctx.region} ${primary.network.cidr} <-> ${secondary.ctx.region} ${secondary.network.cidr})`
}

/** The live peering between exactly these two VPCs, if any. */
async function findPeering(primary: LinkedRegion, secondary: LinkedRegion): Promise<VpcPeeringConnection | undefined> {
  const {ec2: client, sdk} = primary.ctx.clients
  const answer = await client.send(
    new sdk.ec2.DescribeVpcPeeringConnectionsCommand({
      Filters: [
        {Name: 'requester-vpc-info.vpc-id', Values: [primary.network.vpcId]},
        {Name: 'accepter-vpc-info.vpc-id', Values: [secondary.network.vpcId]},
      ],
    }),
  )
  // The filters are applied again here: moto ignores them, and AWS lists a deleted peering for a while.
  return (answer.VpcPeeringConnections ?? []).find(
    (peering) =>
      peering.RequesterVpcInfo?.VpcId === primary.network.vpcId &&
      peering.AccepterVpcInfo?.VpcId === secondary.network.vpcId &&
      (peering.AccepterVpcInfo?.Region === undefined || peering.AccepterVpcInfo.Region === secondary.ctx.region) &&
      isLive(peering),
  )
}

/** The peering as the given region sees it; undefined while a new cross-region request has not reached it. */
async function describePeering(ctx: RegionContext, id: string): Promise<VpcPeeringConnection | undefined> {
  try {
    const answer = await ctx.clients.ec2.send(new ctx.clients.sdk.ec2.DescribeVpcPeeringConnectionsCommand({VpcPeeringConnectionIds: [id]}))
    return answer.VpcPeeringConnections?.find((peering) => peering.VpcPeeringConnectionId === id)
  } catch (error) {
    if (isAwsError(error, 'InvalidVpcPeeringConnectionID.NotFound', 'InvalidVpcPeeringConnectionId.NotFound')) return undefined
    throw awsFailure(`reading VPC peering ${id} in ${ctx.region}`, error)
  }
}

/**
 * Creates the peering unless a live one joins the two VPCs, accepts it in the secondary region and
 * waits until it is active. A cross-region request shows up in the peer region after a few seconds
 * (`initiating-request`, then `pending-acceptance`), so the accepter side is polled until it can
 * accept. A peering AWS refuses (`failed`, e.g. overlapping ranges) is an ExternalError with AWS's
 * reason. Returns the peering's id.
 */
export async function ensurePeering(primary: LinkedRegion, secondary: LinkedRegion): Promise<string> {
  const {ctx} = primary
  const ec2 = ctx.clients.sdk.ec2
  let id = (await step('finding the VPC peering between the regions', () => findPeering(primary, secondary)))?.VpcPeeringConnectionId
  if (!id) {
    id = await step(`requesting a VPC peering from ${ctx.region} to ${secondary.ctx.region}`, async () => {
      const created = await ctx.clients.ec2.send(
        new ec2.CreateVpcPeeringConnectionCommand({
          VpcId: primary.network.vpcId,
          PeerVpcId: secondary.network.vpcId,
          PeerRegion: secondary.ctx.region,
          TagSpecifications: tagSpec(ctx, 'vpc-peering-connection', PEERING_COMPONENT),
        }),
      )
      return created.VpcPeeringConnection!.VpcPeeringConnectionId!
    })
    ctx.progress.update(`${ctx.region}: created ${describePeeringLabel(primary, secondary, id)}`)
  }
  await acceptAndWait(primary, secondary, id)
  await tagAccepterSide(secondary.ctx, id)
  return id
}

async function acceptAndWait(primary: LinkedRegion, secondary: LinkedRegion, id: string): Promise<void> {
  const accepter = secondary.ctx
  const deadline = Date.now() + accepter.wait.maxWaitSeconds * 1000
  for (;;) {
    const peering = await describePeering(accepter, id)
    const code = peering?.Status?.Code
    if (code === 'active') return
    if (code && FINISHED.has(code)) {
      throw new ExternalError(`${describePeeringLabel(primary, secondary, id)} is ${code}: ${peering?.Status?.Message ?? 'AWS gave no reason'}`, {
        hint: 'fix the cause AWS names, then re-run: mygate requests a new peering',
        details: {peering: id, status: code},
      })
    }
    if (code === 'pending-acceptance') {
      try {
        await accepter.clients.ec2.send(new accepter.clients.sdk.ec2.AcceptVpcPeeringConnectionCommand({VpcPeeringConnectionId: id}))
        accepter.progress.update(`${accepter.region}: accepted VPC peering ${id}`)
        continue
      } catch (error) {
        // Accepted meanwhile by another run: read the state again.
        if (!isAwsError(error, 'InvalidStateTransition')) throw awsFailure(`accepting VPC peering ${id} in ${accepter.region}`, error)
      }
    }
    if (Date.now() + pollMs(accepter) > deadline) {
      throw waiterTimeout(`VPC peering ${id} to become active (status ${code ?? 'not yet visible in ' + accepter.region})`, accepter.wait.maxWaitSeconds, undefined)
    }
    await sleep(pollMs(accepter))
  }
}

/**
 * Tags set on the request stay on the requester's side of a cross-region peering; the accepter's
 * side gets the environment's tags too, so the peering is recognisable from either region. The
 * region and role tags are left out: they describe the requester.
 */
async function tagAccepterSide(ctx: RegionContext, id: string): Promise<void> {
  const {[TAG.region]: _region, [TAG.role]: _role, ...environment} = ctx.tags
  await step(`tagging VPC peering ${id} in ${ctx.region}`, () =>
    ctx.clients.ec2.send(
      new ctx.clients.sdk.ec2.CreateTagsCommand({
        Resources: [id],
        Tags: tagList({...environment, Name: `mygate-${ctx.env.name}-${PEERING_COMPONENT}`, [TAG.component]: PEERING_COMPONENT}),
      }),
    ),
  )
}

/**
 * A route to the peer VPC's range through the peering in each of the side's route tables. A route
 * to that range through an older peering (deleted, so now a blackhole) is replaced; one through
 * anything else (a transit gateway someone set up) is a conflict mygate does not overwrite.
 */
export async function ensurePeerRoutes(side: LinkedRegion, peerCidr: string, peeringId: string): Promise<void> {
  const {ctx, network} = side
  const ec2 = ctx.clients.sdk.ec2
  const tables = await step(`reading the route tables of ${network.vpcId}`, async () =>
    network.routeTableIds.length === 0
      ? []
      : ((await ctx.clients.ec2.send(new ec2.DescribeRouteTablesCommand({RouteTableIds: network.routeTableIds}))).RouteTables ?? []),
  )
  for (const table of tables) {
    const tableId = table.RouteTableId!
    const current = (table.Routes ?? []).find((route) => route.DestinationCidrBlock === peerCidr)
    if (current?.VpcPeeringConnectionId === peeringId) continue
    if (current && !current.VpcPeeringConnectionId && current.State !== 'blackhole') {
      const target = current.TransitGatewayId ?? current.GatewayId ?? current.NatGatewayId ?? current.NetworkInterfaceId ?? 'another target'
      throw new ConflictError(`route table ${tableId} in ${ctx.region} already sends ${peerCidr} to ${target}, not to the peering ${peeringId}`, {
        hint: `remove that route (aws ec2 delete-route --route-table-id ${tableId} --destination-cidr-block ${peerCidr} --region ${ctx.region}) or give the region another VPC, then re-run`,
      })
    }
    const request = {RouteTableId: tableId, DestinationCidrBlock: peerCidr, VpcPeeringConnectionId: peeringId}
    await step(`routing ${peerCidr} through ${peeringId} in ${tableId}`, () =>
      ctx.clients.ec2.send(current ? new ec2.ReplaceRouteCommand(request) : new ec2.CreateRouteCommand(request)),
    )
    ctx.progress.update(`${ctx.region}: ${current ? 'replaced the stale' : 'created a'} route to ${peerCidr} through ${peeringId} in ${tableId}`)
  }
}

/**
 * Removes the environment's peerings and every route through them, in both regions, before the
 * VPCs go (a VPC with an active peering cannot be deleted). Found by tags on the requester side,
 * so it works whatever state the VPCs are in. Failures are reported, not thrown.
 */
export async function destroyPeerings(regions: RegionContext[], report: DestroyReport): Promise<void> {
  const [primary] = regions
  let peerings: VpcPeeringConnection[]
  try {
    const answer = await primary.clients.ec2.send(
      new primary.clients.sdk.ec2.DescribeVpcPeeringConnectionsCommand({
        Filters: [
          {Name: `tag:${TAG.environment}`, Values: [primary.env.name]},
          {Name: `tag:${TAG.component}`, Values: [PEERING_COMPONENT]},
        ],
      }),
    )
    peerings = (answer.VpcPeeringConnections ?? []).filter((peering) => {
      const tags = tagRecord(peering.Tags)
      return isOwnedBy(tags, primary.env.name) && tags[TAG.component] === PEERING_COMPONENT && isLive(peering)
    })
  } catch (error) {
    report.leftBehind.push({resource: `VPC peerings of ${primary.env.name}`, reason: awsFailure('listing VPC peerings', error).message})
    return
  }

  for (const peering of peerings) {
    const id = peering.VpcPeeringConnectionId!
    const sides = [
      {region: peering.RequesterVpcInfo?.Region ?? primary.region, vpcId: peering.RequesterVpcInfo?.VpcId},
      {region: peering.AccepterVpcInfo?.Region ?? primary.region, vpcId: peering.AccepterVpcInfo?.VpcId},
    ]
    for (const side of sides) {
      const ctx = regions.find((candidate) => candidate.region === side.region)
      if (!ctx || !side.vpcId) continue
      await removeRoutesThrough(ctx, side.vpcId, id, report)
    }
    const label = `VPC peering ${id} (${sides.map((side) => side.region).join(' <-> ')})`
    try {
      await primary.clients.ec2.send(new primary.clients.sdk.ec2.DeleteVpcPeeringConnectionCommand({VpcPeeringConnectionId: id}))
      report.removed.push(label)
      primary.progress.update(`${primary.region}: deleted ${label}`)
    } catch (error) {
      if (isAwsError(error, 'InvalidVpcPeeringConnectionID.NotFound')) continue
      report.leftBehind.push({resource: label, reason: awsMessage(error)})
    }
  }
}

async function removeRoutesThrough(ctx: RegionContext, vpcId: string, peeringId: string, report: DestroyReport): Promise<void> {
  let tables: RouteTable[]
  try {
    const answer = await ctx.clients.ec2.send(new ctx.clients.sdk.ec2.DescribeRouteTablesCommand({Filters: [{Name: 'vpc-id', Values: [vpcId]}]}))
    tables = answer.RouteTables ?? []
  } catch (error) {
    report.leftBehind.push({resource: `routes through ${peeringId} in ${ctx.region}`, reason: awsMessage(error)})
    return
  }
  for (const table of tables) {
    if (table.VpcId !== undefined && table.VpcId !== vpcId) continue
    for (const route of table.Routes ?? []) {
      if (route.VpcPeeringConnectionId !== peeringId || !route.DestinationCidrBlock) continue
      const resource = `route to ${route.DestinationCidrBlock} through ${peeringId} in ${table.RouteTableId} (${ctx.region})`
      try {
        await ctx.clients.ec2.send(
          new ctx.clients.sdk.ec2.DeleteRouteCommand({RouteTableId: table.RouteTableId!, DestinationCidrBlock: route.DestinationCidrBlock}),
        )
        report.removed.push(resource)
        ctx.progress.update(`${ctx.region}: deleted ${resource}`)
      } catch (error) {
        if (isAwsError(error, 'InvalidRoute.NotFound')) continue
        report.leftBehind.push({resource, reason: awsMessage(error)})
      }
    }
  }
}
