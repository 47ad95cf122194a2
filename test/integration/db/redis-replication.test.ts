import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {loadCatalog} from '../../../src/catalog/load-catalog.js'
import {DatabaseOperationError} from '../../../src/db/operation-error.js'
import {demoteRedisRegion, promoteRedisRegion, redisReplicationInfo, type RedisReplicationInfo} from '../../../src/db/redis-ops.js'
import {redisTopology, type RedisTopology} from '../../../src/db/redis-topology.js'
import {KubeClient} from '../../../src/kube/client.js'
import type {LocalCluster} from '../../../src/local-cluster/cluster.js'
import {objectsForRegion} from '../../../src/render/labels.js'
import {renderService} from '../../../src/render/render-environment.js'
import {testEnvironment} from '../../helpers/builders.js'
import {namespace, NAMESPACE} from '../../helpers/data-plane.js'
import {REGIONS, startTwoRegions, type TwoRegions, waitUntil} from '../../helpers/two-regions.js'

/**
 * Redis across two local regions, with the manifests mygate renders: the secondary region's replica
 * follows the primary through its cross-region member name with the generated password (link up,
 * offsets moving together), loses its link when the primary's region goes down (offset frozen),
 * and promoteRedisRegion (what a forced failover runs) makes it a master through a redis-cli Job;
 * a re-run changes nothing; once r1 is back, demoteRedisRegion makes its old master follow r2's.
 */
describe('Redis: a replica in the secondary region, promoted by a Job', () => {
  let regions: TwoRegions
  const clusters = new Map<string, LocalCluster>()
  const clients = new Map<string, KubeClient>()
  const env = testEnvironment({name: 'rd', tier: 'dev', regions: {primary: 'r1', secondary: 'r2'}})
  const password = 'redis-test-password'
  const secret = (value: string) => ({apiVersion: 'v1', kind: 'Secret', metadata: {name: 'redis-auth', namespace: NAMESPACE}, stringData: {password: value}})
  let hosts: {primary: string; replica: string}
  /** The topology once r2 is the active region; each region's member by its in-cluster name. */
  let toR2: RedisTopology
  const inCluster = `redis-0.redis.${NAMESPACE}.svc.cluster.local:6379`

  const until = <T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> => waitUntil(what, check, {timeoutMs, intervalMs: 200, ignoreErrors: true})
  const info = (region: string, host: string) => redisReplicationInfo(clients.get(region)!, {host, timeoutMs: 20_000})

  beforeAll(async () => {
    const catalog = await loadCatalog()
    const redis = catalog.byName('redis')!
    const topology = redisTopology(redis, env)
    hosts = {primary: topology.members[0].host, replica: topology.members[1].host}
    toR2 = redisTopology(redis, env, 'r2')
    const objects = await renderService(redis, env, {catalog})
    regions = await startTwoRegions({clusterSet: 'rd', tmpPrefix: 'mygate-redis-'})
    for (const region of REGIONS) {
      clusters.set(region, regions.clusters[region])
      const client = regions.clients[region]
      clients.set(region, client)
      for (const object of [namespace(), secret(password), ...objectsForRegion(objects, region)]) await client.apply(object)
    }
    regions.dataPlane.start()
  }, 60_000)

  afterAll(async () => {
    await regions?.close()
  })

  test('the replica follows the primary across regions: role, link up, offsets moving together', async () => {
    const replica = await until('the replica link to be up', async () => {
      const read = await info('r2', hosts.replica)
      return read.linkStatus === 'up' && read.offset > 0 ? read : undefined
    })
    expect(replica).toMatchObject({role: 'slave', masterHost: hosts.primary.replace(/:6379$/, ''), masterPort: 6379, linkStatus: 'up'})
    const primary = await info('r1', hosts.primary)
    expect(primary).toMatchObject({role: 'master', connectedReplicas: 1})
    expect(primary.replid).toBe(replica.replid)
    expect(primary.offset).toBeGreaterThanOrEqual(replica.offset)
    // The replica keeps up: a second reading is further on.
    const later = await until('the replica offset to move', async () => {
      const read = await info('r2', hosts.replica)
      return read.offset > replica.offset ? read : undefined
    })
    expect(later.linkStatus).toBe('up')
  }, 60_000)

  test('a wrong password is refused: the Job fails with the reply', async () => {
    const client = clients.get('r2')!
    await client.apply({apiVersion: 'v1', kind: 'Secret', metadata: {name: 'redis-wrong', namespace: NAMESPACE}, stringData: {password: 'nope'}})
    const error = await redisReplicationInfo(client, {host: hosts.replica, secret: {name: 'redis-wrong', key: 'password'}, timeoutMs: 20_000}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DatabaseOperationError)
    expect((error as Error).message).toMatch(/WRONGPASS|NOAUTH/)
  }, 30_000)

  test('the primary region down: the link is down and the offset frozen; promoting r2 makes its replica a master, once; r1 back follows it', async () => {
    await clusters.get('r1')!.setDown(true)
    const down = await until('the replica link to be down', async () => {
      const read = await info('r2', hosts.replica)
      return read.linkStatus === 'down' ? read : undefined
    })
    await new Promise((resolve) => setTimeout(resolve, 300))
    const still: RedisReplicationInfo = await info('r2', hosts.replica)
    expect(still.offset).toBe(down.offset)

    // What a forced failover runs (the old region lost): r2 promoted alone, through the product's
    // promoteRedisRegion, its member by its in-cluster name.
    const promoted = await promoteRedisRegion(clients.get('r2')!, {topology: toR2, timeoutMs: 20_000})
    expect(promoted.members.map((m) => [m.host, m.changed])).toEqual([[inCluster, true]])
    const [member] = promoted.members
    expect(member.before).toMatchObject({role: 'slave', linkStatus: 'down'})
    expect(member.after).toMatchObject({role: 'master', connectedReplicas: 0})
    expect(member.after.replid).not.toBe(member.before.replid)
    expect(member.after.offset).toBeGreaterThanOrEqual(member.before.offset)

    const again = await promoteRedisRegion(clients.get('r2')!, {topology: toR2, timeoutMs: 20_000})
    expect(again.members).toMatchObject([{changed: false, reason: 'already a master'}])
    const jobs = await clients.get('r2')!.list('batch/v1', 'Job', {namespace: NAMESPACE, labelSelector: 'mygate.dev/op=redis-promote'})
    expect(jobs.items).toEqual([])

    // r1 back (as fenced, then recovered): demoteRedisRegion makes its old master follow r2's.
    await clusters.get('r1')!.setDown(false)
    const demoted = await until('r1 to answer and follow r2', async () => demoteRedisRegion(clients.get('r1')!, {topology: toR2, region: 'r1', timeoutMs: 20_000}))
    expect(demoted.members.map((m) => [m.host, m.before.role, m.after.role, `${m.after.masterHost}:${m.after.masterPort}`])).toEqual([[inCluster, 'master', 'slave', toR2.primary.host]])
    await until('r1 linked to r2', async () => ((await info('r1', hosts.primary)).linkStatus === 'up' ? true : undefined))
    expect(await info('r2', hosts.replica)).toMatchObject({role: 'master', connectedReplicas: 1})
  }, 60_000)
})
