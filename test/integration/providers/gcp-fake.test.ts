import {mkdtemp, rm, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, beforeEach, describe, expect, test} from 'vitest'

import {createGcpProvider} from '../../../src/providers/gcp/index.js'
import {readKubeconfigFile} from '../../../src/kube/kubeconfig/files.js'
import type {ClusterProvider} from '../../../src/providers/types.js'
import {testEnvironment, testService} from '../../helpers/builders.js'
import {FAKE_ACCESS_TOKEN, type GkeFake, startGkeFake} from '../../helpers/gke-fake.js'
import {type GcpSiteFake, startGcpSiteFake} from '../../helpers/gcp-site-fake.js'
import {type GcsFake, startGcsFake} from '../../helpers/gcs-fake.js'

const PROJECT = 'mygate-test-project'
const PRIMARY = 'europe-west1'
const SECONDARY = 'us-central1'
const KEY = `projects/${PROJECT}/locations/${PRIMARY}/clusters/mygate-gtest-${PRIMARY}`

let fake: GkeFake
// The backup site (bucket, key, identity) made with each cluster: gcp-backup-site.test.ts checks it.
let gcs: GcsFake
let site: GcpSiteFake
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
  createGcpProvider({
    services,
    clientOptions: fake.clientOptions,
    computeEndpoint: fake.computeEndpoint,
    siteEndpoints: {...site.endpoints, storage: gcs.endpoint},
    pollIntervalMs: 10,
    timeoutMs: 5000,
    processEnv: {MYGATE_HOME: home},
    ...overrides,
  })
const NETWORK = `projects/${PROJECT}/global/networks/mygate-gtest`
const subnetworkKey = (location: string) => `projects/${PROJECT}/regions/${location}/subnetworks/mygate-gtest-${location}`
const isGke = (request: {path: string}) => request.path.startsWith('/v1/')

