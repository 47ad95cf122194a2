import {beforeAll, describe, expect, test} from 'vitest'

import {loadCatalog} from '../../../src/catalog/load-catalog.js'
import type {RedisReplicationInfo} from '../../../src/db/redis-ops.js'
import {type MemberReading, redisView} from '../../../src/db/redis-status.js'
import {redisTopology, type RedisTopology} from '../../../src/db/redis-topology.js'

/**
 * The Redis verdict of `db status`, on a prod-like layout (r1: 3 members, r2: 1), r1 active:
 * healthy only with one master and every replica linked to it within the lag bound; anything else
 * degraded, naming the member.
 */
let topology: RedisTopology
let afterFailover: RedisTopology
beforeAll(async () => {
  const redis = (await loadCatalog()).byName('redis')!
  topology = redisTopology(redis, {tier: 'prod', regions: {primary: 'r1', secondary: 'r2'}})
  afterFailover = redisTopology(redis, {tier: 'prod', regions: {primary: 'r1', secondary: 'r2'}}, 'r2')
})

const R1 = (i: number) => `redis-r1-${i}.mygate-data.svc.clusterset.local:6379`
const R2 = 'redis-r2-0.mygate-data.svc.clusterset.local:6379'
const LOCAL0 = 'redis-0.redis.mygate-data.svc.cluster.local'
const master = (offset = 1000): RedisReplicationInfo => ({role: 'master', offset, replid: 'a', connectedReplicas: 3})
const replica = (of: string, overrides: Partial<RedisReplicationInfo> = {}): RedisReplicationInfo => ({role: 'slave', masterHost: of, masterPort: 6379, linkStatus: 'up', lastIoSecondsAgo: 0, offset: 990, replid: 'a', connectedReplicas: 0, ...overrides})
const ok = (host: string, info: RedisReplicationInfo): MemberReading => ({host, region: host.includes('-r2-') ? 'r2' : 'r1', ok: true, info})
const healthyReadings = () => [ok(R1(0), master()), ok(R1(1), replica(LOCAL0)), ok(R1(2), replica(LOCAL0)), ok(R2, replica(R1(0).replace(/:6379$/, '')))]

describe('redisView', () => {
  test('one master, every replica linked and recent: healthy; lag in bytes against the master (by either of its names)', () => {
    const view = redisView(topology, healthyReadings())
    expect(view).toMatchObject({verdict: 'healthy', primary: R1(0), problems: []})
    expect(view.members.map((m) => [m.role, m.lagBytes, m.lagSeconds])).toEqual([['master', undefined, undefined], ['slave', 10, 0], ['slave', 10, 0], ['slave', 10, 0]])
  })

  test.each<[string, (readings: MemberReading[]) => MemberReading[], string]>([
    ['two masters (a promotion without demotion)', (r) => r.map((x) => (x.host === R2 ? ok(R2, master(50)) : x)), `2 masters (${R1(0)}, ${R2}): make all but one a replica again`],
    ['a replica whose link is down', (r) => r.map((x) => (x.host === R1(2) ? ok(R1(2), replica(LOCAL0, {linkStatus: 'down', linkDownSinceSeconds: 42, lastIoSecondsAgo: -1})) : x)), `${R1(2)}: link to ${LOCAL0}:6379 down for 42s`],
    ['a replica beyond the lag bound', (r) => r.map((x) => (x.host === R1(1) ? ok(R1(1), replica(LOCAL0, {lastIoSecondsAgo: 11})) : x)), `${R1(1)}: 11s since it heard from its master (more than 10s)`],
    ['a replica following another replica (a demotion half done)', (r) => r.map((x) => (x.host === R2 ? ok(R2, replica(R1(1).replace(/:6379$/, ''))) : x)), `${R2}: follows redis-r1-1.mygate-data.svc.clusterset.local:6379, not the master (${R1(0)})`],
    ['a member that does not answer', (r) => r.map((x) => (x.host === R1(1) ? {host: R1(1), region: 'r1', ok: false as const, error: 'Could not connect'} : x)), `${R1(1)}: unreachable`],
  ])('degraded, naming the member: %s', (_name, change, problem) => {
    const view = redisView(topology, change(healthyReadings()))
    expect(view.verdict).toBe('degraded')
    expect(view.problems).toEqual([problem])
    expect(view.summary).toContain(problem)
  })

  test('a replica exactly at the bound is still healthy', () => {
    const view = redisView(topology, healthyReadings().map((x) => (x.host === R1(1) ? ok(R1(1), replica(LOCAL0, {lastIoSecondsAgo: 10})) : x)))
    expect(view.verdict).toBe('healthy')
  })

  test('no master answering: no-primary', () => {
    const view = redisView(topology, [ok(R1(1), replica(LOCAL0, {linkStatus: 'down', lastIoSecondsAgo: -1})), {host: R1(0), region: 'r1', ok: false, error: 'timed out'}])
    expect(view.verdict).toBe('no-primary')
    expect(view.primary).toBeNull()
  })

  test('after a switchover to r2: r1\'s members follow r2-0 by its clusterset name, r2-0 is the primary; healthy', () => {
    const r2 = R2.replace(/:6379$/, '')
    const view = redisView(afterFailover, [ok(R2, master()), ok(R1(0), replica(r2)), ok(R1(1), replica(r2)), ok(R1(2), replica(r2))])
    expect(view).toMatchObject({verdict: 'healthy', primary: R2})
    // r1's members follow a host in another region: its in-cluster name would be r1's own redis-0.
    const confused = redisView(afterFailover, [ok(R2, master()), ok(R1(0), replica(r2)), ok(R1(1), replica(LOCAL0)), ok(R1(2), replica(r2))])
    expect(confused.problems).toEqual([`${R1(1)}: follows ${LOCAL0}:6379, not the master (${R2})`])
  })
})
