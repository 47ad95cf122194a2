import {DescribeInternetGatewaysCommand, DescribeRouteTablesCommand, DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client} from '@aws-sdk/client-ec2'
import {DescribeClusterCommand, DescribeNodegroupCommand, EKSClient, ListNodegroupsCommand} from '@aws-sdk/client-eks'
import {GetRoleCommand, IAMClient, ListAttachedRolePoliciesCommand} from '@aws-sdk/client-iam'
import {mkdtemp, rm, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {UsageError} from '../../../src/errors.js'
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
    const vpcs = await ec2.send(new DescribeVpcsCommand({Filters: [{Name: 'tag:mygate.dev/environment', Values: ['itest']}]}))
    expect(vpcs.Vpcs?.[0]?.CidrBlock).toBe('192.168.0.0/16')

    const nodePolicies = await iam.send(new ListAttachedRolePoliciesCommand({RoleName: 'mygate-itest-eu-west-1-node'}))
    expect(nodePolicies.AttachedPolicies?.map((policy) => policy.PolicyName).sort()).toEqual([
      'AmazonEC2ContainerRegistryReadOnly',
      'AmazonEKSWorkerNodePolicy',
      'AmazonEKS_CNI_Policy',
    ])
    const clusterRole = await iam.send(new GetRoleCommand({RoleName: 'mygate-itest-eu-west-1-cluster'}))
    expect(decodeURIComponent(clusterRole.Role?.AssumeRolePolicyDocument ?? '')).toContain('eks.amazonaws.com')
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
    expect(await countResources(REGION)).toEqual({vpcs: 0, subnets: 0, gateways: 0, routeTables: 0})
    expect(await countResources(SECONDARY)).toEqual({vpcs: 0, subnets: 0, gateways: 0, routeTables: 0})

    const again = await provider.destroyClusters(env, progress)
    expect(again).toEqual({removed: [], leftBehind: []})
  })
})
