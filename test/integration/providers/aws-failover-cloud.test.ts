import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
  EC2Client,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2'
import {CreateClusterCommand, CreateNodegroupCommand, DescribeNodegroupCommand, EKSClient} from '@aws-sdk/client-eks'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {applyPendingCloudFence, fenceInTheCloud, reopenDataPaths} from '../../../src/failover/cloud-steps.js'
import type {FailoverRun} from '../../../src/failover/run-state.js'
import type {FailoverSession} from '../../../src/failover/session.js'
import type {StepContext} from '../../../src/failover/steps.js'
import {openAwsFailoverAccess} from '../../../src/providers/aws/failover-access.js'
import type {CloudFailoverAccess} from '../../../src/providers/cloud-failover.js'
import {testEnvironment} from '../../helpers/builders.js'
import {freePort, type MotoServer, startMoto} from '../../helpers/moto.js'

/**
 * The failover's AWS side against moto: EKS node groups resized with UpdateNodegroupConfig (moto
 * implements it and applies scalingConfig), and the cloud fence revoking and restoring exactly the
 * security-group rules that admit the database and gateway ports.
 */

const REGION = 'eu-west-1'
const ENV = 'cfence'
const CLUSTER = `mygate-${ENV}-${REGION}`
const env = testEnvironment({name: ENV, provider: 'aws', tier: 'dev', regions: {primary: REGION, secondary: 'us-east-2'}})

let moto: MotoServer
let access: CloudFailoverAccess
let ec2: EC2Client
let eks: EKSClient
let databaseGroup: string
let gatewayGroup: string

const tags = (extra: Record<string, string>) => [{ResourceType: 'security-group' as const, Tags: Object.entries(extra).map(([Key, Value]) => ({Key, Value}))}]

/** The group's ingress rules as comparable lines (ids change when a rule is authorized again). */
async function ingress(groupId: string): Promise<string[]> {
  const answer = await ec2.send(new DescribeSecurityGroupRulesCommand({Filters: [{Name: 'group-id', Values: [groupId]}]}))
  return (answer.SecurityGroupRules ?? [])
    .filter((rule: SecurityGroupRule) => !rule.IsEgress)
    .map((rule) => `${rule.IpProtocol} ${rule.FromPort}-${rule.ToPort} ${rule.CidrIpv4 ?? rule.ReferencedGroupInfo?.GroupId ?? ''} "${rule.Description ?? ''}"`)
    .sort()
}

beforeAll(async () => {
  moto = await startMoto()
  const config = {endpoint: moto.endpoint, credentials: moto.credentials}
  ec2 = new EC2Client({region: REGION, ...config})
  eks = new EKSClient({region: REGION, ...config})
  access = await openAwsFailoverAccess(env, config)

  const vpc = (await ec2.send(new CreateVpcCommand({CidrBlock: '10.10.0.0/16'}))).Vpc!.VpcId!
  databaseGroup = (
    await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: `${CLUSTER}-db-lb`,
        Description: 'db',
        VpcId: vpc,
        TagSpecifications: tags({'mygate.dev/environment': ENV, 'mygate.dev/region': REGION, 'mygate.dev/component': 'db-lb', 'mygate.dev/managed-by': 'mygate'}),
      }),
    )
  ).GroupId!
  gatewayGroup = (
    await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: 'k8s-mygate-gateway-0123456789',
        Description: '[k8s] Managed SecurityGroup for LoadBalancer',
        VpcId: vpc,
        TagSpecifications: tags({'elbv2.k8s.aws/cluster': CLUSTER, 'ingress.k8s.aws/stack': 'mygate/gateway', 'ingress.k8s.aws/resource': 'ManagedLBSecurityGroup'}),
      }),
    )
  ).GroupId!
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: databaseGroup,
      IpPermissions: [
        {IpProtocol: 'tcp', FromPort: 27017, ToPort: 27017, IpRanges: [{CidrIp: '10.10.0.0/16', Description: 'MongoDB from eu-west-1'}, {CidrIp: '10.20.0.0/16', Description: 'MongoDB from us-east-2'}]},
        {IpProtocol: 'tcp', FromPort: 6379, ToPort: 6379, IpRanges: [{CidrIp: '10.20.0.0/16', Description: 'Redis from us-east-2'}]},
        // Not a database port: the fence leaves it.
        {IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{CidrIp: '10.99.0.0/16', Description: 'bastion'}]},
      ],
    }),
  )
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: gatewayGroup,
      IpPermissions: [
        {IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{CidrIp: '0.0.0.0/0', Description: 'Allow ingress on port 80 from 0.0.0.0/0'}]},
        {IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{CidrIp: '0.0.0.0/0'}]},
      ],
    }),
  )

  await eks.send(new CreateClusterCommand({name: CLUSTER, roleArn: 'arn:aws:iam::123456789012:role/c', resourcesVpcConfig: {subnetIds: []}}))
  for (const [name, scaling] of [
    ['ng-on-demand', {minSize: 1, maxSize: 3, desiredSize: 1}],
    ['ng-spot', {minSize: 1, maxSize: 3, desiredSize: 1}],
  ] as const) {
    await eks.send(new CreateNodegroupCommand({clusterName: CLUSTER, nodegroupName: name, nodeRole: 'arn:aws:iam::123456789012:role/n', subnets: ['subnet-1'], scalingConfig: scaling}))
  }
}, 60_000)

afterAll(async () => {
  await access?.close()
  ec2?.destroy()
  eks?.destroy()
  await moto?.stop()
})

