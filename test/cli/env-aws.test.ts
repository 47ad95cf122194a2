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

  const aws = async (...args: string[]) => {
    const binary = findOnPath('aws')
    if (!binary) throw new Error('the aws CLI is not on PATH: it is the independent check of what mygate created')
    const result = await execa(binary, [...args, '--endpoint-url', moto.endpoint, '--region', region, '--output', 'json'], {env: awsEnv, reject: false})
    if (result.exitCode !== 0) throw new Error(`aws ${args.join(' ')} failed: ${result.stderr}`)
    return JSON.parse(String(result.stdout)) as Record<string, unknown>
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
  })

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
})
