import {
  AcceptVpcPeeringConnectionCommand,
  CreateRouteCommand,
  CreateTagsCommand,
  CreateVpcPeeringConnectionCommand,
  DescribeRouteTablesCommand,
  DescribeVpcPeeringConnectionsCommand,
  EC2Client,
  EC2ServiceException,
  ReplaceRouteCommand,
  type VpcPeeringConnection,
} from '@aws-sdk/client-ec2'
import {mockClient} from 'aws-sdk-client-mock'
import {afterAll, afterEach, beforeEach, describe, expect, test} from 'vitest'

import {ConflictError, ExternalError, TimeoutError} from '../../../src/errors.js'
import {createRegionClients, destroyRegionClients} from '../../../src/providers/aws/clients.js'
import {type RegionContext, regionContext} from '../../../src/providers/aws/context.js'
import {type LinkedRegion, ensurePeerRoutes, ensurePeering} from '../../../src/providers/aws/peering.js'
import {testEnvironment} from '../../helpers/builders.js'

/**
 * What moto does not emulate, against a mocked EC2 client: a cross-region request that reaches the
 * peer region only after a while, a peering AWS refuses (`failed`; moto accepts overlapping
 * ranges), a route left pointing at a deleted peering (a blackhole), and a route someone else owns.
 * The happy path and destroy run against moto (test/integration/providers/aws-moto.test.ts).
 */

