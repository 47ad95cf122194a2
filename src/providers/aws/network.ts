import type {ResourceType, TagSpecification} from '@aws-sdk/client-ec2'

import {ExternalError, MygateError} from '../../errors.js'
import type {DestroyReport} from '../types.js'
import {MAX_ZONES, subnetCidr, vpcCidrFor} from './address-plan.js'
import type {RegionContext} from './context.js'
import {awsFailure, awsMessage, isAwsError} from './errors.js'
import {TAG, isOwnedBy, tagList, tagRecord} from './names.js'

/**
 * The network of one region, and the address plan and firewall rules that let the two regions of
 * an environment reach each other's databases.
 *
 * Per region, as eksctl builds it: a tagged VPC with one public and one private subnet in each of
 * up to three availability zones, an internet gateway, a public route table (default route to the
 * gateway) and a private one. Differences from eksctl, on purpose: no NAT gateway (it costs money
 * while idle and node groups go into the public subnets, which is eksctl's default placement too),
 * and every piece carries a `mygate.dev/component` tag so a re-run finds it and destroy removes
 * only what mygate made.
 *
 * Address plan (constants in address-plan.ts). Each region gets its own range, because AWS refuses
 * to peer VPCs whose ranges overlap:
 *
 *   role        VPC            public subnets, zones a b c              private subnets, zones a b c
 *   primary     10.10.0.0/16   10.10.0.0/19 10.10.32.0/19 10.10.64.0/19   10.10.96.0/19 10.10.128.0/19 10.10.160.0/19
 *   secondary   10.20.0.0/16   10.20.0.0/19 10.20.32.0/19 10.20.64.0/19   10.20.96.0/19 10.20.128.0/19 10.20.160.0/19
 *
 * Pods take VPC addresses (Amazon VPC CNI). Kubernetes Services use 172.20.0.0/16 in both clusters,
 * asked for when a cluster is created; EKS's own defaults (10.100.0.0/16 or 172.20.0.0/16) overlap
 * neither VPC either. A VPC made before the plan keeps its range (192.168.0.0/16): a re-run reads
 * the range from the VPC and derives the subnets from it, never assumes it.
 *
 * Between the two regions (region-link.ts), all tagged with the environment:
 * - a VPC peering requested from the primary region's VPC and accepted in the secondary region;
 * - in every route table of the environment's subnets in both VPCs (public and private), a route
 *   to the peer VPC's range through the peering;
 * - in each VPC a security group named `mygate-ENV-REGION-db-lb`, the frontend security group of
 *   the per-member internal NLBs (their Services name it, see load-balancer.ts), admitting TCP
 *   27017 (MongoDB) and 6379 (Redis) from both VPCs' ranges. By CIDR, because a security group
 *   cannot be referenced from another region; its own VPC too, because members in the same region
 *   reach each other through the same load-balancer names.
 * The nodes and their pods keep the cluster security group EKS creates (the one managed node groups
 * without a launch template get, and that VPC CNI pods share with their node); the AWS Load
 * Balancer Controller adds the rule from the NLBs to the pods there itself
 * (`aws-load-balancer-manage-backend-security-group-rules`), so no database port is opened to a
 * whole VPC on the nodes.
 */

export interface Network {
  vpcId: string
  /** The VPC's range as AWS reports it: an existing VPC keeps the range it was created with. */
  cidr: string
  publicSubnetIds: string[]
  privateSubnetIds: string[]
  /** The route tables of the environment's subnets: a route to the peer region goes into each. */
  routeTableIds: string[]
}

/** Filters that find one tagged component of this environment's region. */
export const componentFilter = (ctx: RegionContext, component: string) => [
  {Name: `tag:${TAG.environment}`, Values: [ctx.env.name]},
  {Name: `tag:${TAG.region}`, Values: [ctx.region]},
  {Name: `tag:${TAG.component}`, Values: [component]},
]

/** Tags for a resource mygate creates: the environment's tags, a Name and the component. */
export const tagSpec = (
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

export async function step<T>(action: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (error instanceof MygateError) throw error
    throw awsFailure(action, error)
  }
}

