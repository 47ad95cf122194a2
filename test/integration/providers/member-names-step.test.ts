import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {loadCatalog} from '../../../src/catalog/load-catalog.js'
import type {Catalog} from '../../../src/catalog/types.js'
import {ensureMemberNames, memberServices, removeMemberNames} from '../../../src/env/member-names.js'
import {planEnvironment} from '../../../src/env/plan.js'
import {TimeoutError} from '../../../src/errors.js'
import {applyObjects} from '../../../src/kube/apply.js'
import type {KubeObject} from '../../../src/kube/types.js'
import {openCloudDnsMemberZone} from '../../../src/providers/gcp/member-zone.js'
import {planGcpClusters} from '../../../src/providers/gcp/plan.js'
import {renderEnvironment} from '../../../src/render/render-environment.js'
import {testEnvironment} from '../../helpers/builders.js'
import {startCloudDnsFake, type CloudDnsFake} from '../../helpers/cloud-dns-fake.js'
import {fakeKube, type FakeKube} from '../../helpers/fake-kube.js'

/**
 * env create's Member names step on gcp: the member Services applied in their regions, their
 * load-balancer addresses waited for (as GKE's service controller writes them, later), and the
 * Cloud DNS fake then holding one A record per member; a bound on the wait.
 */
describe('the Member names step of env create (gcp, Cloud DNS fake)', () => {
  let fake: CloudDnsFake
  let catalog: Catalog
  const env = testEnvironment({name: 'demo', provider: 'gcp', tier: 'staging', regions: {primary: 'europe-west1', secondary: 'europe-west4'}, gcp: {project: 'mygate-test'}})

  beforeAll(async () => {
    fake = await startCloudDnsFake('mygate-test')
    catalog = await loadCatalog()
  })
  afterAll(async () => {
    await fake?.stop()
  })

  const setup = async () => {
    const rendered = await renderEnvironment({catalog, env})
    const plan = planEnvironment({env, catalog, clusters: planGcpClusters(env), rendered})
    const clients = new Map<string, FakeKube>([
      ['europe-west1', fakeKube()],
      ['europe-west4', fakeKube()],
    ])
    return {plan, clients}
  }
  /** What GKE's service controller does once the internal load balancer exists: writes its IP into the status. */
  const giveAddresses = (client: FakeKube, address: (name: string) => string | undefined) => {
    for (const object of [...client.objects.values()]) {
      if (object.kind !== 'Service' || (object.spec as {type?: string}).type !== 'LoadBalancer') continue
      const ip = address(String(object.metadata.name))
      if (ip) client.put({...object, status: {loadBalancer: {ingress: [{ip}]}}} as KubeObject)
    }
  }
  const ipOf = (name: string) => `10.${name.includes('europe-west4') ? 20 : 10}.0.${(name.length * 7) % 250}`
  const openZone = () => openCloudDnsMemberZone(env, {request: fake.request, endpoint: fake.endpoint, pollIntervalMs: 10})

  test('applies only the member Services, waits for their addresses, then writes one record per member', async () => {
    const {plan, clients} = await setup()
    const applied: string[] = []
    const apply = async (client: FakeKube, objects: KubeObject[]) => {
      applied.push(...objects.map((o) => `${o.kind}/${o.metadata.name}`))
      await applyObjects(client, objects)
    }
    // The addresses arrive a little after the apply, as a cloud's would.
    const timer = setTimeout(() => {
      for (const client of clients.values()) giveAddresses(client, ipOf)
    }, 300)
    const result = await ensureMemberNames({env, catalog, clients, plan, apply: apply as never, pollIntervalMs: 50, addressTimeoutMs: 20_000, openZone})
    clearTimeout(timer)

    const members = memberServices(env, catalog.services)
    // staging: mongodb members in both regions per database, redis members in both.
    expect(members.length).toBeGreaterThan(10)
    expect(applied.sort()).toEqual(members.map((m) => `Service/${m.service}`).sort())
    expect(result?.records).toHaveLength(members.length)
    const held = fake.zones.get('mygate-demo-members')!.records.filter((r) => r.type === 'A')
    expect(held.map((r) => `${r.name} ${r.rrdatas?.[0]}`).sort()).toEqual(members.map((m) => `${m.service}.mygate-data.svc.clusterset.local. ${ipOf(m.service)}`).sort())
    // Every member Service is in its own region's cluster only.
    for (const member of members) {
      const [own, other] = member.region === 'europe-west1' ? ['europe-west1', 'europe-west4'] : ['europe-west4', 'europe-west1']
      expect(await clients.get(own)!.get('v1', 'Service', member.service, 'mygate-data')).toBeTruthy()
      expect(await clients.get(other)!.get('v1', 'Service', member.service, 'mygate-data')).toBeUndefined()
    }
  }, 60_000)

  test('a member whose load balancer never gets an address: a time-out naming it, and the zone is not touched', async () => {
    const {plan, clients} = await setup()
    const changes = fake.changes.length
    const stuck = memberServices(env, catalog.services).find((m) => m.region === 'europe-west4')!.service
    const timer = setTimeout(() => {
      for (const client of clients.values()) giveAddresses(client, (name) => (name === stuck ? undefined : ipOf(name)))
    }, 100)
    const run = ensureMemberNames({env, catalog, clients, plan, apply: (client, objects) => applyObjects(client, objects).then(() => undefined), pollIntervalMs: 50, addressTimeoutMs: 1500, openZone})
    await expect(run).rejects.toBeInstanceOf(TimeoutError)
    await expect(run).rejects.toThrow(new RegExp(`^1 member Service has no load-balancer address after 2s: ${stuck} \\(europe-west4\\)$`))
    clearTimeout(timer)
    expect(fake.changes).toHaveLength(changes)
  }, 30_000)

  test('env destroy removes the zone; a local environment has none to remove', async () => {
    expect(await removeMemberNames(env, {openZone})).toEqual([expect.stringMatching(/^Cloud DNS private zone mygate-demo-members/)])
    expect(fake.zones.has('mygate-demo-members')).toBe(false)
    expect(await removeMemberNames(testEnvironment({provider: 'local', regions: {primary: 'local-1', secondary: 'local-2'}}))).toEqual([])
  })
})

