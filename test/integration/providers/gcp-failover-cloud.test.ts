import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {fenceInTheCloud, liftCloudFences} from '../../../src/failover/cloud-steps.js'
import type {FailoverRun} from '../../../src/failover/run-state.js'
import type {FailoverSession} from '../../../src/failover/session.js'
import type {StepContext} from '../../../src/failover/steps.js'
import type {CloudFailoverAccess} from '../../../src/providers/cloud-failover.js'
import {openGcpFailoverAccess} from '../../../src/providers/gcp/failover-access.js'
import {createGcpProvider} from '../../../src/providers/gcp/index.js'
import {listRuns, writeRun} from '../../../src/failover/run-store.js'
import {testEnvironment, testService} from '../../helpers/builders.js'
import {fakeKube} from '../../helpers/fake-kube.js'
import {type GkeFake, startGkeFake} from '../../helpers/gke-fake.js'
import {type GcsFake, startGcsFake} from '../../helpers/gcs-fake.js'
import {type GcpSiteFake, startGcpSiteFake} from '../../helpers/gcp-site-fake.js'

/**
 * The failover's GCP side against the GKE and Compute fake: node pools resized with setAutoscaling
 * and setSize (their size read from the pools' instance groups), and the cloud fence: a deny
 * firewall rule over the lost region's ranges and its gateway backends removed, then lifted.
 */

const PROJECT = 'mygate-fence-project'
const PRIMARY = 'europe-west1'
const SECONDARY = 'us-central1-a'
const env = testEnvironment({name: 'gfence', provider: 'gcp', tier: 'dev', regions: {primary: PRIMARY, secondary: SECONDARY}, gcp: {project: PROJECT}})
const SERVICE_KEY = `projects/${PROJECT}/global/backendServices/k8s1-0a1b2c3d-mygate-gateway-8080-4e5f6a7b`
const neg = (zone: string) => `https://www.googleapis.com/compute/v1/projects/${PROJECT}/zones/${zone}/networkEndpointGroups/k8s1-0a1b2c3d-mygate-gateway-8080-4e5f6a7b`

let fake: GkeFake
let gcs: GcsFake
let site: GcpSiteFake
let access: CloudFailoverAccess

const targetSizes = (pool: string) =>
  [...fake.instanceGroups.entries()].filter(([key]) => key.includes(`-${pool}-grp`) && key.includes(`/zones/${PRIMARY}-`)).map(([, group]) => group.targetSize)

beforeAll(async () => {
  fake = await startGkeFake()
  ;[gcs, site] = await Promise.all([startGcsFake(), startGcpSiteFake()])
  fake.pollsUntilDone = 1
  const options = {clientOptions: fake.clientOptions, computeEndpoint: fake.computeEndpoint, pollIntervalMs: 5, timeoutMs: 5000}
  // The environment's clusters and network (and backup site, on the fakes), as env create makes them.
  const siteEndpoints = {...site.endpoints, storage: gcs.endpoint}
  await createGcpProvider({...options, siteEndpoints, services: [testService({name: 'visitors', spot: true})], processEnv: {}}).ensureClusters(env, {update() {}})
  access = await openGcpFailoverAccess(env, options, {})
  // What GKE Ingress makes for the gateway in the primary region: one backend service, a NEG per zone.
  fake.backendServices.set(SERVICE_KEY, {
    name: SERVICE_KEY.split('/').pop()!,
    description: JSON.stringify({'kubernetes.io/service-name': 'mygate/gateway', 'kubernetes.io/service-port': '8080', 'x-features': ['NEG']}),
    fingerprint: 'fp-0',
    backends: [`${PRIMARY}-b`, `${PRIMARY}-c`].map((zone) => ({group: neg(zone), balancingMode: 'RATE', maxRatePerEndpoint: 100})),
  })
  fake.backendServices.set(`projects/${PROJECT}/global/backendServices/other`, {
    name: 'other',
    description: JSON.stringify({'kubernetes.io/service-name': 'mygate/visitors'}),
    fingerprint: 'fp-0',
    backends: [{group: neg(`${PRIMARY}-b`)}],
  })
}, 60_000)

afterAll(async () => {
  await access?.close()
  await fake?.stop()
  await Promise.all([gcs?.stop(), site?.stop()])
})

