import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {forcePrimary, movePrimary, observeDatabase, readStatus, rejoinRegion} from '../../../src/failover/database-moves.js'
import {finalMembers, regionOfHost, sameMembers, survivorMembers, topologyWithActive} from '../../../src/failover/replica-moves.js'
import {KubeClient} from '../../../src/kube/client.js'
import type {LocalCluster} from '../../../src/local-cluster/cluster.js'
import {testEnvironment, testService} from '../../helpers/builders.js'
import {formReplicaSetAcrossRegions, startTwoRegions, type TwoRegions, waitUntil} from '../../helpers/two-regions.js'

/**
 * Moving a PRIMARY between two regions through database Jobs, over real HTTP against two local
 * clusters of one cluster set sharing the simulated data plane: the planned move lands the PRIMARY
 * in the target with the target's vote layout, a re-run changes nothing, and a forced failover
 * after the (new) active region goes down elects in the survivor with only its members.
 */
describe('failover database moves against the local control plane', () => {
  let regions: TwoRegions
  const clusters: Record<string, LocalCluster> = {}
  const clients: Record<string, KubeClient> = {}
  const spec = testEnvironment({tier: 'staging', regions: {primary: 'r1', secondary: 'r2'}})
  const database = testService({name: 'billing-db', kind: 'mongodb', port: 27017})
  const tuning = {takeoverWaitMs: 4000, electionWaitMs: 20_000, pollMs: 150}
  const settings = {electionTimeoutMillis: 1000, heartbeatIntervalMillis: 200}

  const until = <T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> => waitUntil(what, check, {timeoutMs})

  beforeAll(async () => {
    regions = await startTwoRegions({clusterSet: 'demo', tmpPrefix: 'mygate-failover-db-', persistDataPlane: true})
    Object.assign(clusters, regions.clusters)
    Object.assign(clients, regions.clients)
    regions.dataPlane.start()
    await formReplicaSetAcrossRegions(regions, {database, spec, settings})
  }, 90_000)

  afterAll(async () => {
    await regions?.close()
  })

  test('the readiness observation sees an electable r2 member within the RPO', async () => {
    const observation = await observeDatabase({client: clients.r2, database, spec})
    expect('members' in observation && observation.members.filter((m) => m.host.includes('-r2-')).length).toBe(2)
  })

  test('a planned move: the PRIMARY lands in r2 with r2 holding the majority; a re-run changes nothing', async () => {
    const moved = await movePrimary({client: clients.r2, database, spec, ...tuning}, 'r2')
    expect(moved.detail).toMatch(/^PRIMARY billing-db-r2-[01]\.mygate-data\.svc\.clusterset\.local:27017 in r2 by (priority takeover|step-down)$/)
    expect(moved.lagSeconds).toBeLessThan(60)
    const status = await readStatus({client: clients.r2, database, spec})
    const r2 = topologyWithActive(database, spec, 'r2')
    expect(regionOfHost(r2, status.primary as string)).toBe('r2')
    expect(sameMembers(status.members ?? [], finalMembers(r2))).toBe(true)
    // r2 now has the voters' majority: its members vote with priority 2, r1 keeps one voter fewer.
    const voters = (region: string) => (status.members ?? []).filter((m) => m.votes > 0 && regionOfHost(r2, m.host) === region).length
    expect(voters('r2')).toBe(2)
    expect(voters('r1')).toBe(1)

    const again = await movePrimary({client: clients.r2, database, spec, ...tuning}, 'r2')
    expect(again.detail).toBe(`PRIMARY already in r2 (${status.primary})`)
    expect((await readStatus({client: clients.r2, database, spec})).primary).toBe(status.primary)
  }, 90_000)

  test('a forced failover: r2 goes down, the r1 survivors are forced and elect; r2 members are out of the config', async () => {
    await clusters.r2.setDown(true)
    try {
      const forced = await forcePrimary({client: clients.r1, database, spec, ...tuning}, 'r1')
      expect(forced.detail).toMatch(/^PRIMARY billing-db-r1-[01]\.\S+ in r1 by forced reconfig$/)
      const status = await readStatus({client: clients.r1, database, spec})
      const r1 = topologyWithActive(database, spec, 'r1')
      expect(regionOfHost(r1, status.primary as string)).toBe('r1')
      expect((status.members ?? []).map((m) => m.host).sort()).toEqual(survivorMembers(r1).map((m) => m.host).sort())
      const again = await forcePrimary({client: clients.r1, database, spec, ...tuning}, 'r1')
      expect(again.detail).toBe(`PRIMARY already in r1 (${status.primary})`)
    } finally {
      await clusters.r2.setDown(false)
    }
  }, 90_000)

  test('the old region back: its members rejoin the forced set (rollbacks reported) and catch up', async () => {
    await rejoinRegion({client: clients.r1, database, spec}, 'r1')
    const r1 = topologyWithActive(database, spec, 'r1')
    const status = await until('r2 members SECONDARY again', async () => {
      const s = await readStatus({client: clients.r1, database, spec})
      const r2 = (s.members ?? []).filter((m) => regionOfHost(r1, m.host) === 'r2')
      return r2.length === 2 && r2.every((m) => m.state === 'SECONDARY') ? s : undefined
    })
    expect(sameMembers(status.members ?? [], finalMembers(r1))).toBe(true)
    expect(regionOfHost(r1, status.primary as string)).toBe('r1')
  }, 90_000)
})