describe('env diff: the member names\' zone in the infrastructure drift (gcp, Cloud DNS fake)', () => {
  test('missing zone, then in shape after the step, then a deleted record is drift', async () => {
    const {memberZoneDrift} = await import('../../../src/drift/member-zone-drift.js')
    const fake = await startCloudDnsFake('mygate-test')
    try {
      const catalog = await loadCatalog()
      const env = testEnvironment({name: 'dz', provider: 'gcp', tier: 'staging', regions: {primary: 'europe-west1', secondary: 'europe-west4'}, gcp: {project: 'mygate-test'}})
      const openZone = () => openCloudDnsMemberZone(env, {request: fake.request, endpoint: fake.endpoint, pollIntervalMs: 10})
      expect(await memberZoneDrift(env, {services: catalog.services, openZone})).toEqual([{region: 'europe-west1', resource: 'private zone mygate-data.svc.clusterset.local', field: '(zone)', desired: 'present', live: 'missing'}])
      const members = memberServices(env, catalog.services)
      const zone = await openZone()
      await zone.ensure(members.map((m, i) => ({...m, address: `10.20.0.${i + 1}`})))
      await zone.close()
      expect(await memberZoneDrift(env, {services: catalog.services, openZone})).toEqual([])
      // Someone deletes one record by hand (as gcloud would).
      const gone = fake.zones.get('mygate-dz-members')!.records.find((r) => r.name.startsWith(`${members[0].service}.`))!
      await fake.request({url: `${fake.endpoint}/projects/mygate-test/managedZones/mygate-dz-members/changes`, method: 'POST', data: {deletions: [gone]}})
      expect(await memberZoneDrift(env, {services: catalog.services, openZone})).toEqual([
        {region: 'europe-west1', resource: 'private zone mygate-data.svc.clusterset.local', field: `record ${members[0].service}`, desired: 'present', live: 'missing'},
      ])
    } finally {
      await fake.stop()
    }
  })
})
