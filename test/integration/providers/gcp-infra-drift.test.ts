import {ClusterManagerClient} from '@google-cloud/container'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {infrastructureDrift} from '../../../src/drift/infrastructure-drift.js'
import {compareInfrastructure} from '../../../src/drift/infrastructure.js'
import type {EnvironmentRecord} from '../../../src/env/record.js'
import {describeGkeInfrastructure, plannedGkeInfrastructure} from '../../../src/providers/gcp/describe-infrastructure.js'
import {createGcpProvider} from '../../../src/providers/gcp/index.js'
import {type GcpSiteFake, startGcpSiteFake} from '../../helpers/gcp-site-fake.js'
import {type GcsFake, startGcsFake} from '../../helpers/gcs-fake.js'
import {testEnvironment, testService} from '../../helpers/builders.js'
import {type GkeFake, startGkeFake} from '../../helpers/gke-fake.js'

/** Infrastructure drift on gcp (issue 13) against the GKE fake: pools changed behind mygate's back. */
const PROJECT = 'mygate-drift-project'
const REGION = 'asia-south1'
const env = testEnvironment({name: 'gdrift', provider: 'gcp', regions: {primary: REGION}, gcp: {project: PROJECT, kubernetesVersion: '1.30'}})
const services = [testService({name: 'visitors', spot: true})]
let fake: GkeFake
let gcs: GcsFake
let site: GcpSiteFake
let home: string
let client: ClusterManagerClient

beforeAll(async () => {
  fake = await startGkeFake()
  ;[gcs, site] = await Promise.all([startGcsFake(), startGcpSiteFake()])
  home = await mkdtemp(join(tmpdir(), 'mygate-gcp-drift-'))
  const provider = createGcpProvider({services, clientOptions: fake.clientOptions, computeEndpoint: fake.computeEndpoint, siteEndpoints: {...site.endpoints, storage: gcs.endpoint}, pollIntervalMs: 10, timeoutMs: 5000, processEnv: {MYGATE_HOME: home}})
  await provider.ensureClusters(env, {update() {}})
  client = new ClusterManagerClient(fake.clientOptions)
})
afterAll(async () => {
  await client?.close()
  await fake?.stop()
  await Promise.all([gcs?.stop(), site?.stop()])
  if (home) await rm(home, {recursive: true, force: true})
})

describe('infrastructure drift against the GKE fake', () => {
  const plan = () => createGcpProvider({services}).planClusters(env)[0]
  const drift = async () => compareInfrastructure(plannedGkeInfrastructure(env, plan()), await describeGkeInfrastructure(client, PROJECT, plan()))

  test('the cluster as the provider made it shows no drift; a changed machine type, spot flag and bounds show up', async () => {
    expect(await drift()).toEqual([])
    const cluster = fake.clusters.get(`projects/${PROJECT}/locations/${REGION}/clusters/${plan().clusterName}`)!
    const pool = cluster.nodePools.find((p) => p.name === 'ng-on-demand')!
    const planned = plan().nodeGroups[0]
    pool.config = {...pool.config, machineType: 'e2-small', spot: true}
    pool.autoscaling = {...pool.autoscaling, maxNodeCount: planned.maxSize + 2}
    pool.initialNodeCount = 7
    expect(await drift()).toEqual([
      {region: REGION, resource: 'nodegroup ng-on-demand', field: 'instanceTypes', desired: planned.instanceTypes.slice(0, 1), live: ['e2-small']},
      {region: REGION, resource: 'nodegroup ng-on-demand', field: 'capacityType', desired: 'on-demand', live: 'spot'},
      {region: REGION, resource: 'nodegroup ng-on-demand', field: 'maxSize', desired: planned.maxSize, live: planned.maxSize + 2},
    ])
    // env diff's infrastructure part, from the recorded spec.
    const record = {schemaVersion: 1, name: env.name, provider: 'gcp', spec: env, clusters: [], activeRegion: REGION, versions: {}, phase: 'ready', createdAt: '', updatedAt: ''} as EnvironmentRecord
    expect((await infrastructureDrift(record, {services, gcpClientOptions: fake.clientOptions}))?.map((d) => d.field)).toEqual(['instanceTypes', 'capacityType', 'maxSize'])
  })
})