const credentials = {accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret'}
const env = testEnvironment({name: 'unit', provider: 'aws', regions: {primary: 'eu-west-1', secondary: 'us-east-2'}})
const PCX = 'pcx-0123456789abcdef0'

const peering = (code: string, message = ''): VpcPeeringConnection => ({
  VpcPeeringConnectionId: PCX,
  RequesterVpcInfo: {VpcId: 'vpc-a', Region: 'eu-west-1', CidrBlock: '10.10.0.0/16'},
  AccepterVpcInfo: {VpcId: 'vpc-b', Region: 'us-east-2', CidrBlock: '10.20.0.0/16'},
  Status: {Code: code as never, Message: message},
})
const notFound = () =>
  new EC2ServiceException({name: 'InvalidVpcPeeringConnectionID.NotFound', $fault: 'client', $metadata: {}, message: `The vpcPeeringConnection ID '${PCX}' does not exist`})

/**
 * DescribeVpcPeeringConnections answers: `listed` for the search by VPCs (Filters), then `byId`
 * in turn for reads of the one peering (the last answer repeats); an Error entry is thrown.
 */
function peeringAnswers(listed: VpcPeeringConnection[], byId: Array<VpcPeeringConnection | Error>) {
  let read = 0
  return async (input: {VpcPeeringConnectionIds?: string[]}) => {
    if (!input.VpcPeeringConnectionIds) return {VpcPeeringConnections: listed}
    const answer = byId[Math.min(read++, byId.length - 1)]
    if (answer instanceof Error) throw answer
    return {VpcPeeringConnections: [answer]}
  }
}

describe('VPC peering steps with a mocked EC2 client', () => {
  const ec2 = mockClient(EC2Client)
  const contexts: RegionContext[] = []
  let messages: string[] = []

  async function side(region: string, role: 'primary' | 'secondary', vpcId: string, cidr: string, wait = {maxWaitSeconds: 5, minDelaySeconds: 0.2}): Promise<LinkedRegion> {
    const ctx = regionContext(env, region, role, await createRegionClients(region, {credentials}), {update: (message) => messages.push(message)}, wait)
    contexts.push(ctx)
    return {ctx, network: {vpcId, cidr, publicSubnetIds: [], privateSubnetIds: [], routeTableIds: [`rtb-${role}-public`, `rtb-${role}-private`]}}
  }
  /** Which region's client sent a call: the stub sees the client instance as `this`. */
  const sentFrom = (call: {thisValue: unknown}) => contexts.find((ctx) => ctx.clients.ec2 === call.thisValue)?.region

  beforeEach(() => {
    ec2.reset()
    messages = []
  })
  afterEach(() => {
    for (const ctx of contexts.splice(0)) destroyRegionClients(ctx.clients)
  })
  afterAll(() => ec2.restore())

  test('a new cross-region request is accepted in the peer region once it shows up there, then waited on until active', async () => {
    const primary = await side('eu-west-1', 'primary', 'vpc-a', '10.10.0.0/16')
    const secondary = await side('us-east-2', 'secondary', 'vpc-b', '10.20.0.0/16')
    ec2.on(CreateVpcPeeringConnectionCommand).resolves({VpcPeeringConnection: peering('initiating-request')})
    ec2
      .on(DescribeVpcPeeringConnectionsCommand)
      .callsFake(
        peeringAnswers([], [notFound(), peering('initiating-request'), peering('pending-acceptance'), peering('provisioning'), peering('active')]),
      )
    ec2.on(AcceptVpcPeeringConnectionCommand).resolves({VpcPeeringConnection: peering('provisioning')})
    ec2.on(CreateTagsCommand).resolves({})

    expect(await ensurePeering(primary, secondary)).toBe(PCX)

    const [create] = ec2.commandCalls(CreateVpcPeeringConnectionCommand)
    expect(create.args[0].input).toMatchObject({VpcId: 'vpc-a', PeerVpcId: 'vpc-b', PeerRegion: 'us-east-2'})
    expect(create.args[0].input.TagSpecifications?.[0]).toMatchObject({
      ResourceType: 'vpc-peering-connection',
      Tags: expect.arrayContaining([{Key: 'mygate.dev/environment', Value: 'unit'}, {Key: 'mygate.dev/component', Value: 'peering'}]),
    })
    expect(sentFrom(create)).toBe('eu-west-1')
    const accepts = ec2.commandCalls(AcceptVpcPeeringConnectionCommand)
    expect(accepts).toHaveLength(1)
    expect(sentFrom(accepts[0])).toBe('us-east-2')
    const tagging = ec2.commandCalls(CreateTagsCommand)
    expect(tagging.map(sentFrom)).toEqual(['us-east-2'])
    expect(tagging[0].args[0].input.Tags).toEqual(expect.arrayContaining([{Key: 'mygate.dev/environment', Value: 'unit'}]))
    expect(tagging[0].args[0].input.Tags?.some((tag) => tag.Key === 'mygate.dev/region')).toBe(false)
    expect(messages).toEqual([expect.stringMatching(/created VPC peering pcx-\w+ \(eu-west-1 10.10.0.0\/16 <-> us-east-2 10.20.0.0\/16\)/), `us-east-2: accepted VPC peering ${PCX}`])
  })

  test('an active peering between the two VPCs is reused: nothing requested, nothing accepted', async () => {
    const primary = await side('eu-west-1', 'primary', 'vpc-a', '10.10.0.0/16')
    const secondary = await side('us-east-2', 'secondary', 'vpc-b', '10.20.0.0/16')
    const foreign = {...peering('active'), VpcPeeringConnectionId: 'pcx-other', AccepterVpcInfo: {VpcId: 'vpc-z', Region: 'us-east-2'}}
    const deleted = {...peering('deleted'), VpcPeeringConnectionId: 'pcx-old'}
    ec2.on(DescribeVpcPeeringConnectionsCommand).callsFake(peeringAnswers([foreign, deleted, peering('active')], [peering('active')]))
    ec2.on(CreateTagsCommand).resolves({})

    expect(await ensurePeering(primary, secondary)).toBe(PCX)
    expect(ec2.commandCalls(CreateVpcPeeringConnectionCommand)).toHaveLength(0)
    expect(ec2.commandCalls(AcceptVpcPeeringConnectionCommand)).toHaveLength(0)
  })

  test('a peering AWS refuses is an ExternalError carrying AWS\'s reason', async () => {
    const primary = await side('eu-west-1', 'primary', 'vpc-a', '10.10.0.0/16')
    const secondary = await side('us-east-2', 'secondary', 'vpc-b', '10.20.0.0/16')
    ec2.on(CreateVpcPeeringConnectionCommand).resolves({VpcPeeringConnection: peering('initiating-request')})
    ec2.on(DescribeVpcPeeringConnectionsCommand).callsFake(peeringAnswers([], [peering('failed', 'Overlapping CIDR range')]))

    const error = await ensurePeering(primary, secondary).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ExternalError)
    expect((error as ExternalError).message).toBe(`VPC peering ${PCX} (eu-west-1 10.10.0.0/16 <-> us-east-2 10.20.0.0/16) is failed: Overlapping CIDR range`)
    expect(ec2.commandCalls(AcceptVpcPeeringConnectionCommand)).toHaveLength(0)
  })

  test('a request that never reaches the peer region ends in a TimeoutError naming its last status', async () => {
    const primary = await side('eu-west-1', 'primary', 'vpc-a', '10.10.0.0/16')
    const secondary = await side('us-east-2', 'secondary', 'vpc-b', '10.20.0.0/16', {maxWaitSeconds: 1, minDelaySeconds: 0.2})
    ec2.on(CreateVpcPeeringConnectionCommand).resolves({VpcPeeringConnection: peering('initiating-request')})
    ec2.on(DescribeVpcPeeringConnectionsCommand).callsFake(peeringAnswers([], [notFound()]))

    const error = await ensurePeering(primary, secondary).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(TimeoutError)
    expect((error as TimeoutError).message).toBe(`timed out after 1s waiting for VPC peering ${PCX} to become active (status not yet visible in us-east-2)`)
  })

  test('routes: a missing one is created, one through a deleted peering replaced, a correct one left alone', async () => {
    const primary = await side('eu-west-1', 'primary', 'vpc-a', '10.10.0.0/16')
    ec2.on(DescribeRouteTablesCommand).resolves({
      RouteTables: [
        {RouteTableId: 'rtb-primary-public', Routes: [{DestinationCidrBlock: '0.0.0.0/0', GatewayId: 'igw-1'}]},
        {RouteTableId: 'rtb-primary-private', Routes: [{DestinationCidrBlock: '10.20.0.0/16', VpcPeeringConnectionId: 'pcx-old', State: 'blackhole'}]},
        {RouteTableId: 'rtb-primary-extra', Routes: [{DestinationCidrBlock: '10.20.0.0/16', VpcPeeringConnectionId: PCX, State: 'active'}]},
      ],
    })
    ec2.on(CreateRouteCommand).resolves({Return: true})
    ec2.on(ReplaceRouteCommand).resolves({})

    await ensurePeerRoutes(primary, '10.20.0.0/16', PCX)

    expect(ec2.commandCalls(CreateRouteCommand).map((call) => call.args[0].input)).toEqual([
      {RouteTableId: 'rtb-primary-public', DestinationCidrBlock: '10.20.0.0/16', VpcPeeringConnectionId: PCX},
    ])
    expect(ec2.commandCalls(ReplaceRouteCommand).map((call) => call.args[0].input)).toEqual([
      {RouteTableId: 'rtb-primary-private', DestinationCidrBlock: '10.20.0.0/16', VpcPeeringConnectionId: PCX},
    ])
  })

  test('a route to the peer range through something else is a conflict mygate does not overwrite', async () => {
    const primary = await side('eu-west-1', 'primary', 'vpc-a', '10.10.0.0/16')
    ec2.on(DescribeRouteTablesCommand).resolves({
      RouteTables: [{RouteTableId: 'rtb-primary-public', Routes: [{DestinationCidrBlock: '10.20.0.0/16', TransitGatewayId: 'tgw-1', State: 'active'}]}],
    })
    const error = await ensurePeerRoutes(primary, '10.20.0.0/16', PCX).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ConflictError)
    expect((error as ConflictError).message).toBe(`route table rtb-primary-public in eu-west-1 already sends 10.20.0.0/16 to tgw-1, not to the peering ${PCX}`)
    expect(ec2.commandCalls(CreateRouteCommand)).toHaveLength(0)
    expect(ec2.commandCalls(ReplaceRouteCommand)).toHaveLength(0)
  })
})