describe('GKE node pools on the fake', () => {
  test('a regional pool: bounds and per-zone size read, set, and a second resize starts no operation', async () => {
    expect(await access.nodeGroups.read(PRIMARY, ['ng-on-demand'])).toEqual([{name: 'ng-on-demand', size: {minSize: 1, maxSize: 3, desiredSize: 2}, zones: 3}])
    expect(await access.nodeGroups.resize(PRIMARY, 'ng-on-demand', {minSize: 1, maxSize: 5, desiredSize: 3})).toBe(true)
    expect(targetSizes('ng-on-demand')).toEqual([3, 3, 3])
    expect(fake.clusters.get(`projects/${PROJECT}/locations/${PRIMARY}/clusters/mygate-gfence-${PRIMARY}`)?.nodePools.find((p) => p.name === 'ng-on-demand')?.autoscaling).toEqual({enabled: true, minNodeCount: 1, maxNodeCount: 5})
    fake.requests.length = 0
    expect(await access.nodeGroups.resize(PRIMARY, 'ng-on-demand', {minSize: 1, maxSize: 5, desiredSize: 3})).toBe(false)
    expect(fake.requests.filter((r) => r.method === 'POST')).toEqual([])
  })
})

function stepContext(run: Partial<FailoverRun>, saved: Array<Partial<FailoverRun>>): StepContext {
  const session = {cloud: async () => access, reachable: new Set<string>(), record: {spec: env}} as unknown as FailoverSession
  return {session, catalog: {services: []} as never, run: run as FailoverRun, tuning: {}, now: () => new Date('2026-12-03T13:00:00Z'), onProgress: () => undefined, checkpoint: async (u) => void saved.push(u)}
}

describe('the cloud fence on the fake', () => {
  test('a priority-0 deny rule over the region\'s ranges and the gateway backends removed; lifting restores them', async () => {
    const saved: Array<Partial<FailoverRun>> = []
    const fenced = await fenceInTheCloud(stepContext({}, saved), PRIMARY)
    expect(fenced.pending).toBeUndefined()
    expect(saved[0].cloudFence?.parts.map((part) => part.kind)).toEqual(['deny-firewall', 'backend', 'backend'])
    expect(fake.firewalls.get(`projects/${PROJECT}/global/firewalls/mygate-gfence-${PRIMARY}-fence`)).toMatchObject({
      network: `projects/${PROJECT}/global/networks/mygate-gfence`,
      direction: 'INGRESS',
      priority: 0,
      denied: [{IPProtocol: 'all'}],
      sourceRanges: ['0.0.0.0/0'],
      destinationRanges: ['10.10.0.0/20', '10.64.0.0/14'],
    })
    expect(fake.backendServices.get(SERVICE_KEY)?.backends).toEqual([])
    // Another Service's backend service is not the gateway's: untouched.
    expect(fake.backendServices.get(`projects/${PROJECT}/global/backendServices/other`)?.backends).toHaveLength(1)

    // Re-run (a resumed step): the rule exists (409 is fine), nothing left to remove, record kept.
    const again = await fenceInTheCloud(stepContext({cloudFence: fenced.update!.cloudFence}, []), PRIMARY)
    expect(again.update?.cloudFence?.parts).toEqual(fenced.update?.cloudFence?.parts)

    // Failback: the fenced region takes over again; the run that fenced it is found in the
    // clusters that answer, its parts restored exactly, and the run marked lifted there.
    const kube = fakeKube()
    const forced = {schemaVersion: 1, id: 'fo-20261203-130000-abcd', plan: {environment: 'gfence'}, startedAt: '2026-12-03T13:00:00Z', steps: [], outcome: 'succeeded', cloudFence: again.update!.cloudFence} as unknown as FailoverRun
    await writeRun(kube, forced)
    const ctx = stepContext({}, [])
    Object.assign(ctx.session, {reachable: new Set([SECONDARY]), client: () => kube})
    expect(await liftCloudFences(ctx, PRIMARY)).toBe('cloud fence lifted: deny firewall rule mygate-gfence-europe-west1-fence (priority 0), 2 gateway backend(s) restored')
    expect(fake.firewalls.has(`projects/${PROJECT}/global/firewalls/mygate-gfence-${PRIMARY}-fence`)).toBe(false)
    expect(fake.backendServices.get(SERVICE_KEY)?.backends).toEqual([`${PRIMARY}-b`, `${PRIMARY}-c`].map((zone) => ({group: neg(zone), balancingMode: 'RATE', maxRatePerEndpoint: 100})))
    expect((await listRuns(kube))[0].cloudFence?.liftedAt).toBe('2026-12-03T13:00:00.000Z')
    // Lifted once: a later takeover of the same region finds nothing to lift.
    expect(await liftCloudFences(ctx, PRIMARY)).toBeUndefined()
    expect(fake.backendServices.get(SERVICE_KEY)?.backends).toHaveLength(2)
  })
})
