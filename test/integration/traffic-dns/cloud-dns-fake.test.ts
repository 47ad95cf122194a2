import {afterAll, beforeAll, beforeEach, describe, expect, test} from 'vitest'

import {NotFoundError} from '../../../src/errors.js'
import {openTrafficFor, type EnvironmentTraffic} from '../../../src/traffic-dns/environment-traffic.js'
import {testEnvironment} from '../../helpers/builders.js'
import {startCloudDnsFake, type CloudDnsFake} from '../../helpers/cloud-dns-fake.js'

/**
 * Cloud DNS through the traffic interface (the one Route 53 implements) against the REST fake;
 * every check reads the fake's stored record sets, never our own describe().
 */
const PROJECT = 'mygate-test'
const ZONE = 'example.com'
const EP = {r1: '34.111.1.1', r2: '34.122.2.2'}

describe('Cloud DNS failover and weighted records (fake)', () => {
  let fake: CloudDnsFake

  const open = (name: string, drMode: 'warm-standby' | 'active-active' = 'warm-standby', activeRegion = 'r1'): Promise<EnvironmentTraffic> =>
    openTrafficFor(
      {spec: testEnvironment({name, provider: 'gcp', gcp: {project: PROJECT}, regions: {primary: 'r1', secondary: 'r2'}, drMode, dns: {zone: ZONE, name: `${name}.${ZONE}`}}), activeRegion},
      {gcp: {request: fake.request, endpoint: fake.endpoint, pollIntervalMs: 10}},
    )
  const sets = () => fake.zones.get('example-com')!.records
  /** What the zone answers for a name: the A record's address(es) and weights. */
  const answer = (name: string) => {
    const set = sets().find((r) => r.name === `${name}.${ZONE}.` && (r.type === 'A' || r.type === 'CNAME'))
    if (!set) return undefined
    const items = (set.routingPolicy as {wrr?: {items: Array<{weight: number; rrdatas: string[]}>}} | undefined)?.wrr?.items
    return items ? items.map((i) => `${i.rrdatas[0]} w${i.weight}`) : set.rrdatas
  }
  const stateOf = (name: string) => sets().find((r) => r.name === `_mygate.${name}.${ZONE}.` && r.type === 'TXT')?.rrdatas

  beforeAll(async () => {
    fake = await startCloudDnsFake(PROJECT)
    const zone = (dnsName: string, name: string, visibility: string) =>
      fake.request({url: `${fake.endpoint}/projects/${PROJECT}/managedZones`, method: 'POST', data: {name, dnsName, description: 'the user\'s', visibility, ...(visibility === 'private' ? {privateVisibilityConfig: {networks: [{networkUrl: 'n'}]}} : {})}})
    await zone(`${ZONE}.`, 'example-com', 'public')
    // A private zone of the same name (split horizon) is not where public traffic is decided.
    await zone(`${ZONE}.`, 'example-com-internal', 'private')
  })
  afterAll(async () => {
    await fake?.stop()
  })
  beforeEach(() => {
    fake.changes.length = 0
  })

  test('env create: the active region answers, the state record holds both entry points; a re-run sends no change', async () => {
    const traffic = await open('fo')
    const described = await traffic.ensureRecords([{region: 'r1', endpoint: EP.r1}, {region: 'r2', endpoint: EP.r2}])
    expect(answer('fo')).toEqual([EP.r1])
    expect(stateOf('fo')).toEqual([
      '"mygate-traffic mode=failover"',
      `"region=r1 role=primary weight=100 withdrawn=false endpoint=${EP.r1}"`,
      `"region=r2 role=secondary weight=100 withdrawn=false endpoint=${EP.r2}"`,
    ])
    expect(described).toMatchObject({name: 'fo.example.com', mode: 'failover', active: ['r1']})
    expect(fake.changes).toHaveLength(1)
    expect(fake.changes[0]).toMatchObject({zone: 'example-com', deletions: []})
    await traffic.ensureRecords([{region: 'r1', endpoint: EP.r1}, {region: 'r2', endpoint: EP.r2}])
    expect(fake.changes).toHaveLength(1)
    await traffic.close()
  })

  test('switchover: one atomic change deleting the sets as read; switching again sends nothing', async () => {
    const traffic = await open('fo')
    const before = sets().filter((r) => r.name.includes('fo.example.com')).map((r) => structuredClone(r))
    await traffic.switchActive('r2')
    expect(answer('fo')).toEqual([EP.r2])
    expect(fake.changes).toHaveLength(1)
    expect(fake.changes[0].deletions).toEqual(expect.arrayContaining(before))
    expect(fake.changes[0].deletions).toHaveLength(2)
    await traffic.switchActive('r2')
    expect(fake.changes).toHaveLength(1)
    await traffic.close()
  })

  test('withdraw the serving region (a fence): the other answers; restore brings it back as the standby', async () => {
    const traffic = await open('fo')
    await traffic.withdraw('r2')
    expect(answer('fo')).toEqual([EP.r1])
    expect(stateOf('fo')).toContain(`"region=r2 role=secondary weight=100 withdrawn=true endpoint=${EP.r2}"`)
    await traffic.withdraw('r2')
    await traffic.restore('r2')
    expect(answer('fo')).toEqual([EP.r1])
    expect(stateOf('fo')).toContain(`"region=r2 role=secondary weight=100 withdrawn=false endpoint=${EP.r2}"`)
    // Both withdrawn: nothing answers, the state record remembers both entry points.
    await traffic.withdraw('r1')
    await traffic.withdraw('r2')
    expect(answer('fo')).toBeUndefined()
    await traffic.restore('r1')
    expect(answer('fo')).toEqual([EP.r1])
    await traffic.close()
  })

  test('active-active: a weighted round robin of the serving regions; a switchover leaves one, a withdrawal removes one', async () => {
    const traffic = await open('aa', 'active-active')
    await traffic.ensureRecords([{region: 'r1', endpoint: EP.r1}, {region: 'r2', endpoint: EP.r2}])
    expect(answer('aa')).toEqual([`${EP.r1} w100`, `${EP.r2} w100`])
    await traffic.withdraw('r2')
    expect(answer('aa')).toEqual([`${EP.r1} w100`])
    await traffic.restore('r2')
    expect(answer('aa')).toEqual([`${EP.r1} w100`, `${EP.r2} w100`])
    await traffic.switchActive('r2')
    expect(answer('aa')).toEqual([`${EP.r2} w100`])
    expect(await traffic.describe()).toMatchObject({mode: 'weighted', active: ['r2']})
    await traffic.close()
  })

  test('a re-run of env create after a failover keeps the active region; a changed entry point is written', async () => {
    const traffic = await open('fo', 'warm-standby', 'r1')
    await traffic.switchActive('r2')
    await traffic.ensureRecords([{region: 'r1', endpoint: EP.r1}, {region: 'r2', endpoint: '34.122.9.9'}])
    expect(answer('fo')).toEqual(['34.122.9.9'])
    await traffic.close()
  })

  test('env destroy removes only mygate\'s record sets: the user\'s records at the name and the zone stay', async () => {
    await fake.request({url: `${fake.endpoint}/projects/${PROJECT}/managedZones/example-com/changes`, method: 'POST', data: {additions: [{name: `fo.${ZONE}.`, type: 'MX', ttl: 300, rrdatas: ['10 mail.example.com.']}]}})
    const traffic = await open('fo')
    expect((await traffic.removeRecords()).sort()).toEqual(['Cloud DNS record _mygate.fo.example.com. TXT', 'Cloud DNS record fo.example.com. A'])
    expect(sets().filter((r) => r.name === `fo.${ZONE}.` || r.name === `_mygate.fo.${ZONE}.`).map((r) => r.type)).toEqual(['MX'])
    expect(await traffic.removeRecords()).toEqual([])
    await expect(traffic.describe()).rejects.toThrow(NotFoundError)
    await traffic.close()
  })

  test('a zone that does not exist: one clear error naming it', async () => {
    const traffic = await openTrafficFor(
      {spec: testEnvironment({name: 'nz', provider: 'gcp', gcp: {project: PROJECT}, regions: {primary: 'r1', secondary: 'r2'}, dns: {zone: 'missing.org', name: 'nz.missing.org'}}), activeRegion: 'r1'},
      {gcp: {request: fake.request, endpoint: fake.endpoint}},
    )
    await expect(traffic.ensureRecords([{region: 'r1', endpoint: EP.r1}, {region: 'r2', endpoint: EP.r2}])).rejects.toThrow('public Cloud DNS zone missing.org not found in project mygate-test')
    await traffic.close()
  })
})
