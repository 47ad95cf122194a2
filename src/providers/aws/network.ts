import type {ResourceType, TagSpecification} from '@aws-sdk/client-ec2'

import type {DestroyReport} from '../types.js'
import type {RegionContext} from './context.js'
import {awsFailure, awsMessage, isAwsError} from './errors.js'
import {TAG, isOwnedBy, tagList, tagRecord} from './names.js'

/**
 * The network eksctl would create for a cluster: a tagged VPC (192.168.0.0/16) with one public and
 * one private /19 subnet in each of up to three availability zones, an internet gateway, a public
 * route table (default route to the gateway) and a private one.
 *
 * Differences from eksctl, on purpose: no NAT gateway (it costs money while idle and node groups
 * go into the public subnets, which is eksctl's default placement too), and every piece carries a
 * `mygate.dev/component` tag so a re-run finds it and destroy removes only what mygate made.
 */

export const VPC_CIDR = '192.168.0.0/16'
const MAX_ZONES = 3

export interface Network {
  vpcId: string
  publicSubnetIds: string[]
  privateSubnetIds: string[]
}

/** Subnet CIDRs: public in 192.168.0-95.x, private in 192.168.96-191.x, one /19 per zone. */
export function subnetCidr(kind: 'public' | 'private', zoneIndex: number): string {
  const block = (kind === 'public' ? 0 : MAX_ZONES) + zoneIndex
  return `192.168.${block * 32}.0/19`
}

const componentFilter = (ctx: RegionContext, component: string) => [
  {Name: `tag:${TAG.environment}`, Values: [ctx.env.name]},
  {Name: `tag:${TAG.region}`, Values: [ctx.region]},
  {Name: `tag:${TAG.component}`, Values: [component]},
]

const tagSpec = (
  ctx: RegionContext,
  resourceType: ResourceType,
  component: string,
  extra: Record<string, string> = {},
): TagSpecification[] => [
  {
    ResourceType: resourceType,
    Tags: tagList({...ctx.tags, Name: `${ctx.clusterName}-${component}`, [TAG.component]: component, ...extra}),
  },
]

async function step<T>(action: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    throw awsFailure(action, error)
  }
}