describe('EKS node groups on moto', () => {
  test('read, resize with UpdateNodegroupConfig, and a second resize to the same size sends nothing', async () => {
    expect(await access.nodeGroups.read(REGION, ['ng-on-demand', 'ng-missing'])).toEqual([{name: 'ng-on-demand', size: {minSize: 1, maxSize: 3, desiredSize: 1}}])
    expect(await access.nodeGroups.resize(REGION, 'ng-on-demand', {minSize: 1, maxSize: 4, desiredSize: 2})).toBe(true)
    const live = (await eks.send(new DescribeNodegroupCommand({clusterName: CLUSTER, nodegroupName: 'ng-on-demand'}))).nodegroup?.scalingConfig
    expect(live).toEqual({minSize: 1, maxSize: 4, desiredSize: 2})
    expect(await access.nodeGroups.resize(REGION, 'ng-on-demand', {minSize: 1, maxSize: 4, desiredSize: 2})).toBe(false)
  })
})

function stepContext(cloud: () => Promise<CloudFailoverAccess | undefined>, run: Partial<FailoverRun>, saved: Array<Partial<FailoverRun>>): StepContext {
  const session = {cloud, reachable: new Set<string>(), record: {spec: env}} as unknown as FailoverSession
  return {
    session,
    catalog: {services: []} as never,
    run: run as FailoverRun,
    tuning: {},
    now: () => new Date('2026-12-03T13:00:00Z'),
    onProgress: () => undefined,
    checkpoint: async (update) => void saved.push(update),
  }
}

describe('the cloud fence on moto', () => {
  test('revokes exactly the database and gateway rules, records them first, restores them exactly', async () => {
    const databaseBefore = await ingress(databaseGroup)
    const gatewayBefore = await ingress(gatewayGroup)
    const saved: Array<Partial<FailoverRun>> = []

    const fenced = await fenceInTheCloud(stepContext(async () => access, {}, saved), REGION)
    expect(fenced.pending).toBeUndefined()
    expect(fenced.detail).toBe('cloud fence closed: 3 database ingress rule(s), 2 gateway load balancer ingress rule(s)')
    // Recorded before anything was revoked, with every field needed to put them back.
    expect(saved[0].cloudFence?.parts).toHaveLength(5)
    expect(saved[0].cloudFence?.closedAt).toBeUndefined()
    expect(fenced.update?.cloudFence?.closedAt).toBe('2026-12-03T13:00:00.000Z')
    expect(await ingress(databaseGroup)).toEqual(['tcp 22-22 10.99.0.0/16 "bastion"'])
    expect(await ingress(gatewayGroup)).toEqual([])

    // A resumed step: nothing is open any more, the record keeps every part.
    const again = await fenceInTheCloud(stepContext(async () => access, {cloudFence: fenced.update!.cloudFence}, []), REGION)
    expect(again.update?.cloudFence?.parts).toEqual(fenced.update?.cloudFence?.parts)

    await access.fence.open(REGION, fenced.update!.cloudFence!.parts)
    expect(await ingress(databaseGroup)).toEqual(databaseBefore)
    expect(await ingress(gatewayGroup)).toEqual(gatewayBefore)
    // Opening twice changes nothing (no duplicate rule).
    await access.fence.open(REGION, fenced.update!.cloudFence!.parts)
    expect(await ingress(databaseGroup)).toEqual(databaseBefore)
  })

  test('a cloud API that does not answer leaves the fence pending; it is applied later', async () => {
    const dead = await openAwsFailoverAccess(env, {endpoint: `http://127.0.0.1:${await freePort()}`, credentials: moto.credentials, maxAttempts: 1})
    try {
      const fenced = await fenceInTheCloud(stepContext(async () => dead, {}, []), REGION)
      expect(fenced.pending).toMatch(/^AWS reading the security groups to fence in eu-west-1 failed/)
      expect(fenced.update).toBeUndefined()
      expect(await ingress(databaseGroup)).toHaveLength(4)

      // The region returns: the pending cloud part is applied, first, through a cloud that answers.
      const run = {id: 'fo-1', pendingFence: {region: REGION, since: '2026-12-03T13:00:00Z', cloud: fenced.pending}} as FailoverRun
      const session = {cloud: async () => access, reachable: new Set<string>()} as unknown as FailoverSession
      const applied = await applyPendingCloudFence(session, run, () => new Date('2026-12-03T13:05:00Z'))
      expect(applied.pending).toBeUndefined()
      expect(applied.run.cloudFence).toMatchObject({region: REGION, provider: 'aws', closedAt: '2026-12-03T13:05:00.000Z'})
      expect(await ingress(databaseGroup)).toEqual(['tcp 22-22 10.99.0.0/16 "bastion"'])
      expect(await ingress(gatewayGroup)).toEqual([])

      // The region fenced through its cluster API: its members rejoin, so the database paths open
      // again (recorded), while the gateway's entry stays closed until failback.
      const reopened = await reopenDataPaths(session, applied.run)
      expect(reopened.cloudFence?.dataReopenedAt).toMatch(/^\d{4}-\d\d-\d\dT/)
      expect(await ingress(databaseGroup)).toHaveLength(4)
      expect(await ingress(gatewayGroup)).toEqual([])
      expect(await reopenDataPaths(session, reopened)).toBe(reopened)
      await access.fence.open(REGION, applied.run.cloudFence!.parts)
      expect(await ingress(databaseGroup)).toHaveLength(4)
      expect(await ingress(gatewayGroup)).toHaveLength(2)
    } finally {
      await dead.close()
    }
  })
})