export async function ensureNetwork(ctx: RegionContext): Promise<Network> {
  const {ec2: client, sdk} = ctx.clients
  const ec2 = sdk.ec2
  const {vpcId, cidr} = await step(`finding or creating the VPC of ${ctx.clusterName}`, async () => {
    const found = await client.send(new ec2.DescribeVpcsCommand({Filters: componentFilter(ctx, 'vpc')}))
    const existing = found.Vpcs?.[0]
    // An existing VPC keeps its range, whatever it is (VPCs made before the address plan: 192.168.0.0/16).
    if (existing?.VpcId && existing.CidrBlock) return {vpcId: existing.VpcId, cidr: existing.CidrBlock}
    const planned = vpcCidrFor(ctx.role)
    const created = await client.send(
      new ec2.CreateVpcCommand({CidrBlock: planned, TagSpecifications: tagSpec(ctx, 'vpc', 'vpc')}),
    )
    const id = created.Vpc!.VpcId!
    // Nodes register with the API server by their private DNS names; EKS needs both on.
    await client.send(new ec2.ModifyVpcAttributeCommand({VpcId: id, EnableDnsSupport: {Value: true}}))
    await client.send(new ec2.ModifyVpcAttributeCommand({VpcId: id, EnableDnsHostnames: {Value: true}}))
    ctx.progress.update(`${ctx.region}: created VPC ${id} (${planned})`)
    return {vpcId: id, cidr: created.Vpc!.CidrBlock ?? planned}
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
              CidrBlock: subnetCidr(cidr, kind, index),
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

  const routeTableIds = await step(`setting up the route tables of ${ctx.clusterName}`, async () => [
    await ensureRouteTable(ctx, vpcId, 'route-table-public', subnets.publicSubnetIds, gatewayId),
    await ensureRouteTable(ctx, vpcId, 'route-table-private', subnets.privateSubnetIds),
  ])

  return {vpcId, cidr, ...subnets, routeTableIds}
}

/**
 * The network of subnets the environment names (aws.subnetIds): their VPC, its range, and the
 * route tables that route them (a subnet without its own table uses the VPC's main one). Only read:
 * routes to the peer region are added to these tables by the region link.
 */
export async function describeNamedNetwork(ctx: RegionContext, subnetIds: string[]): Promise<Network> {
  const {ec2: client, sdk} = ctx.clients
  const ec2 = sdk.ec2
  return step(`reading the VPC of subnets ${subnetIds.join(', ')}`, async () => {
    const subnets = (await client.send(new ec2.DescribeSubnetsCommand({SubnetIds: subnetIds}))).Subnets ?? []
    const vpcIds = [...new Set(subnets.map((subnet) => subnet.VpcId).filter((id): id is string => Boolean(id)))]
    if (vpcIds.length !== 1) {
      throw new ExternalError(`the subnets named in aws.subnetIds lie in ${vpcIds.length} VPCs (${vpcIds.join(', ') || 'none found'}); EKS needs them in one`, {
        hint: 'list subnets of one VPC in aws.subnetIds',
      })
    }
    const vpcId = vpcIds[0]
    const vpc = (await client.send(new ec2.DescribeVpcsCommand({VpcIds: [vpcId]}))).Vpcs?.[0]
    const tables = (await client.send(new ec2.DescribeRouteTablesCommand({Filters: [{Name: 'vpc-id', Values: [vpcId]}]}))).RouteTables ?? []
    const explicit = new Map<string, string>()
    let mainTable: string | undefined
    for (const table of tables) {
      for (const association of table.Associations ?? []) {
        if (association.Main) mainTable = table.RouteTableId
        else if (association.SubnetId) explicit.set(association.SubnetId, table.RouteTableId!)
      }
    }
    const routeTableIds = [...new Set(subnetIds.map((id) => explicit.get(id) ?? mainTable).filter((id): id is string => Boolean(id)))]
    return {
      vpcId,
      cidr: vpc?.CidrBlock ?? '',
      publicSubnetIds: subnets.filter((subnet) => subnet.MapPublicIpOnLaunch).map((subnet) => subnet.SubnetId!),
      privateSubnetIds: subnets.filter((subnet) => !subnet.MapPublicIpOnLaunch).map((subnet) => subnet.SubnetId!),
      routeTableIds,
    }
  })
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
): Promise<string> {
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
  return tableId
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