export async function ensureNetwork(ctx: RegionContext): Promise<Network> {
  const {ec2: client, sdk} = ctx.clients
  const ec2 = sdk.ec2
  const vpcId = await step(`finding or creating the VPC of ${ctx.clusterName}`, async () => {
    const found = await client.send(new ec2.DescribeVpcsCommand({Filters: componentFilter(ctx, 'vpc')}))
    const existing = found.Vpcs?.[0]?.VpcId
    if (existing) return existing
    const created = await client.send(
      new ec2.CreateVpcCommand({CidrBlock: VPC_CIDR, TagSpecifications: tagSpec(ctx, 'vpc', 'vpc')}),
    )
    const id = created.Vpc!.VpcId!
    // Nodes register with the API server by their private DNS names; EKS needs both on.
    await client.send(new ec2.ModifyVpcAttributeCommand({VpcId: id, EnableDnsSupport: {Value: true}}))
    await client.send(new ec2.ModifyVpcAttributeCommand({VpcId: id, EnableDnsHostnames: {Value: true}}))
    ctx.progress.update(`${ctx.region}: created VPC ${id}`)
    return id
  })

  const subnets = await step(`creating the subnets of ${ctx.clusterName}`, async () => {
    const existing = await client.send(new ec2.DescribeSubnetsCommand({Filters: [{Name: 'vpc-id', Values: [vpcId]}]}))
    const byComponent = new Map<string, string>()
    for (const subnet of existing.Subnets ?? []) {
      const component = tagRecord(subnet.Tags)[TAG.component]
      if (component && subnet.SubnetId) byComponent.set(component, subnet.SubnetId)
    }
    const zones = await pickZones(ctx)
    const result = {publicSubnetIds: [] as string[], privateSubnetIds: [] as string[]}
    for (const [index, zone] of zones.entries()) {
      for (const kind of ['public', 'private'] as const) {
        const component = `subnet-${kind}-${zone}`
        let id = byComponent.get(component)
        if (!id) {
          const roleTag = kind === 'public' ? 'kubernetes.io/role/elb' : 'kubernetes.io/role/internal-elb'
          const created = await client.send(
            new ec2.CreateSubnetCommand({
              VpcId: vpcId,
              AvailabilityZone: zone,
              CidrBlock: subnetCidr(kind, index),
              TagSpecifications: tagSpec(ctx, 'subnet', component, {
                [roleTag]: '1',
                [`kubernetes.io/cluster/${ctx.clusterName}`]: 'shared',
              }),
            }),
          )
          id = created.Subnet!.SubnetId!
          if (kind === 'public') {
            await client.send(new ec2.ModifySubnetAttributeCommand({SubnetId: id, MapPublicIpOnLaunch: {Value: true}}))
          }
          ctx.progress.update(`${ctx.region}: created ${kind} subnet ${id} in ${zone}`)
        }
        ;(kind === 'public' ? result.publicSubnetIds : result.privateSubnetIds).push(id)
      }
    }
    return result
  })

  const gatewayId = await step(`creating the internet gateway of ${ctx.clusterName}`, async () => {
    const attached = await client.send(
      new ec2.DescribeInternetGatewaysCommand({Filters: [{Name: 'attachment.vpc-id', Values: [vpcId]}]}),
    )
    const existing = attached.InternetGateways?.[0]?.InternetGatewayId
    if (existing) return existing
    // A gateway created by an interrupted run but never attached is found by its tags.
    const tagged = await client.send(new ec2.DescribeInternetGatewaysCommand({Filters: componentFilter(ctx, 'igw')}))
    let id = tagged.InternetGateways?.[0]?.InternetGatewayId
    if (!id) {
      const created = await client.send(
        new ec2.CreateInternetGatewayCommand({TagSpecifications: tagSpec(ctx, 'internet-gateway', 'igw')}),
      )
      id = created.InternetGateway!.InternetGatewayId!
    }
    await client.send(new ec2.AttachInternetGatewayCommand({InternetGatewayId: id, VpcId: vpcId}))
    ctx.progress.update(`${ctx.region}: attached internet gateway ${id}`)
    return id
  })

  await step(`setting up the route tables of ${ctx.clusterName}`, async () => {
    await ensureRouteTable(ctx, vpcId, 'route-table-public', subnets.publicSubnetIds, gatewayId)
    await ensureRouteTable(ctx, vpcId, 'route-table-private', subnets.privateSubnetIds)
  })

  return {vpcId, ...subnets}
}

async function pickZones(ctx: RegionContext): Promise<string[]> {
  const {ec2: client, sdk} = ctx.clients
  const answer = await client.send(
    new sdk.ec2.DescribeAvailabilityZonesCommand({Filters: [{Name: 'state', Values: ['available']}]}),
  )
  // Local Zones and Wavelength zones cannot host EKS control-plane subnets; keep real AZs only.
  const zones = (answer.AvailabilityZones ?? [])
    .filter((zone) => zone.ZoneType === undefined || zone.ZoneType === 'availability-zone')
    .map((zone) => zone.ZoneName!)
    .filter(Boolean)
    .sort()
  if (zones.length < 2) {
    throw new Error(`region ${ctx.region} offers ${zones.length} availability zone(s); EKS needs subnets in at least 2`)
  }
  return zones.slice(0, MAX_ZONES)
}

async function ensureRouteTable(
  ctx: RegionContext,
  vpcId: string,
  component: string,
  subnetIds: string[],
  gatewayId?: string,
): Promise<void> {
  const {ec2: client, sdk} = ctx.clients
  const ec2 = sdk.ec2
  const found = await client.send(
    new ec2.DescribeRouteTablesCommand({Filters: [{Name: 'vpc-id', Values: [vpcId]}, ...componentFilter(ctx, component)]}),
  )
  let table = found.RouteTables?.[0]
  if (!table) {
    const created = await client.send(
      new ec2.CreateRouteTableCommand({VpcId: vpcId, TagSpecifications: tagSpec(ctx, 'route-table', component)}),
    )
    table = created.RouteTable!
  }
  const tableId = table.RouteTableId!
  if (gatewayId && !(table.Routes ?? []).some((route) => route.DestinationCidrBlock === '0.0.0.0/0')) {
    await client.send(new ec2.CreateRouteCommand({RouteTableId: tableId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: gatewayId}))
  }
  const associated = new Set((table.Associations ?? []).map((association) => association.SubnetId))
  for (const subnetId of subnetIds) {
    if (!associated.has(subnetId)) {
      await client.send(new ec2.AssociateRouteTableCommand({RouteTableId: tableId, SubnetId: subnetId}))
    }
  }
}

