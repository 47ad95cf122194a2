import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {parseEnvelope} from '../helpers/cli.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'
import {startMoto, type MotoServer} from '../helpers/moto.js'
import {findOnPath} from '../helpers/programs.js'

/**
 * The AWS provider through the real CLI against moto_server, checked with the real `aws` CLI as an
 * independent peer: --infra-only create makes the tagged EKS cluster and node groups (spot where
 * descriptors allow it), destroy removes them.
 */
describe('mygate env on provider aws (moto_server + aws CLI)', () => {
  let moto: MotoServer
  let local: LocalHome
  let awsEnv: Record<string, string>
  const region = 'us-east-1'

  const secondary = 'us-west-2'

  const awsIn = async (where: string, ...args: string[]) => {
    const binary = findOnPath('aws')
    if (!binary) throw new Error('the aws CLI is not on PATH: it is the independent check of what mygate created')
    const result = await execa(binary, [...args, '--endpoint-url', moto.endpoint, '--region', where, '--output', 'json'], {env: awsEnv, reject: false})
    if (result.exitCode !== 0) throw new Error(`aws ${args.join(' ')} failed: ${result.stderr}`)
    return JSON.parse(String(result.stdout)) as Record<string, unknown>
  }
  const aws = (...args: string[]) => awsIn(region, ...args)

  /** The environment's VPC in a region, its routes through a peering, and its database security group's ingress, as the aws CLI sees them. */
  const regionNetwork = async (envName: string, where: string) => {
    const vpcs = (await awsIn(where, 'ec2', 'describe-vpcs', '--filters', `Name=tag:mygate.dev/environment,Values=${envName}`)).Vpcs as Array<{VpcId: string; CidrBlock: string}>
    const vpc = vpcs[0]
    const tables = vpc
      ? ((await awsIn(where, 'ec2', 'describe-route-tables', '--filters', `Name=vpc-id,Values=${vpc.VpcId}`)).RouteTables as Array<{
          Routes: Array<{DestinationCidrBlock?: string; VpcPeeringConnectionId?: string}>
        }>)
      : []
    const groups = (await awsIn(where, 'ec2', 'describe-security-groups', '--filters', `Name=tag:mygate.dev/environment,Values=${envName}`, 'Name=tag:mygate.dev/component,Values=db-lb'))
      .SecurityGroups as Array<{GroupId: string; GroupName: string}>
    const rules = groups[0]
      ? ((await awsIn(where, 'ec2', 'describe-security-group-rules', '--filters', `Name=group-id,Values=${groups[0].GroupId}`)).SecurityGroupRules as Array<{
          IsEgress: boolean
          FromPort: number
          CidrIpv4: string
        }>)
      : []
    return {
      vpcId: vpc?.VpcId,
      cidr: vpc?.CidrBlock,
      peerRoutes: tables.flatMap((table) => table.Routes.filter((route) => route.VpcPeeringConnectionId).map((route) => `${route.DestinationCidrBlock} via ${route.VpcPeeringConnectionId}`)),
      securityGroup: groups[0]?.GroupName,
      ingress: rules.filter((rule) => !rule.IsEgress).map((rule) => `${rule.FromPort} from ${rule.CidrIpv4}`).sort(),
    }
  }

  beforeAll(async () => {
    moto = await startMoto()
    local = createLocalHome()
    awsEnv = {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: moto.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: moto.credentials.secretAccessKey,
      AWS_REGION: region,
      AWS_EC2_METADATA_DISABLED: 'true',
    }
  }, 60_000)
  afterAll(async () => {
    await local?.cleanup()
    await moto?.stop()
  })

  test('--infra-only creates the tagged cluster and node groups, spot where allowed', async () => {
    const run = await local.cli(['env', 'create', 'stg', '--provider', 'aws', '--region', region, '--tier', 'staging', '--infra-only', '--json'], {env: awsEnv})
    expect(run.exitCode, run.stderr).toBe(0)
    const result = parseEnvelope<{result: {clusters: Array<{clusterName: string}>; kubeconfig: string}}>(run.stdout).result
    expect(result.clusters.map((c) => c.clusterName)).toEqual(['mygate-stg-us-east-1'])

    const clusters = (await aws('eks', 'list-clusters')).clusters as string[]
    expect(clusters).toContain('mygate-stg-us-east-1')
    const cluster = (await aws('eks', 'describe-cluster', '--name', 'mygate-stg-us-east-1')).cluster as {status: string; tags: Record<string, string>}
    expect(cluster.status).toBe('ACTIVE')
    expect(cluster.tags).toMatchObject({'mygate.dev/environment': 'stg', 'mygate.dev/managed-by': 'mygate'})

    const groups = (await aws('eks', 'list-nodegroups', '--cluster-name', 'mygate-stg-us-east-1')).nodegroups as string[]
    expect(groups.sort()).toEqual(['ng-on-demand', 'ng-spot'])
    const spot = (await aws('eks', 'describe-nodegroup', '--cluster-name', 'mygate-stg-us-east-1', '--nodegroup-name', 'ng-spot')).nodegroup as {capacityType: string}
    expect(spot.capacityType).toBe('SPOT')
    const onDemand = (await aws('eks', 'describe-nodegroup', '--cluster-name', 'mygate-stg-us-east-1', '--nodegroup-name', 'ng-on-demand')).nodegroup as {capacityType: string}
    expect(onDemand.capacityType).toBe('ON_DEMAND')
  }, 180_000)

  test('the environment is listed from its cached kubeconfig, and destroy removes cluster and node groups', async () => {
    // Its own environment, so the test above is not a prerequisite.
    const created = await local.cli(['env', 'create', 'gone', '--provider', 'aws', '--region', region, '--tier', 'staging', '--infra-only'], {env: awsEnv})
    expect(created.exitCode, created.stderr).toBe(0)
    expect((await aws('eks', 'list-clusters')).clusters).toContain('mygate-gone-us-east-1')
    const list = parseEnvelope<{result: Array<{name: string; provider: string; phase: string}>}>((await local.cli(['env', 'list', '--json'], {env: awsEnv})).stdout)
    expect(list.result.find((e) => e.name === 'gone')).toMatchObject({provider: 'aws', phase: 'infra-only'})

    const destroy = await local.cli(['env', 'destroy', 'gone', '--yes'], {env: awsEnv})
    expect(destroy.exitCode, destroy.stderr).toBe(0)
    expect((await aws('eks', 'list-clusters')).clusters).not.toContain('mygate-gone-us-east-1')
    const vpcs = (await aws('ec2', 'describe-vpcs', '--filters', 'Name=tag:mygate.dev/environment,Values=gone')).Vpcs as unknown[]
    expect(vpcs).toEqual([])
  })

  test('missing AWS credentials: one line naming what to set, nothing created', async () => {
    const run = await local.cli(['env', 'create', 'nocreds', '--provider', 'aws', '--region', region, '--infra-only'], {
      env: {
        AWS_ENDPOINT_URL: moto.endpoint,
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_PROFILE: undefined,
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
        AWS_CONFIG_FILE: '/nonexistent/config',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    })
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toMatch(/no AWS credentials/)
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
    expect((await aws('eks', 'list-clusters')).clusters).not.toContain('mygate-nocreds-us-east-1')
    expect((await aws('ec2', 'describe-vpcs', '--filters', 'Name=tag:mygate.dev/environment,Values=nocreds')).Vpcs).toEqual([])
  })

  test('a region AWS does not have is refused', async () => {
    const run = await local.cli(['env', 'create', 'mars', '--provider', 'aws', '--region', 'mars-north-1', '--infra-only'], {env: awsEnv})
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('mars-north-1')
    expect((await aws('eks', 'list-clusters')).clusters).toEqual(expect.not.arrayContaining([expect.stringMatching(/^mygate-mars-/)]))
  })

  test('two regions: the plan lists the link; --infra-only makes distinct VPC ranges, an active peering, routes and rules; destroy removes them', async () => {
    const plan = await local.cli(['env', 'create', 'dr', '--provider', 'aws', '--region', region, '--secondary-region', secondary, '--dry-run'], {env: awsEnv})
    expect(plan.exitCode, plan.stderr).toBe(0)
    expect(plan.stdout).toContain(`+ VPC peering with ${secondary} (requested here, accepted in ${secondary}); routes to 10.20.0.0/16 through it`)
    expect(plan.stdout).toContain(`+ VPC peering with ${region} (accepted here); routes to 10.10.0.0/16 through it`)
    expect(plan.stdout).toContain(`+ security group mygate-dr-${secondary}-db-lb for the per-member database load balancers: TCP 27017 (MongoDB), 6379 (Redis) from 10.10.0.0/16 and 10.20.0.0/16`)

    const run = await local.cli(['env', 'create', 'dr', '--provider', 'aws', '--region', region, '--secondary-region', secondary, '--infra-only', '--json'], {env: awsEnv})
    expect(run.exitCode, run.stderr).toBe(0)

    const primaryNet = await regionNetwork('dr', region)
    const secondaryNet = await regionNetwork('dr', secondary)
    expect([primaryNet.cidr, secondaryNet.cidr]).toEqual(['10.10.0.0/16', '10.20.0.0/16'])
    const peerings = ((await aws('ec2', 'describe-vpc-peering-connections')).VpcPeeringConnections as Array<{
      VpcPeeringConnectionId: string
      Status: {Code: string}
      RequesterVpcInfo: {VpcId: string}
      AccepterVpcInfo: {VpcId: string; Region: string}
    }>).filter((peering) => peering.RequesterVpcInfo.VpcId === primaryNet.vpcId && peering.AccepterVpcInfo.VpcId === secondaryNet.vpcId)
    expect(peerings.map((peering) => [peering.Status.Code, peering.AccepterVpcInfo.Region])).toEqual([['active', secondary]])
    const id = peerings[0].VpcPeeringConnectionId
    expect(primaryNet.peerRoutes).toEqual([`10.20.0.0/16 via ${id}`, `10.20.0.0/16 via ${id}`])
    expect(secondaryNet.peerRoutes).toEqual([`10.10.0.0/16 via ${id}`, `10.10.0.0/16 via ${id}`])
    const ingress = ['27017 from 10.10.0.0/16', '27017 from 10.20.0.0/16', '6379 from 10.10.0.0/16', '6379 from 10.20.0.0/16']
    expect(primaryNet).toMatchObject({securityGroup: `mygate-dr-${region}-db-lb`, ingress})
    expect(secondaryNet).toMatchObject({securityGroup: `mygate-dr-${secondary}-db-lb`, ingress})

    const destroy = await local.cli(['env', 'destroy', 'dr', '--yes', '--json'], {env: awsEnv})
    expect(destroy.exitCode, destroy.stderr).toBe(0)
    const removed = parseEnvelope<{result: {destroyed: Array<{removed: string[]}>}}>(destroy.stdout).result.destroyed[0].removed
    expect(removed).toEqual(
      expect.arrayContaining([
        `VPC peering ${id} (${region} <-> ${secondary})`,
        expect.stringMatching(new RegExp(`^route to 10\\.10\\.0\\.0/16 through ${id} in rtb-\\w+ \\(${secondary}\\)$`)),
        expect.stringMatching(new RegExp(`^security group sg-\\w+ \\(mygate-dr-${region}-db-lb, ${region}\\)$`)),
      ]),
    )
    const after = ((await aws('ec2', 'describe-vpc-peering-connections')).VpcPeeringConnections as Array<{VpcPeeringConnectionId: string; Status: {Code: string}}>).find(
      (peering) => peering.VpcPeeringConnectionId === id,
    )
    expect(after?.Status.Code ?? 'deleted').toBe('deleted')
    expect(await regionNetwork('dr', region)).toEqual({vpcId: undefined, cidr: undefined, peerRoutes: [], securityGroup: undefined, ingress: []})
    expect(await regionNetwork('dr', secondary)).toEqual({vpcId: undefined, cidr: undefined, peerRoutes: [], securityGroup: undefined, ingress: []})
    // Three mygate runs and about twenty aws CLI runs, each a Python start-up on a shared 2-core machine.
  }, 240_000)
})
