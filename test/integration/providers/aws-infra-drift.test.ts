import {CreateNodegroupCommand, DeleteNodegroupCommand, DescribeNodegroupCommand, EKSClient, UpdateNodegroupConfigCommand} from '@aws-sdk/client-eks'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import type {EnvironmentRecord} from '../../../src/env/record.js'
import {infrastructureDrift} from '../../../src/drift/infrastructure-drift.js'
import {compareInfrastructure} from '../../../src/drift/infrastructure.js'
import {createAwsProvider} from '../../../src/providers/aws/index.js'
import {createRegionClients, destroyRegionClients, type AwsRegionClients} from '../../../src/providers/aws/clients.js'
import {describeAwsInfrastructure, plannedAwsInfrastructure} from '../../../src/providers/aws/describe-infrastructure.js'
import type {ClusterPlan, ClusterProvider} from '../../../src/providers/types.js'
import {testEnvironment, testService} from '../../helpers/builders.js'
import {type MotoServer, startMoto} from '../../helpers/moto.js'

/**
 * Infrastructure drift on aws (issue 13) against moto: clusters made by the provider, then node
 * groups changed behind mygate's back with the SDK directly (UpdateNodegroupConfig for scaling
 * bounds; a node group re-created with other instance types, since EKS has no call that changes
 * them in place).
 */
const REGION = 'ap-south-1'
const env = testEnvironment({name: 'drift', provider: 'aws', tier: 'staging', regions: {primary: REGION}})
const services = [testService({name: 'visitors', spot: true})]
let moto: MotoServer
let provider: ClusterProvider
let clients: AwsRegionClients
let eks: EKSClient
let plan: ClusterPlan

beforeAll(async () => {
  moto = await startMoto()
  const clientConfig = {endpoint: moto.endpoint, credentials: moto.credentials}
  provider = createAwsProvider({services, clientConfig, waiterMinDelaySeconds: 1, waiterMaxWaitSeconds: 20, processEnv: {}})
  await provider.ensureClusters(env, {update: () => undefined})
  plan = provider.planClusters(env)[0]
  clients = await createRegionClients(REGION, clientConfig)
  eks = new EKSClient({region: REGION, ...clientConfig})
}, 120_000)

afterAll(async () => {
  eks?.destroy()
  if (clients) destroyRegionClients(clients)
  await moto?.stop()
})

describe('infrastructure drift against moto', () => {
  const drift = async () => compareInfrastructure(plannedAwsInfrastructure(env, plan), await describeAwsInfrastructure(clients, plan))

  test('clusters as the provider made them show no drift; a changed desired size is not drift', async () => {
    expect(plan.nodeGroups.map((g) => g.name)).toEqual(['ng-on-demand', 'ng-spot'])
    expect(await drift()).toEqual([])
    await eks.send(new UpdateNodegroupConfigCommand({clusterName: plan.clusterName, nodegroupName: 'ng-on-demand', scalingConfig: {desiredSize: plan.nodeGroups[0].maxSize}}))
    expect(await drift()).toEqual([])
  })

  test('scaling bounds changed with UpdateNodegroupConfig show up', async () => {
    const group = plan.nodeGroups[0]
    await eks.send(new UpdateNodegroupConfigCommand({clusterName: plan.clusterName, nodegroupName: group.name, scalingConfig: {minSize: 1, maxSize: group.maxSize + 4, desiredSize: 1}}))
    expect(await drift()).toEqual([
      {region: REGION, resource: 'nodegroup ng-on-demand', field: 'minSize', desired: group.minSize, live: 1},
      {region: REGION, resource: 'nodegroup ng-on-demand', field: 'maxSize', desired: group.maxSize, live: group.maxSize + 4},
    ])
  })

  test('instance types changed by re-creating a node group show up', async () => {
    const group = plan.nodeGroups[1]
    const before = (await eks.send(new DescribeNodegroupCommand({clusterName: plan.clusterName, nodegroupName: group.name}))).nodegroup!
    await eks.send(new DeleteNodegroupCommand({clusterName: plan.clusterName, nodegroupName: group.name}))
    await eks.send(
      new CreateNodegroupCommand({
        clusterName: plan.clusterName,
        nodegroupName: group.name,
        nodeRole: before.nodeRole!,
        subnets: before.subnets!,
        capacityType: before.capacityType,
        instanceTypes: ['t3.nano'],
        scalingConfig: before.scalingConfig,
        tags: before.tags,
        labels: before.labels,
      }),
    )
    expect((await drift()).filter((d) => d.resource === 'nodegroup ng-spot')).toEqual([
      {region: REGION, resource: 'nodegroup ng-spot', field: 'instanceTypes', desired: group.instanceTypes, live: ['t3.nano']},
    ])
  })

  test('env diff\'s infrastructure part reads the recorded spec and reports the same drift', async () => {
    const record = {schemaVersion: 1, name: env.name, provider: 'aws', spec: env, clusters: [], activeRegion: REGION, versions: {}, phase: 'ready', createdAt: '', updatedAt: ''} as EnvironmentRecord
    const found = await infrastructureDrift(record, {services, clientConfig: {endpoint: moto.endpoint, credentials: moto.credentials}})
    expect(found?.map((d) => `${d.resource} ${d.field}`)).toEqual(['nodegroup ng-on-demand minSize', 'nodegroup ng-on-demand maxSize', 'nodegroup ng-spot instanceTypes'])
    expect(await infrastructureDrift({...record, provider: 'local'}, {services})).toBeUndefined()
  })
})
