import {describe, expect, test} from 'vitest'

import {cidrContains, cidrsOverlap} from '../../../src/providers/cidr.js'
import {RANGES_BY_ROLE, planGcpNetwork, regionOfLocation} from '../../../src/providers/gcp/address-plan.js'
import {type AuthorizedRequest, createComputeClient} from '../../../src/providers/gcp/compute.js'
import {clusterNetworkRequest} from '../../../src/providers/gcp/gke.js'
import {subnetworkRequest} from '../../../src/providers/gcp/network.js'
import {planGcpClusters} from '../../../src/providers/gcp/plan.js'
import {testEnvironment} from '../../helpers/builders.js'

const env = testEnvironment({name: 'demo', provider: 'gcp', regions: {primary: 'europe-west1', secondary: 'us-central1-a'}, gcp: {project: 'mygate-unit-project'}})

describe('GCP address plan', () => {
  const all = (['primary', 'secondary'] as const).flatMap((role) => Object.entries(RANGES_BY_ROLE[role]).map(([kind, cidr]) => ({label: `${role} ${kind}`, cidr})))

  test('no range overlaps another, in either region', () => {
    for (const [i, a] of all.entries()) for (const b of all.slice(i + 1)) expect(cidrsOverlap(a.cidr, b.cidr), `${a.label} ${a.cidr} vs ${b.label} ${b.cidr}`).toBe(false)
  })

  test('every range lies in 10.0.0.0/9, clear of the 10.128.0.0/9 auto-mode networks use', () => {
    for (const {label, cidr} of all) {
      expect(cidrContains('10.0.0.0/9', cidr), label).toBe(true)
      expect(cidrsOverlap('10.128.0.0/9', cidr), label).toBe(false)
    }
  })

  test.each([
    ['europe-west1', 'europe-west1'],
    ['europe-west1-b', 'europe-west1'],
    ['us-central1-a', 'us-central1'],
    ['northamerica-northeast2', 'northamerica-northeast2'],
  ])('location %s lies in region %s', (location, region) => {
    expect(regionOfLocation(location)).toBe(region)
  })

  test('one network per environment, one subnetwork per location (a zone\'s subnetwork lives in its region)', () => {
    expect(planGcpNetwork(env)).toEqual({
      name: 'mygate-demo',
      ownedByMygate: true,
      subnetworks: [
        {name: 'mygate-demo-europe-west1', location: 'europe-west1', region: 'europe-west1', ranges: RANGES_BY_ROLE.primary},
        {name: 'mygate-demo-us-central1-a', location: 'us-central1-a', region: 'us-central1', ranges: RANGES_BY_ROLE.secondary},
      ],
    })
    expect(planGcpNetwork({...env, gcp: {project: 'p', network: 'corp-net'}})).toMatchObject({name: 'corp-net', ownedByMygate: false})
  })

  test('the dry-run plan lists the network once and each subnetwork with its ranges', () => {
    const [primary, secondary] = planGcpClusters(env)
    expect(primary.supportingResources).toEqual([
      "VPC network mygate-demo (custom subnets, shared by the environment's regions)",
      'subnetwork mygate-demo-europe-west1 in europe-west1: nodes 10.10.0.0/20, pods 10.64.0.0/14, services 10.10.16.0/20',
      "Cloud DNS private zone mygate-demo-members (mygate-data.svc.clusterset.local) for the members' names, visible to network mygate-demo",
    ])
    expect(secondary.supportingResources).toEqual(['subnetwork mygate-demo-us-central1-a in us-central1: nodes 10.20.0.0/20, pods 10.80.0.0/14, services 10.20.16.0/20'])
  })

  test('the subnetwork and cluster requests carry the planned ranges and their names', () => {
    const [, secondary] = planGcpNetwork(env).subnetworks
    expect(subnetworkRequest({project: 'mygate-unit-project', envName: 'demo'}, 'mygate-demo', secondary)).toEqual({
      name: 'mygate-demo-us-central1-a',
      description: 'mygate environment demo',
      network: 'projects/mygate-unit-project/global/networks/mygate-demo',
      ipCidrRange: '10.20.0.0/20',
      privateIpGoogleAccess: true,
      secondaryIpRanges: [
        {rangeName: 'pods', ipCidrRange: '10.80.0.0/14'},
        {rangeName: 'services', ipCidrRange: '10.20.16.0/20'},
      ],
    })
    expect(clusterNetworkRequest({network: 'mygate-demo', subnetwork: secondary})).toEqual({
      network: 'mygate-demo',
      subnetwork: 'mygate-demo-us-central1-a',
      ipAllocationPolicy: {useIpAliases: true, clusterSecondaryRangeName: 'pods', servicesSecondaryRangeName: 'services'},
    })
  })
})

describe('Compute REST client', () => {
  const client = (answers: Array<{status: number; data: unknown}>, seen: string[] = []) => {
    const request: AuthorizedRequest = async ({url, method}) => {
      seen.push(`${method} ${url}`)
      return answers.shift() ?? {status: 500, data: {}}
    }
    return createComputeClient({request, endpoint: 'https://compute.example/compute/v1/', project: 'p1', pollIntervalMs: 1, timeoutMs: 1000})
  }

  test('a forbidden call says to enable the Compute API and which role is needed', async () => {
    const error = await client([{status: 403, data: {error: {code: 403, message: 'Compute Engine API has not been used in project p1', errors: [{reason: 'accessNotConfigured'}]}}}])
      .get('global/networks/n', 'reading network n')
      .catch((caught: unknown) => caught)
    expect(error).toMatchObject({
      name: 'ExternalError',
      message: 'GCP Compute reading network n failed: HTTP 403 accessNotConfigured: Compute Engine API has not been used in project p1',
      hint: expect.stringMatching(/gcloud services enable compute.googleapis.com.*roles\/compute.networkAdmin/),
    })
  })

  test('insert polls the regional operation until DONE; an operation error is an ExternalError with its message', async () => {
    const seen: string[] = []
    const answers = [
      {status: 200, data: {name: 'op-1', status: 'RUNNING', region: 'https://compute.googleapis.com/compute/v1/projects/p1/regions/us-central1'}},
      {status: 200, data: {name: 'op-1', status: 'RUNNING'}},
      {status: 200, data: {name: 'op-1', status: 'DONE', error: {errors: [{code: 'QUOTA_EXCEEDED', message: "Quota 'SUBNETWORKS' exceeded"}]}}},
    ]
    const error = await client(answers, seen).insert('regions/us-central1/subnetworks', {}, 'creating subnetwork s').catch((caught: unknown) => caught)
    expect(error).toMatchObject({name: 'ExternalError', message: "GCP Compute failed creating subnetwork s: QUOTA_EXCEEDED: Quota 'SUBNETWORKS' exceeded"})
    expect(seen).toEqual([
      'POST https://compute.example/compute/v1/projects/p1/regions/us-central1/subnetworks',
      'GET https://compute.example/compute/v1/projects/p1/regions/us-central1/operations/op-1',
      'GET https://compute.example/compute/v1/projects/p1/regions/us-central1/operations/op-1',
    ])
  })

  test.each([
    ['get', 404, undefined],
    ['insert', 409, false],
    ['remove', 404, false],
  ] as const)('%s answered %i is %s, not an error', async (verb, status, expected) => {
    const compute = client([{status, data: {}}])
    const result = verb === 'get' ? await compute.get('x', 'x') : verb === 'insert' ? await compute.insert('x', {}, 'x') : await compute.remove('x', 'x')
    expect(result).toBe(expected)
  })
})
