import {
  CreateTagsCommand,
  CreateVpcCommand,
  DescribeInternetGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcPeeringConnectionsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2'
import {DescribeClusterCommand, DescribeNodegroupCommand, EKSClient, ListNodegroupsCommand} from '@aws-sdk/client-eks'
import {GetRoleCommand, IAMClient, ListAttachedRolePoliciesCommand} from '@aws-sdk/client-iam'
import {mkdtemp, rm, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {ConflictError, UsageError} from '../../../src/errors.js'
import {createAwsProvider} from '../../../src/providers/aws/index.js'
import {readKubeconfigFile} from '../../../src/kube/kubeconfig/files.js'
import type {ClusterProvider} from '../../../src/providers/types.js'
import {testEnvironment, testService} from '../../helpers/builders.js'
import {type MotoServer, startMoto} from '../../helpers/moto.js'

const REGION = 'eu-west-1'
const SECONDARY = 'us-east-2'
const CLUSTER = `mygate-itest-${REGION}`

let moto: MotoServer
let home: string
let provider: ClusterProvider
let eks: EKSClient
let ec2: EC2Client
let iam: IAMClient
const messages: string[] = []
const progress = {update: (message: string) => messages.push(message)}

const env = testEnvironment({name: 'itest', provider: 'aws', tier: 'staging', regions: {primary: REGION, secondary: SECONDARY}})
const services = [
  testService({name: 'visitors', spot: true}),
  testService({name: 'payments', spot: false, criticality: {level: 'critical', rto: '5m', rpo: '1m'}}),
]

async function countResources(region: string) {
  const client = new EC2Client({region, endpoint: moto.endpoint, credentials: moto.credentials})
  const tag = {Name: 'tag:mygate.dev/environment', Values: ['itest']}
  const [vpcs, subnets, gateways, tables] = await Promise.all([
    client.send(new DescribeVpcsCommand({Filters: [tag]})),
    client.send(new DescribeSubnetsCommand({Filters: [tag]})),
    client.send(new DescribeInternetGatewaysCommand({Filters: [tag]})),
    client.send(new DescribeRouteTablesCommand({Filters: [tag]})),
  ])
  client.destroy()
  return {
    vpcs: vpcs.Vpcs?.length ?? 0,
    subnets: subnets.Subnets?.length ?? 0,
    gateways: gateways.InternetGateways?.length ?? 0,
    routeTables: tables.RouteTables?.length ?? 0,
  }
}

const ec2In = (region: string) => new EC2Client({region, endpoint: moto.endpoint, credentials: moto.credentials})

/**
 * What joins the two regions, read back from moto: each VPC's range, the live peerings between the
 * two VPCs, the route tables' routes through a peering, and the database security group's ingress.
 */
async function linkState(envName: string) {
  const sides = await Promise.all(
    [REGION, SECONDARY].map(async (region) => {
      const client = ec2In(region)
      try {
        const vpc = (await client.send(new DescribeVpcsCommand({Filters: [{Name: 'tag:mygate.dev/environment', Values: [envName]}]}))).Vpcs?.[0]
        const tables = vpc ? ((await client.send(new DescribeRouteTablesCommand({Filters: [{Name: 'vpc-id', Values: [vpc.VpcId!]}]}))).RouteTables ?? []) : []
        const ownedTables = tables.filter((table) => table.Tags?.some((tag) => tag.Key === 'mygate.dev/environment' && tag.Value === envName))
        const groups = (await client.send(new DescribeSecurityGroupsCommand({Filters: [{Name: 'group-name', Values: [`mygate-${envName}-${region}-db-lb`]}]}))).SecurityGroups ?? []
        const rules = groups[0]
          ? ((await client.send(new DescribeSecurityGroupRulesCommand({Filters: [{Name: 'group-id', Values: [groups[0].GroupId!]}]}))).SecurityGroupRules ?? [])
          : []
        return {
          region,
          vpcId: vpc?.VpcId,
          cidr: vpc?.CidrBlock,
          peerRoutes: ownedTables.map((table) =>
            (table.Routes ?? []).filter((route) => route.VpcPeeringConnectionId).map((route) => `${route.DestinationCidrBlock} via ${route.VpcPeeringConnectionId}`),
          ),
          securityGroup: groups[0] && {
            vpcId: groups[0].VpcId,
            name: groups[0].Tags?.find((tag) => tag.Key === 'Name')?.Value,
            ingress: rules.filter((rule) => !rule.IsEgress).map((rule) => `${rule.IpProtocol} ${rule.FromPort} from ${rule.CidrIpv4}`).sort(),
          },
        }
      } finally {
        client.destroy()
      }
    }),
  )
  const client = ec2In(REGION)
  const peerings = ((await client.send(new DescribeVpcPeeringConnectionsCommand({}))).VpcPeeringConnections ?? []).filter(
    (peering) => peering.RequesterVpcInfo?.VpcId === sides[0].vpcId && peering.AccepterVpcInfo?.VpcId === sides[1].vpcId && peering.Status?.Code !== 'deleted',
  )
  client.destroy()
  return {primary: sides[0], secondary: sides[1], peerings}
}

beforeAll(async () => {
  moto = await startMoto()
  home = await mkdtemp(join(tmpdir(), 'mygate-aws-'))
  const clientConfig = {endpoint: moto.endpoint, credentials: moto.credentials}
  provider = createAwsProvider({
    services,
    clientConfig,
    waiterMinDelaySeconds: 1,
    waiterMaxWaitSeconds: 20,
    execCommand: '/opt/mygate/bin/mygate',
    processEnv: {MYGATE_HOME: home},
  })
  eks = new EKSClient({region: REGION, ...clientConfig})
  ec2 = new EC2Client({region: REGION, ...clientConfig})
  iam = new IAMClient({region: REGION, ...clientConfig})
})

afterAll(async () => {
  eks?.destroy()
  ec2?.destroy()
  iam?.destroy()
  await moto?.stop()
  if (home) await rm(home, {recursive: true, force: true})
})

describe('AWS provider against moto_server', () => {
  test('validate accepts the credentials and regions, rejects an unoffered region', async () => {
    await provider.validate(env)
    const bad = testEnvironment({...env, regions: {primary: 'xx-north-9'}})
    await expect(provider.validate(bad)).rejects.toThrow(UsageError)
    await expect(provider.validate(bad)).rejects.toThrow(/xx-north-9.*not an AWS region available/)
  })

  test('ensureClusters creates VPC, subnets, roles, a tagged cluster and node groups', async () => {
    const handles = await provider.ensureClusters(env, progress)
    expect(handles.map((handle) => [handle.region, handle.role, handle.context])).toEqual([
      [REGION, 'primary', CLUSTER],
      [SECONDARY, 'secondary', `mygate-itest-${SECONDARY}`],
    ])
    expect(handles[0].endpoint).toMatch(/^https:\/\//)

    const {cluster} = await eks.send(new DescribeClusterCommand({name: CLUSTER}))
    expect(cluster?.status).toBe('ACTIVE')
    expect(cluster?.version).toBe('1.31')
    expect(cluster?.tags).toMatchObject({
      'mygate.dev/environment': 'itest',
      'mygate.dev/region': REGION,
      'mygate.dev/managed-by': 'mygate',
      'mygate.dev/tier': 'staging',
      'mygate.dev/provider': 'aws',
    })
    expect(cluster?.resourcesVpcConfig?.subnetIds).toHaveLength(6)
    expect(cluster?.roleArn).toMatch(/role\/mygate-itest-eu-west-1-cluster$/)

    const {nodegroups} = await eks.send(new ListNodegroupsCommand({clusterName: CLUSTER}))
    expect(nodegroups?.sort()).toEqual(['ng-on-demand', 'ng-spot'])
    const spot = await eks.send(new DescribeNodegroupCommand({clusterName: CLUSTER, nodegroupName: 'ng-spot'}))
    expect(spot.nodegroup?.capacityType).toBe('SPOT')
    expect(spot.nodegroup?.scalingConfig).toEqual({minSize: 1, maxSize: 6, desiredSize: 2})
    const onDemand = await eks.send(new DescribeNodegroupCommand({clusterName: CLUSTER, nodegroupName: 'ng-on-demand'}))
    expect(onDemand.nodegroup?.capacityType).toBe('ON_DEMAND')
    expect(onDemand.nodegroup?.nodeRole).toMatch(/role\/mygate-itest-eu-west-1-node$/)

    expect(await countResources(REGION)).toEqual({vpcs: 1, subnets: 6, gateways: 1, routeTables: 2})
    const subnets = await ec2.send(new DescribeSubnetsCommand({Filters: [{Name: 'tag:mygate.dev/environment', Values: ['itest']}]}))
    expect(subnets.Subnets?.map((subnet) => subnet.CidrBlock).sort()).toEqual(
      ['10.10.0.0/19', '10.10.32.0/19', '10.10.64.0/19', '10.10.96.0/19', '10.10.128.0/19', '10.10.160.0/19'].sort(),
    )
    expect(cluster?.kubernetesNetworkConfig?.serviceIpv4Cidr).toBe('172.20.0.0/16')

    const nodePolicies = await iam.send(new ListAttachedRolePoliciesCommand({RoleName: 'mygate-itest-eu-west-1-node'}))
    expect(nodePolicies.AttachedPolicies?.map((policy) => policy.PolicyName).sort()).toEqual([
      'AmazonEC2ContainerRegistryReadOnly',
      'AmazonEKSWorkerNodePolicy',
      'AmazonEKS_CNI_Policy',
    ])
    const clusterRole = await iam.send(new GetRoleCommand({RoleName: 'mygate-itest-eu-west-1-cluster'}))
    expect(decodeURIComponent(clusterRole.Role?.AssumeRolePolicyDocument ?? '')).toContain('eks.amazonaws.com')
  })

  test('the two VPCs get distinct ranges, an active peering, routes both ways and database rules by CIDR', async () => {
    const {primary, secondary, peerings} = await linkState('itest')
    expect([primary.cidr, secondary.cidr]).toEqual(['10.10.0.0/16', '10.20.0.0/16'])
    expect(peerings).toHaveLength(1)
    const [peering] = peerings
    const id = peering.VpcPeeringConnectionId!
    expect(peering.Status?.Code).toBe('active')
    expect(peering.AccepterVpcInfo).toMatchObject({Region: SECONDARY, CidrBlock: '10.20.0.0/16'})
    expect(peering.Tags).toEqual(expect.arrayContaining([{Key: 'mygate.dev/environment', Value: 'itest'}, {Key: 'mygate.dev/component', Value: 'peering'}]))
    // The public and the private route table of each VPC.
    expect(primary.peerRoutes).toEqual([[`10.20.0.0/16 via ${id}`], [`10.20.0.0/16 via ${id}`]])
    expect(secondary.peerRoutes).toEqual([[`10.10.0.0/16 via ${id}`], [`10.10.0.0/16 via ${id}`]])
    const ingress = ['tcp 27017 from 10.10.0.0/16', 'tcp 27017 from 10.20.0.0/16', 'tcp 6379 from 10.10.0.0/16', 'tcp 6379 from 10.20.0.0/16']
    expect(primary.securityGroup).toEqual({vpcId: primary.vpcId, name: `mygate-itest-${REGION}-db-lb`, ingress})
    expect(secondary.securityGroup).toEqual({vpcId: secondary.vpcId, name: `mygate-itest-${SECONDARY}-db-lb`, ingress})
  })

  test('a second ensureClusters changes nothing', async () => {
    const before = await countResources(REGION)
    messages.length = 0
    const handles = await provider.ensureClusters(env, progress)
    expect(handles).toHaveLength(2)
    expect(messages.filter((message) => /creat|attached/.test(message))).toEqual([])
    expect(await countResources(REGION)).toEqual(before)
    const {nodegroups} = await eks.send(new ListNodegroupsCommand({clusterName: CLUSTER}))
    expect(nodegroups).toHaveLength(2)
    const link = await linkState('itest')
    expect(link.peerings).toHaveLength(1)
    expect(link.primary.securityGroup?.ingress).toHaveLength(4)
  })

  test('writeKubeconfig writes one context per region with the eks-token exec user, mode 0600', async () => {
    const handles = await provider.ensureClusters(env, progress)
    const ref = await provider.writeKubeconfig(env, handles)
    expect(ref.path).toBe(join(home, 'kubeconfig', 'itest.yaml'))
    expect(ref.contexts).toEqual({[REGION]: CLUSTER, [SECONDARY]: `mygate-itest-${SECONDARY}`})
    expect((await stat(ref.path)).mode & 0o777).toBe(0o600)
    const config = await readKubeconfigFile(ref.path)
    expect(config.contexts.map((context) => context.name)).toEqual([CLUSTER, `mygate-itest-${SECONDARY}`])
    const user = config.users.find((candidate) => candidate.name === CLUSTER)!.user
    expect(user.exec).toMatchObject({
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      command: '/opt/mygate/bin/mygate',
      args: ['auth', 'eks-token', '--cluster', CLUSTER, '--region', REGION],
      interactiveMode: 'Never',
    })
    const {cluster} = await eks.send(new DescribeClusterCommand({name: CLUSTER}))
    expect(config.clusters[0].cluster.server).toBe(cluster?.endpoint)
    expect(config.clusters[0].cluster['certificate-authority-data']).toBe(cluster?.certificateAuthority?.data)
  })

  test('destroyClusters removes node groups, clusters, network and roles', async () => {
    const report = await provider.destroyClusters(env, progress)
    expect(report.leftBehind).toEqual([])
    expect(report.removed).toEqual(
      expect.arrayContaining([`EKS cluster ${CLUSTER} (${REGION})`, `node group ng-spot of ${CLUSTER}`, 'IAM role mygate-itest-eu-west-1-node']),
    )
    await expect(eks.send(new DescribeClusterCommand({name: CLUSTER}))).rejects.toMatchObject({name: 'ResourceNotFoundException'})
    await expect(iam.send(new GetRoleCommand({RoleName: 'mygate-itest-eu-west-1-cluster'}))).rejects.toMatchObject({name: 'NoSuchEntityException'})
    expect(report.removed).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^VPC peering pcx-\\w+ \\(${REGION} <-> ${SECONDARY}\\)$`)),
        expect.stringMatching(new RegExp(`^route to 10\\.20\\.0\\.0/16 through pcx-\\w+ in rtb-\\w+ \\(${REGION}\\)$`)),
        expect.stringMatching(new RegExp(`^route to 10\\.10\\.0\\.0/16 through pcx-\\w+ in rtb-\\w+ \\(${SECONDARY}\\)$`)),
        expect.stringMatching(new RegExp(`^security group sg-\\w+ \\(mygate-itest-${SECONDARY}-db-lb, ${SECONDARY}\\)$`)),
        expect.stringMatching(/^4 database ingress rule\(s\) of security group sg-/),
      ]),
    )
    expect(report.removed.filter((line) => line.startsWith('route to'))).toHaveLength(4)
    expect(await countResources(REGION)).toEqual({vpcs: 0, subnets: 0, gateways: 0, routeTables: 0})
    expect(await countResources(SECONDARY)).toEqual({vpcs: 0, subnets: 0, gateways: 0, routeTables: 0})
    const peerings = (await ec2.send(new DescribeVpcPeeringConnectionsCommand({}))).VpcPeeringConnections ?? []
    expect(peerings.filter((peering) => peering.Status?.Code !== 'deleted')).toEqual([])
    const groups = (await ec2.send(new DescribeSecurityGroupsCommand({Filters: [{Name: 'tag:mygate.dev/environment', Values: ['itest']}]}))).SecurityGroups ?? []
    expect(groups).toEqual([])

    // Nothing left to remove; the backup buckets and keys are kept (as every destroy without --delete-backups says).
    const again = await provider.destroyClusters(env, progress)
    expect(again).toMatchObject({removed: [], leftBehind: []})
    expect(again.kept?.map((k) => k.resource)).toEqual([
      `backup bucket s3://mygate-itest-${REGION}-backups`,
      `KMS key alias/mygate-itest-${REGION}-backups in ${REGION}`,
      `backup bucket s3://mygate-itest-${SECONDARY}-backups`,
      `KMS key alias/mygate-itest-${SECONDARY}-backups in ${SECONDARY}`,
    ])
  })

  test('a VPC made before the address plan keeps its range: subnets are carved from 192.168.0.0/16', async () => {
    const legacy = testEnvironment({name: 'legacy', provider: 'aws', regions: {primary: REGION}})
    const vpcId = await precreateLegacyVpc(REGION, 'legacy', 'primary')
    await provider.ensureClusters(legacy, progress)
    const subnets = await ec2.send(new DescribeSubnetsCommand({Filters: [{Name: 'vpc-id', Values: [vpcId]}]}))
    expect(subnets.Subnets?.map((subnet) => subnet.CidrBlock).sort()).toEqual(
      ['192.168.0.0/19', '192.168.32.0/19', '192.168.64.0/19', '192.168.96.0/19', '192.168.128.0/19', '192.168.160.0/19'].sort(),
    )
    const vpcs = await ec2.send(new DescribeVpcsCommand({Filters: [{Name: 'tag:mygate.dev/environment', Values: ['legacy']}]}))
    expect(vpcs.Vpcs?.map((vpc) => vpc.CidrBlock)).toEqual(['192.168.0.0/16'])
    expect((await provider.destroyClusters(legacy, progress)).leftBehind).toEqual([])
  })

  test('two VPCs made before the address plan overlap: a ConflictError naming both, before any cluster or peering', async () => {
    const old = testEnvironment({name: 'oldpair', provider: 'aws', regions: {primary: REGION, secondary: SECONDARY}})
    await precreateLegacyVpc(REGION, 'oldpair', 'primary')
    await precreateLegacyVpc(SECONDARY, 'oldpair', 'secondary')
    const error = await provider.ensureClusters(old, progress).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ConflictError)
    expect((error as ConflictError).message).toBe(
      `the VPCs of ${REGION} (192.168.0.0/16) and ${SECONDARY} (192.168.0.0/16) overlap, and AWS cannot peer overlapping VPCs`,
    )
    expect((error as ConflictError).hint).toContain('mygate env destroy oldpair')
    await expect(eks.send(new DescribeClusterCommand({name: `mygate-oldpair-${REGION}`}))).rejects.toMatchObject({name: 'ResourceNotFoundException'})
    expect((await linkState('oldpair')).peerings).toEqual([])
    expect((await provider.destroyClusters(old, progress)).leftBehind).toEqual([])
  })
})

/** A VPC as mygate made them before the address plan: 192.168.0.0/16, tagged as the env's VPC. */
async function precreateLegacyVpc(region: string, envName: string, role: 'primary' | 'secondary'): Promise<string> {
  const client = ec2In(region)
  try {
    const vpc = await client.send(new CreateVpcCommand({CidrBlock: '192.168.0.0/16'}))
    const tags = {
      'mygate.dev/environment': envName,
      'mygate.dev/region': region,
      'mygate.dev/managed-by': 'mygate',
      'mygate.dev/provider': 'aws',
      'mygate.dev/role': role,
      'mygate.dev/component': 'vpc',
    }
    await client.send(new CreateTagsCommand({Resources: [vpc.Vpc!.VpcId!], Tags: Object.entries(tags).map(([Key, Value]) => ({Key, Value}))}))
    return vpc.Vpc!.VpcId!
  } finally {
    client.destroy()
  }
}
