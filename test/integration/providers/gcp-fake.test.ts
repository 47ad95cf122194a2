import {mkdtemp, rm, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, beforeEach, describe, expect, test} from 'vitest'

import {createGcpProvider} from '../../../src/providers/gcp/index.js'
import {readKubeconfigFile} from '../../../src/kube/kubeconfig/files.js'
import type {ClusterProvider} from '../../../src/providers/types.js'
import {testEnvironment, testService} from '../../helpers/builders.js'
import {FAKE_ACCESS_TOKEN, type GkeFake, startGkeFake} from '../../helpers/gke-fake.js'

const PROJECT = 'mygate-test-project'
const PRIMARY = 'europe-west1'
const SECONDARY = 'us-central1'
const KEY = `projects/${PROJECT}/locations/${PRIMARY}/clusters/mygate-gtest-${PRIMARY}`

let fake: GkeFake
let home: string
let provider: ClusterProvider
const progress = {update() {}}
const services = [testService({name: 'visitors', spot: true}), testService({name: 'billing', spot: false})]
const env = testEnvironment({
  name: 'gtest',
  provider: 'gcp',
  regions: {primary: PRIMARY, secondary: SECONDARY},
  gcp: {project: PROJECT, kubernetesVersion: '1.30'},
})

const make = (overrides: Parameters<typeof createGcpProvider>[0] = {}) =>
  createGcpProvider({services, clientOptions: fake.clientOptions, pollIntervalMs: 10, timeoutMs: 5000, processEnv: {MYGATE_HOME: home}, ...overrides})

beforeAll(async () => {
  fake = await startGkeFake()
  home = await mkdtemp(join(tmpdir(), 'mygate-gcp-'))
  provider = make()
})
afterAll(async () => {
  await fake?.stop()
  if (home) await rm(home, {recursive: true, force: true})
})
beforeEach(() => {
  fake.requests.length = 0
  fake.pollsUntilDone = 2
})

