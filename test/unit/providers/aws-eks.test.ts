import {
  CreateClusterCommand,
  CreateNodegroupCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-eks'
import {mockClient} from 'aws-sdk-client-mock'
import {type Server, createServer} from 'node:http'
import {afterAll, afterEach, beforeEach, describe, expect, test} from 'vitest'

import {ExternalError, TimeoutError, UsageError} from '../../../src/errors.js'
import {createRegionClients, destroyRegionClients} from '../../../src/providers/aws/clients.js'
import {type RegionContext, regionContext} from '../../../src/providers/aws/context.js'
import {ensureCluster, ensureNodegroup} from '../../../src/providers/aws/eks.js'
import {createAwsProvider} from '../../../src/providers/aws/index.js'
import type {NodeGroupPlan} from '../../../src/providers/types.js'
import {testEnvironment} from '../../helpers/builders.js'

const credentials = {accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret'}
const env = testEnvironment({name: 'unit', provider: 'aws', regions: {primary: 'eu-west-1'}})
const NAME = 'mygate-unit-eu-west-1'
const ownedTags = {'mygate.dev/environment': 'unit', 'mygate.dev/managed-by': 'mygate'}
const notFound = () => new ResourceNotFoundException({message: 'No cluster found', $metadata: {}})

const spotPlan: NodeGroupPlan = {
  name: 'ng-spot',
  capacity: 'spot',
  instanceTypes: ['m5.large'],
  minSize: 0,
  maxSize: 3,
  desiredSize: 1,
  labels: {'mygate.dev/capacity': 'spot'},
}

async function context(messages: string[], wait = {maxWaitSeconds: 5, minDelaySeconds: 1}): Promise<RegionContext> {
  const clients = await createRegionClients('eu-west-1', {credentials})
  return regionContext(env, 'eu-west-1', 'primary', clients, {update: (message) => messages.push(message)}, wait)
}

describe('EKS steps with a mocked client', () => {
  // Stubs EKSClient.prototype.send for every instance; restored so later tests get the real client.
  const eks = mockClient(EKSClient)
  let ctx: RegionContext | undefined
  beforeEach(() => eks.reset())
  afterAll(() => eks.restore())
  afterEach(() => {
    if (ctx) destroyRegionClients(ctx.clients)
    ctx = undefined
  })

  test('ResourceInUseException on CreateCluster means it exists: reuse it', async () => {
    const messages: string[] = []
    ctx = await context(messages)
    eks
      .on(DescribeClusterCommand)
      .rejectsOnce(notFound())
      .resolves({cluster: {name: NAME, status: 'ACTIVE', endpoint: 'https://example.eks', tags: ownedTags}})
    eks.on(CreateClusterCommand).rejects(new ResourceInUseException({message: 'Cluster already exists with name', $metadata: {}}))

    const cluster = await ensureCluster(ctx, {version: '1.31', subnetIds: ['subnet-1', 'subnet-2'], clusterRoleArn: 'arn:aws:iam::1:role/r'})

    expect(cluster.endpoint).toBe('https://example.eks')
    expect(eks.commandCalls(CreateClusterCommand)).toHaveLength(1)
    expect(messages.join('\n')).toMatch(/already exists, reusing it/)
  })

  test('a cluster with the same name but not tagged for the environment is a conflict, not reused', async () => {
    ctx = await context([])
    eks.on(DescribeClusterCommand).resolves({cluster: {name: NAME, status: 'ACTIVE', tags: {team: 'other'}}})
    await expect(ensureCluster(ctx, {version: '1.31', subnetIds: [], clusterRoleArn: 'r'})).rejects.toThrow(/not tagged for mygate environment unit/)
    expect(eks.commandCalls(CreateClusterCommand)).toHaveLength(0)
  })

  test('a node group that ends CREATE_FAILED is an ExternalError naming it and the AWS reason', async () => {
    ctx = await context([])
    const failed = {
      nodegroupName: 'ng-spot',
      status: 'CREATE_FAILED' as const,
      health: {issues: [{code: 'AsgInstanceLaunchFailures' as const, message: 'Could not launch Spot Instances. UnfulfillableCapacity'}]},
    }
    eks
      .on(DescribeNodegroupCommand)
      .rejectsOnce(notFound())
      .resolvesOnce({nodegroup: {nodegroupName: 'ng-spot', status: 'CREATING'}})
      .resolves({nodegroup: failed})
    eks.on(CreateNodegroupCommand).resolves({})

    const error = await ensureNodegroup(ctx, spotPlan, {subnetIds: ['subnet-1'], nodeRoleArn: 'arn:node'}).catch((caught) => caught)

    expect(error).toBeInstanceOf(ExternalError)
    expect(error.message).toBe(
      `node group ng-spot of EKS cluster ${NAME} failed (CREATE_FAILED): AsgInstanceLaunchFailures: Could not launch Spot Instances. UnfulfillableCapacity`,
    )
    expect(error.hint).toMatch(/delete-nodegroup --cluster-name mygate-unit-eu-west-1 --nodegroup-name ng-spot/)
    const create = eks.commandCalls(CreateNodegroupCommand)[0].args[0].input
    expect(create).toMatchObject({capacityType: 'SPOT', scalingConfig: {minSize: 0, maxSize: 3, desiredSize: 1}, nodeRole: 'arn:node'})
  })

  test('a cluster that never becomes ACTIVE ends in a TimeoutError naming it and the wait', async () => {
    ctx = await context([], {maxWaitSeconds: 2, minDelaySeconds: 1})
    eks.on(DescribeClusterCommand).resolves({cluster: {name: NAME, status: 'CREATING', tags: ownedTags}})

    const started = Date.now()
    const error = await ensureCluster(ctx, {version: '1.31', subnetIds: [], clusterRoleArn: 'r'}).catch((caught) => caught)

    expect(error).toBeInstanceOf(TimeoutError)
    expect(error.message).toBe(`timed out after 2s waiting for EKS cluster ${NAME} to become ACTIVE`)
    expect(Date.now() - started).toBeLessThan(10_000)
  })
})

describe('throttling, through the SDK retry strategy', () => {
  // aws-sdk-client-mock replaces send() and so skips the retry middleware; a local HTTP server
  // answering like EKS shows that the real client configuration rides out throttling.
  let server: Server
  let requests = 0
  let endpoint = ''
  beforeEach(async () => {
    requests = 0
    server = createServer((request, response) => {
      requests++
      if (requests <= 2) {
        response.writeHead(429, {'content-type': 'application/json', 'x-amzn-errortype': 'ThrottlingException'})
        response.end(JSON.stringify({message: 'Rate exceeded'}))
        return
      }
      expect(request.url).toBe(`/clusters/${NAME}`)
      response.writeHead(200, {'content-type': 'application/json'})
      response.end(JSON.stringify({cluster: {name: NAME, status: 'ACTIVE', endpoint: 'https://ok', tags: ownedTags}}))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = server.address()
    endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  })
  afterEach(async () => new Promise<void>((resolve) => server.close(() => resolve())))

  test('ThrottlingException twice, then success', async () => {
    const clients = await createRegionClients('eu-west-1', {credentials, endpoint})
    const ctx = regionContext(env, 'eu-west-1', 'primary', clients, {update() {}}, {maxWaitSeconds: 5, minDelaySeconds: 1})
    try {
      const cluster = await ensureCluster(ctx, {version: '1.31', subnetIds: [], clusterRoleArn: 'r'})
      expect(cluster.endpoint).toBe('https://ok')
      expect(requests).toBe(3)
    } finally {
      destroyRegionClients(clients)
    }
  })

  test('with maxAttempts spent, throttling becomes an ExternalError naming the call', async () => {
    const clients = await createRegionClients('eu-west-1', {credentials, endpoint, maxAttempts: 2})
    const ctx = regionContext(env, 'eu-west-1', 'primary', clients, {update() {}}, {maxWaitSeconds: 5, minDelaySeconds: 1})
    try {
      await expect(ensureCluster(ctx, {version: '1.31', subnetIds: [], clusterRoleArn: 'r'})).rejects.toMatchObject({
        name: 'ExternalError',
        message: `AWS describing EKS cluster ${NAME} failed: ThrottlingException: Rate exceeded`,
      })
      expect(requests).toBe(2)
    } finally {
      destroyRegionClients(clients)
    }
  })
})

describe('validate', () => {
  test('missing credentials are a UsageError naming AWS_PROFILE and AWS_ACCESS_KEY_ID', async () => {
    const provider = createAwsProvider({
      clientConfig: {
        credentials: async () => {
          throw Object.assign(new Error('Could not load credentials from any providers'), {name: 'CredentialsProviderError'})
        },
      },
    })
    const error = await provider.validate(env).catch((caught) => caught)
    expect(error).toBeInstanceOf(UsageError)
    expect(error.message).toBe('no AWS credentials found')
    expect(error.hint).toMatch(/AWS_PROFILE/)
    expect(error.hint).toMatch(/AWS_ACCESS_KEY_ID/)
  })

  test.each([
    [{primary: 'mars-north'}, '--region "mars-north" is not an AWS region name'],
    [{primary: 'eu-west-1', secondary: 'moon'}, '--secondary-region "moon" is not an AWS region name'],
    [{primary: 'eu-west-1', secondary: 'eu-west-1'}, '--secondary-region "eu-west-1" is the same as the primary region'],
  ])('regions %o are refused before any AWS call', async (regions, message) => {
    const provider = createAwsProvider({clientConfig: {credentials, endpoint: 'http://127.0.0.1:9'}})
    await expect(provider.validate(testEnvironment({...env, regions}))).rejects.toMatchObject({name: 'UsageError', message})
  })
})