beforeAll(async () => {
  fake = await startGkeFake()
  ;[gcs, site] = await Promise.all([startGcsFake(), startGcpSiteFake()])
  home = await mkdtemp(join(tmpdir(), 'mygate-gcp-'))
  provider = make()
})
afterAll(async () => {
  await fake?.stop()
  await Promise.all([gcs?.stop(), site?.stop()])
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
      {region: PRIMARY, role: 'primary', clusterName: `mygate-gtest-${PRIMARY}`, endpoint: expect.stringMatching(/^https:\/\/203\.0\.113\./), context: `mygate-gtest-${PRIMARY}`, backup: expect.objectContaining({bucket: `mygate-gtest-${PRIMARY}-backups`})},
      {region: SECONDARY, role: 'secondary', clusterName: `mygate-gtest-${SECONDARY}`, endpoint: expect.any(String), context: `mygate-gtest-${SECONDARY}`, backup: expect.objectContaining({bucket: `mygate-gtest-${SECONDARY}-backups`})},
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
    const polls = fake.requests.filter((request) => isGke(request) && request.path.includes('/operations/'))
    expect(polls).toHaveLength(6)
  })

  test('both clusters sit on one shared network, each on its own subnetwork with non-overlapping pod and service ranges', async () => {
    expect(fake.networks.get(NETWORK)).toEqual({name: 'mygate-gtest', description: 'mygate environment gtest', autoCreateSubnetworks: false})
    expect(fake.subnetworks.get(subnetworkKey(PRIMARY))).toEqual({
      name: `mygate-gtest-${PRIMARY}`,
      region: PRIMARY,
      description: 'mygate environment gtest',
      network: NETWORK,
      ipCidrRange: '10.10.0.0/20',
      privateIpGoogleAccess: true,
      secondaryIpRanges: [
        {rangeName: 'pods', ipCidrRange: '10.64.0.0/14'},
        {rangeName: 'services', ipCidrRange: '10.10.16.0/20'},
      ],
    })
    expect(fake.subnetworks.get(subnetworkKey(SECONDARY))).toMatchObject({
      network: NETWORK,
      ipCidrRange: '10.20.0.0/20',
      secondaryIpRanges: [
        {rangeName: 'pods', ipCidrRange: '10.80.0.0/14'},
        {rangeName: 'services', ipCidrRange: '10.20.16.0/20'},
      ],
    })
    for (const location of [PRIMARY, SECONDARY]) {
      expect(fake.clusters.get(`projects/${PROJECT}/locations/${location}/clusters/mygate-gtest-${location}`)).toMatchObject({
        network: 'mygate-gtest',
        subnetwork: `mygate-gtest-${location}`,
        ipAllocationPolicy: {useIpAliases: true, clusterSecondaryRangeName: 'pods', servicesSecondaryRangeName: 'services'},
      })
    }
  })

  test('the network is made before the clusters, through the same credentials', async () => {
    fake.clusters.clear()
    fake.subnetworks.clear()
    fake.networks.clear()
    await provider.ensureClusters(env, progress)
    const posts = fake.requests.filter((request) => request.method === 'POST').map((request) => request.path)
    expect(posts.slice(0, 3)).toEqual([
      `/compute/v1/projects/${PROJECT}/global/networks`,
      expect.stringMatching(new RegExp(`^/compute/v1/projects/${PROJECT}/regions/(${PRIMARY}|${SECONDARY})/subnetworks$`)),
      expect.stringMatching(new RegExp(`^/compute/v1/projects/${PROJECT}/regions/(${PRIMARY}|${SECONDARY})/subnetworks$`)),
    ])
    expect(posts.slice(3).every((path) => path.startsWith('/v1/'))).toBe(true)
    const compute = fake.requests.filter((request) => request.path.startsWith('/compute/'))
    expect(compute.length).toBeGreaterThan(0)
    expect(compute.every((request) => request.authorization === `Bearer ${FAKE_ACCESS_TOKEN}`)).toBe(true)
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
    // The network is there already: the operation that outlives the time-out is GKE's.
    fake.networks.set(`projects/${PROJECT}/global/networks/mygate-slow`, {name: 'mygate-slow', description: 'mygate environment slow'})
    fake.subnetworks.set(`projects/${PROJECT}/regions/${PRIMARY}/subnetworks/mygate-slow-${PRIMARY}`, {
      name: `mygate-slow-${PRIMARY}`,
      region: PRIMARY,
      network: `projects/${PROJECT}/global/networks/mygate-slow`,
      ipCidrRange: '10.10.0.0/20',
      secondaryIpRanges: [
        {rangeName: 'pods', ipCidrRange: '10.64.0.0/14'},
        {rangeName: 'services', ipCidrRange: '10.10.16.0/20'},
      ],
    })
    fake.pollsUntilDone = 1_000_000
    const slow = make({timeoutMs: 200})
    await expect(slow.ensureClusters({...env, name: 'slow', regions: {primary: PRIMARY}}, progress)).rejects.toMatchObject({
      name: 'TimeoutError',
      message: expect.stringMatching(/^timed out after 200ms waiting for GKE to finish creating cluster mygate-slow-europe-west1/),
    })
  })

  test('destroyClusters deletes the clusters, polling the operations; foreign clusters are left', async () => {
    const foreign = `projects/${PROJECT}/locations/${PRIMARY}/clusters/mygate-other-${PRIMARY}`
    fake.clusters.set(foreign, {...fake.clusters.get(KEY)!, name: `mygate-other-${PRIMARY}`, resourceLabels: {team: 'x'}, network: 'default', subnetwork: 'default'})
    const report = await provider.destroyClusters(env, progress)
    expect(report.leftBehind).toEqual([])
    expect(report.removed).toEqual(
      expect.arrayContaining([
        `GKE cluster mygate-gtest-${PRIMARY} (${PRIMARY})`,
        `node pool ng-spot of mygate-gtest-${PRIMARY}`,
        `subnetwork mygate-gtest-${PRIMARY} (${PRIMARY})`,
        `subnetwork mygate-gtest-${SECONDARY} (${SECONDARY})`,
        'VPC network mygate-gtest',
      ]),
    )
    // The network goes last, after the subnetworks in it.
    expect(report.removed.at(-1)).toBe('VPC network mygate-gtest')
    expect(fake.networks.has(NETWORK)).toBe(false)
    expect([...fake.subnetworks.keys()].filter((key) => key.includes('mygate-gtest-'))).toEqual([])
    expect(fake.clusters.has(KEY)).toBe(false)
    expect(fake.clusters.has(`projects/${PROJECT}/locations/${SECONDARY}/clusters/mygate-gtest-${SECONDARY}`)).toBe(false)
    expect(fake.clusters.has(foreign)).toBe(true)

    const otherEnv = {...env, name: 'other', regions: {primary: PRIMARY}}
    const refused = await provider.destroyClusters(otherEnv, progress)
    expect(refused.leftBehind).toEqual([
      {resource: `GKE cluster mygate-other-${PRIMARY} (${PRIMARY})`, reason: 'not labelled mygate-environment=other, so mygate did not create it'},
    ])
  })

  test('a network the environment names (gcp.network) is used, never created or deleted', async () => {
    const named = {...env, name: 'named', regions: {primary: PRIMARY}, gcp: {project: PROJECT, network: 'corp-net'}}
    await expect(provider.ensureClusters(named, progress)).rejects.toMatchObject({
      name: 'ConflictError',
      message: `network corp-net (gcp.network) does not exist in project ${PROJECT}`,
    })
    expect(fake.requests.filter((request) => request.method === 'POST')).toEqual([])

    fake.networks.set(`projects/${PROJECT}/global/networks/corp-net`, {name: 'corp-net', description: 'the platform team\'s', autoCreateSubnetworks: false})
    await provider.ensureClusters(named, progress)
    expect(fake.subnetworks.get(`projects/${PROJECT}/regions/${PRIMARY}/subnetworks/mygate-named-${PRIMARY}`)).toMatchObject({
      network: `projects/${PROJECT}/global/networks/corp-net`,
      ipCidrRange: '10.10.0.0/20',
    })
    expect(fake.clusters.get(`projects/${PROJECT}/locations/${PRIMARY}/clusters/mygate-named-${PRIMARY}`)).toMatchObject({network: 'corp-net'})

    const report = await provider.destroyClusters(named, progress)
    expect(report.leftBehind).toEqual([])
    expect(report.removed).toContain(`subnetwork mygate-named-${PRIMARY} (${PRIMARY})`)
    expect(report.removed.some((line) => line.includes('corp-net'))).toBe(false)
    expect(fake.networks.has(`projects/${PROJECT}/global/networks/corp-net`)).toBe(true)
  })

  test('a network of the same name that mygate did not make is a conflict', async () => {
    fake.networks.set(`projects/${PROJECT}/global/networks/mygate-squat`, {name: 'mygate-squat', description: 'someone else', autoCreateSubnetworks: false})
    await expect(provider.ensureClusters({...env, name: 'squat', regions: {primary: PRIMARY}}, progress)).rejects.toMatchObject({
      name: 'ConflictError',
      message: `network mygate-squat exists in project ${PROJECT} but mygate did not make it for environment squat`,
    })
  })

  test('two locations in one region get two subnetworks there, from the two roles\' ranges', async () => {
    const zonal = {...env, name: 'zonal', regions: {primary: PRIMARY, secondary: `${PRIMARY}-b`}}
    await provider.ensureClusters(zonal, progress)
    expect(fake.subnetworks.get(`projects/${PROJECT}/regions/${PRIMARY}/subnetworks/mygate-zonal-${PRIMARY}`)).toMatchObject({ipCidrRange: '10.10.0.0/20'})
    expect(fake.subnetworks.get(`projects/${PROJECT}/regions/${PRIMARY}/subnetworks/mygate-zonal-${PRIMARY}-b`)).toMatchObject({ipCidrRange: '10.20.0.0/20'})
    expect((await provider.destroyClusters(zonal, progress)).leftBehind).toEqual([])
  })

  test('a subnetwork Compute refuses (a range taken in the network) is an ExternalError with Compute\'s reason, before any cluster', async () => {
    const network = `projects/${PROJECT}/global/networks/corp-wide`
    fake.networks.set(network, {name: 'corp-wide', description: 'shared'})
    fake.subnetworks.set(`projects/${PROJECT}/regions/${SECONDARY}/subnetworks/legacy`, {
      name: 'legacy',
      region: SECONDARY,
      network,
      ipCidrRange: '10.0.0.0/12',
      secondaryIpRanges: [],
    })
    const squeezed = {...env, name: 'squeezed', regions: {primary: PRIMARY}, gcp: {project: PROJECT, network: 'corp-wide'}}
    await expect(provider.ensureClusters(squeezed, progress)).rejects.toMatchObject({
      name: 'ExternalError',
      message: expect.stringMatching(/^GCP Compute creating subnetwork mygate-squeezed-europe-west1 failed: HTTP 400 invalid: Invalid IPCidrRange: 10\.10\.0\.0\/20 conflicts with existing subnetwork 'legacy'/),
    })
    expect(fake.requests.filter((request) => isGke(request) && request.method === 'POST')).toEqual([])
  })
})