describe('GCP provider against a fake GKE v1 REST API', () => {
  test('validate: project from the env spec, credentials, project access', async () => {
    await provider.validate(env)
    expect(fake.requests).toEqual([
      expect.objectContaining({method: 'GET', path: `/v1/projects/${PROJECT}/locations/-/clusters`, authorization: `Bearer ${FAKE_ACCESS_TOKEN}`}),
    ])
  })

  test.each([
    [{...env, gcp: {}}, /environment gtest names no GCP project/],
    [{...env, gcp: {project: 'My Project'}}, /"My Project" is not a project ID/],
    [{...env, regions: {primary: 'europe west'}}, /--region "europe west" is not a GCP region or zone/],
    [{...env, regions: {primary: PRIMARY, secondary: PRIMARY}}, /--secondary-region "europe-west1" is the same as the primary/],
  ])('validate refuses bad input before any API call (%#)', async (bad, message) => {
    await expect(provider.validate(bad)).rejects.toMatchObject({name: 'UsageError', message: expect.stringMatching(message)})
    expect(fake.requests).toEqual([])
  })

  test('validate: a project we may not use is a UsageError naming it', async () => {
    fake.denyProject('forbidden-project')
    await expect(provider.validate({...env, gcp: {project: 'forbidden-project'}})).rejects.toMatchObject({
      name: 'UsageError',
      message: 'GCP project forbidden-project cannot be used for GKE: Permission denied on project forbidden-project.',
    })
  })

  test('the project may come from GOOGLE_CLOUD_PROJECT, and the environment file wins over it', async () => {
    const fromEnv = make({processEnv: {MYGATE_HOME: home, GOOGLE_CLOUD_PROJECT: 'env-var-project'}})
    await fromEnv.validate({...env, gcp: {}})
    expect(fake.requests.map((request) => `${request.method} ${request.path}`)).toEqual(['GET /v1/projects/env-var-project/locations/-/clusters'])

    fake.requests.length = 0
    await fromEnv.validate(env)
    expect(fake.requests.map((request) => `${request.method} ${request.path}`)).toEqual([`GET /v1/projects/${PROJECT}/locations/-/clusters`])
  })

  test('ensureClusters creates labelled clusters with on-demand and spot pools, polling operations', async () => {
    fake.pollsUntilDone = 3
    const handles = await provider.ensureClusters(env, progress)
    expect(handles).toEqual([
      {region: PRIMARY, role: 'primary', clusterName: `mygate-gtest-${PRIMARY}`, endpoint: expect.stringMatching(/^https:\/\/203\.0\.113\./), context: `mygate-gtest-${PRIMARY}`},
      {region: SECONDARY, role: 'secondary', clusterName: `mygate-gtest-${SECONDARY}`, endpoint: expect.any(String), context: `mygate-gtest-${SECONDARY}`},
    ])
    const cluster = fake.clusters.get(KEY)!
    expect(cluster.status).toBe(2)
    expect(cluster.initialClusterVersion).toBe('1.30')
    expect(cluster.resourceLabels).toEqual({
      'mygate-environment': 'gtest',
      'mygate-region': PRIMARY,
      'mygate-managed-by': 'mygate',
      'mygate-tier': 'dev',
      'mygate-provider': 'gcp',
      'mygate-role': 'primary',
    })
    expect(cluster.nodePools.map((pool) => [pool.name, pool.config?.spot, pool.initialNodeCount, pool.autoscaling])).toEqual([
      ['ng-on-demand', false, 2, {enabled: true, minNodeCount: 1, maxNodeCount: 3}],
      ['ng-spot', true, 1, {enabled: true, minNodeCount: 0, maxNodeCount: 3}],
    ])
    const polls = fake.requests.filter((request) => request.path.includes('/operations/'))
    expect(polls).toHaveLength(6)
  })

  test('a second ensureClusters changes nothing; a missing pool is added back', async () => {
    await provider.ensureClusters(env, progress)
    expect(fake.requests.filter((request) => request.method !== 'GET')).toEqual([])

    const cluster = fake.clusters.get(KEY)!
    cluster.nodePools = cluster.nodePools.filter((pool) => pool.name !== 'ng-spot')
    fake.requests.length = 0
    await provider.ensureClusters(env, progress)
    expect(fake.requests.filter((request) => request.method === 'POST').map((request) => request.path)).toEqual([`/v1/${KEY}/nodePools`])
    expect(fake.clusters.get(KEY)!.nodePools.map((pool) => pool.name)).toEqual(['ng-on-demand', 'ng-spot'])
  })

  test('writeKubeconfig: a context per region with the gke-gcloud-auth-plugin exec user', async () => {
    const handles = await provider.ensureClusters(env, progress)
    const ref = await provider.writeKubeconfig(env, handles)
    expect(ref).toEqual({
      path: join(home, 'kubeconfig', 'gtest.yaml'),
      contexts: {[PRIMARY]: `mygate-gtest-${PRIMARY}`, [SECONDARY]: `mygate-gtest-${SECONDARY}`},
    })
    expect((await stat(ref.path)).mode & 0o777).toBe(0o600)
    const config = await readKubeconfigFile(ref.path)
    const cluster = fake.clusters.get(KEY)!
    expect(config.clusters[0]).toEqual({
      name: `mygate-gtest-${PRIMARY}`,
      cluster: {server: `https://${cluster.endpoint}`, 'certificate-authority-data': cluster.masterAuth.clusterCaCertificate},
    })
    expect(config.users[0].user.exec).toMatchObject({
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      command: 'gke-gcloud-auth-plugin',
      provideClusterInfo: true,
    })
  })

  test('an operation that ends in error is an ExternalError with GKE\'s message', async () => {
    const other = {...env, name: 'failing', regions: {primary: PRIMARY}}
    fake.failNext('CREATE_CLUSTER', "Insufficient regional quota to satisfy request: resource 'CPUS'")
    await expect(provider.ensureClusters(other, progress)).rejects.toMatchObject({
      name: 'ExternalError',
      message: `GKE failed creating cluster mygate-failing-${PRIMARY}: Insufficient regional quota to satisfy request: resource 'CPUS'`,
    })
  })

  test('an operation that outlives the time-out is a TimeoutError', async () => {
    fake.pollsUntilDone = 1_000_000
    const slow = make({timeoutMs: 200})
    await expect(slow.ensureClusters({...env, name: 'slow', regions: {primary: PRIMARY}}, progress)).rejects.toMatchObject({
      name: 'TimeoutError',
      message: expect.stringMatching(/^timed out after 200ms waiting for GKE to finish creating cluster mygate-slow-europe-west1/),
    })
  })

  test('destroyClusters deletes the clusters, polling the operations; foreign clusters are left', async () => {
    const foreign = `projects/${PROJECT}/locations/${PRIMARY}/clusters/mygate-other-${PRIMARY}`
    fake.clusters.set(foreign, {...fake.clusters.get(KEY)!, name: `mygate-other-${PRIMARY}`, resourceLabels: {team: 'x'}})
    const report = await provider.destroyClusters(env, progress)
    expect(report.leftBehind).toEqual([])
    expect(report.removed).toEqual(
      expect.arrayContaining([`GKE cluster mygate-gtest-${PRIMARY} (${PRIMARY})`, `node pool ng-spot of mygate-gtest-${PRIMARY}`]),
    )
    expect(fake.clusters.has(KEY)).toBe(false)
    expect(fake.clusters.has(`projects/${PROJECT}/locations/${SECONDARY}/clusters/mygate-gtest-${SECONDARY}`)).toBe(false)
    expect(fake.clusters.has(foreign)).toBe(true)

    const otherEnv = {...env, name: 'other', regions: {primary: PRIMARY}}
    const refused = await provider.destroyClusters(otherEnv, progress)
    expect(refused.leftBehind).toEqual([
      {resource: `GKE cluster mygate-other-${PRIMARY} (${PRIMARY})`, reason: 'not labelled mygate-environment=other, so mygate did not create it'},
    ])
  })
})