/**
 * Removes the VPC pieces mygate created for this cluster, in dependency order. Network interfaces
 * of deleted nodes and load balancers are released asynchronously by AWS, so deletes that fail
 * with DependencyViolation are retried until the wait budget is spent.
 */
export async function destroyNetwork(ctx: RegionContext, report: DestroyReport): Promise<void> {
  const {ec2: client, sdk} = ctx.clients
  const ec2 = sdk.ec2
  const vpcs = await client.send(new ec2.DescribeVpcsCommand({Filters: componentFilter(ctx, 'vpc')}))
  for (const vpc of vpcs.Vpcs ?? []) {
    const vpcId = vpc.VpcId!
    if (!isOwnedBy(tagRecord(vpc.Tags), ctx.env.name)) continue
    const deadline = Date.now() + ctx.wait.maxWaitSeconds * 1000
    const attempt = async (resource: string, run: () => Promise<unknown>): Promise<boolean> => {
      for (;;) {
        try {
          await run()
          report.removed.push(resource)
          ctx.progress.update(`${ctx.region}: deleted ${resource}`)
          return true
        } catch (error) {
          if (isAwsError(error, 'DependencyViolation') && Date.now() + ctx.wait.minDelaySeconds * 1000 < deadline) {
            await new Promise((resolve) => setTimeout(resolve, ctx.wait.minDelaySeconds * 1000))
            continue
          }
          report.leftBehind.push({resource, reason: awsMessage(error)})
          return false
        }
      }
    }

    const tables = await client.send(new ec2.DescribeRouteTablesCommand({Filters: [{Name: 'vpc-id', Values: [vpcId]}]}))
    for (const table of tables.RouteTables ?? []) {
      if (!isOwnedBy(tagRecord(table.Tags), ctx.env.name)) continue
      for (const association of table.Associations ?? []) {
        if (association.Main || !association.RouteTableAssociationId) continue
        await client.send(new ec2.DisassociateRouteTableCommand({AssociationId: association.RouteTableAssociationId})).catch(() => {})
      }
      await attempt(`route table ${table.RouteTableId}`, () =>
        client.send(new ec2.DeleteRouteTableCommand({RouteTableId: table.RouteTableId!})),
      )
    }

    const gateways = await client.send(
      new ec2.DescribeInternetGatewaysCommand({Filters: [{Name: 'attachment.vpc-id', Values: [vpcId]}]}),
    )
    for (const gateway of gateways.InternetGateways ?? []) {
      if (!isOwnedBy(tagRecord(gateway.Tags), ctx.env.name)) continue
      const id = gateway.InternetGatewayId!
      await attempt(`internet gateway ${id}`, async () => {
        await client.send(new ec2.DetachInternetGatewayCommand({InternetGatewayId: id, VpcId: vpcId}))
        await client.send(new ec2.DeleteInternetGatewayCommand({InternetGatewayId: id}))
      })
    }

    // Security groups EKS made for this cluster (it tags them) would otherwise pin the VPC.
    const groups = await client.send(new ec2.DescribeSecurityGroupsCommand({Filters: [{Name: 'vpc-id', Values: [vpcId]}]}))
    for (const group of groups.SecurityGroups ?? []) {
      const tags = tagRecord(group.Tags)
      const ours = isOwnedBy(tags, ctx.env.name) || tags['aws:eks:cluster-name'] === ctx.clusterName
      if (group.GroupName === 'default' || !ours) continue
      await attempt(`security group ${group.GroupId}`, () => client.send(new ec2.DeleteSecurityGroupCommand({GroupId: group.GroupId!})))
    }

    const subnets = await client.send(new ec2.DescribeSubnetsCommand({Filters: [{Name: 'vpc-id', Values: [vpcId]}]}))
    for (const subnet of subnets.Subnets ?? []) {
      if (!isOwnedBy(tagRecord(subnet.Tags), ctx.env.name)) continue
      await attempt(`subnet ${subnet.SubnetId}`, () => client.send(new ec2.DeleteSubnetCommand({SubnetId: subnet.SubnetId!})))
    }

    await attempt(`VPC ${vpcId}`, () => client.send(new ec2.DeleteVpcCommand({VpcId: vpcId})))
  }
}
