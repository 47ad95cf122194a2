import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {loadCatalog} from '../../../src/catalog/load-catalog.js'
import type {Catalog} from '../../../src/catalog/types.js'
import {DatabaseOperationError} from '../../../src/db/operation-error.js'
import {redisReplicationInfo, renderRedisCliJob, switchRedisMaster} from '../../../src/db/redis-ops.js'
import {redisStatus} from '../../../src/db/redis-status.js'
import {redisTopology, type RedisTopology} from '../../../src/db/redis-topology.js'
import {operationJobName, runOperationJob} from '../../../src/db/run-operation.js'
import {KubeClient} from '../../../src/kube/client.js'
import type {LocalCluster} from '../../../src/local-cluster/cluster.js'
import {objectsForRegion} from '../../../src/render/labels.js'
import {renderService} from '../../../src/render/render-environment.js'
import {testEnvironment} from '../../helpers/builders.js'
import {namespace, NAMESPACE} from '../../helpers/data-plane.js'
import {REGIONS, startTwoRegions, type TwoRegions, waitUntil} from '../../helpers/two-regions.js'

/**
 * Redis at prod scale across two local regions, with the manifests mygate renders (3 members in
 * r1, 1 in r2): the shipped entrypoint makes r1's ordinal 0 the only master; writes go through the
 * apps' address and reach every replica (offsets converge); a replica refuses a write with Redis'
 * READONLY error; a planned switchover (demote r1, then promote r2: never two masters) leaves one
 * master, in r2, followed by every r1 member, a re-run changes nothing, and a restarted r1 pod comes
 * back a replica.
 */
describe('Redis: a primary with replicas, and demotion after a switchover', () => {
  let regions: TwoRegions
  let catalog: Catalog
  const clusters = new Map<string, LocalCluster>()
  const clients = new Map<string, KubeClient>()
  const env = testEnvironment({name: 'rp', tier: 'prod', regions: {primary: 'r1', secondary: 'r2'}})
  const secret = {apiVersion: 'v1', kind: 'Secret', metadata: {name: 'redis-auth', namespace: NAMESPACE}, stringData: {password: 'redis-test-password'}}
  const local = (ordinal: number) => `redis-${ordinal}.redis.${NAMESPACE}.svc.cluster.local:6379`
  let before: RedisTopology
  let after: RedisTopology

  const until = <T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> => waitUntil(what, check, {timeoutMs, intervalMs: 200, ignoreErrors: true})
  const info = (region: string, host: string) => redisReplicationInfo(clients.get(region)!, {host, timeoutMs: 20_000})
  /** The test's own redis-cli commands (SET, GET), run as mygate runs its: a Job, the reply from the log. */
  const cli = async (region: string, host: string, command: string[]): Promise<string> => {
    const job = await renderRedisCliJob(operationJobName('redis', 'redis-info'), 'redis-info', command, {host})
    const outcome = await runOperationJob<{reply: string}>(clients.get(region)!, job, {database: 'redis', op: 'redis-info', timeoutMs: 20_000, secrets: 'Secret redis-auth', readResult: (log) => (/^(ERR|READONLY|NOAUTH)\b/m.test(log) ? undefined : {reply: log.trim()})})
    return outcome.result.reply
  }

  beforeAll(async () => {
    catalog = await loadCatalog()
    const redis = catalog.byName('redis')!
    before = redisTopology(redis, env)
    after = redisTopology(redis, env, 'r2')
    const objects = await renderService(redis, env, {catalog})
    regions = await startTwoRegions({clusterSet: 'rp', tmpPrefix: 'mygate-redis-ha-'})
    for (const region of REGIONS) {
      clusters.set(region, regions.clusters[region])
      const client = regions.clients[region]
      clients.set(region, client)
      for (const object of [namespace(), secret, ...objectsForRegion(objects, region)]) await client.apply(object)
    }
    regions.dataPlane.start()
  }, 60_000)

  afterAll(async () => {
    await regions?.close()
  })

  test('ordinal 0 of r1 is the only master; r1-1, r1-2 follow it in-cluster, r2-0 by its clusterset name', async () => {
    const replicas = await until('every replica linked', async () => {
      const read = await Promise.all(before.members.slice(1).map((m) => info(m.region, m.host)))
      return read.every((r) => r.linkStatus === 'up') ? read : undefined
    })
    expect(replicas.map((r) => [r.role, `${r.masterHost}:${r.masterPort}`])).toEqual([
      ['slave', local(0)],
      ['slave', local(0)],
      ['slave', before.primary.host],
    ])
    const master = await info('r1', before.primary.host)
    expect(master).toMatchObject({role: 'master', connectedReplicas: 3})
    const view = await redisStatus(clients.get('r1')!, before, {timeoutMs: 20_000})
    expect(view.verdict).toBe('healthy')
    expect(view.members.map((m) => m.role)).toEqual(['master', 'slave', 'slave', 'slave'])
  }, 60_000)

  test('a write through the apps\' address lands on the master and reaches every replica; a replica refuses a write', async () => {
    const config = (await renderService(catalog.byName('notifications')!, env, {catalog})).find((o) => o.kind === 'ConfigMap') as unknown as {data: Record<string, string>}
    expect(await cli('r1', config.data.REDIS_ADDRESS, ['SET', 'session:42', 'alice'])).toBe('OK')
    const master = await info('r1', before.primary.host)
    for (const member of before.members.slice(1)) {
      const caught = await until(`${member.host} to catch up`, async () => {
        const read = await info(member.region, member.host)
        return read.offset >= master.offset ? read : undefined
      })
      expect(caught.replid).toBe(master.replid)
      expect(await cli(member.region, member.host, ['GET', 'session:42'])).toBe('alice')
    }
    const refused = await cli('r1', local(1), ['SET', 'session:43', 'bob']).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(DatabaseOperationError)
    expect((refused as Error).message).toMatch(/READONLY You can't write against a read only replica/)
    expect(await cli('r1', local(0), ['GET', 'session:43'])).toBe('')
  }, 90_000)

  test('a planned switchover to r2 (r1 demoted first): never two masters; then r2-0 the only master, every r1 member follows it, data kept; a re-run changes nothing', async () => {
    // Between the two halves, as the failover's redis step runs them: r1 already follows r2-0,
    // which still follows r1-0, so no member is a master and a write is refused, not taken twice.
    const between: Array<{masters: string[]; write: unknown}> = []
    const switched = await switchRedisMaster(
      {to: clients.get('r2')!, from: clients.get('r1')!},
      {
        topology: after,
        from: 'r1',
        demoteFirst: true,
        timeoutMs: 20_000,
        onStep: async (done) => {
          if (done !== 'demoted') return
          const view = await redisStatus(clients.get('r2')!, after, {timeoutMs: 20_000})
          between.push({masters: view.members.filter((m) => m.role === 'master').map((m) => m.host), write: await cli('r1', local(0), ['SET', 'session:43', 'dave']).catch((error: unknown) => error)})
        },
      },
    )
    expect(between).toHaveLength(1)
    expect(between[0].masters).toEqual([])
    expect((between[0].write as Error).message).toMatch(/READONLY/)
    expect(switched.promoted.members.map((m) => [m.host, m.changed])).toEqual([[local(0), true]])
    const demoted = switched.demoted!
    expect(demoted.members.map((m) => [m.host, m.changed, m.after.role, `${m.after.masterHost}:${m.after.masterPort}`])).toEqual([0, 1, 2].map((i) => [local(i), true, 'slave', after.primary.host]))
    expect(demoted.roleConfigChanged).toBe(true)

    const view = await until('r1 linked to the new master', async () => {
      const read = await redisStatus(clients.get('r2')!, after, {timeoutMs: 20_000})
      return read.verdict === 'healthy' ? read : undefined
    })
    expect(view.members.filter((m) => m.role === 'master').map((m) => m.host)).toEqual([after.primary.host])
    expect(await cli('r2', local(0), ['GET', 'session:42'])).toBe('alice')
    expect(await cli('r2', local(0), ['SET', 'session:44', 'carol'])).toBe('OK')
    await until('the write to reach r1-2', async () => ((await cli('r1', local(2), ['GET', 'session:44'])) === 'carol' ? true : undefined))

    const again = await switchRedisMaster({to: clients.get('r2')!, from: clients.get('r1')!}, {topology: after, from: 'r1', demoteFirst: true, timeoutMs: 20_000})
    const halves = [again.promoted, again.demoted!]
    expect(halves.flatMap((a) => a.members.map((m) => m.changed))).toEqual([false, false, false, false])
    expect(halves.map((a) => a.roleConfigChanged)).toEqual([false, false])
    expect(again.demoted!.members[0].reason).toBe(`already follows ${after.primary.host}`)
  }, 120_000)

  test('a restarted r1 pod reads the rewritten role ConfigMap and comes back a replica of r2-0, not a second master', async () => {
    const client = clients.get('r1')!
    const old = await client.get('v1', 'Pod', 'redis-0', NAMESPACE)
    await client.delete({apiVersion: 'v1', kind: 'Pod', name: 'redis-0', namespace: NAMESPACE})
    const back = await until('redis-0 to restart', async () => {
      const pod = await client.get('v1', 'Pod', 'redis-0', NAMESPACE)
      if (!pod || pod.metadata.uid === old?.metadata.uid) return undefined
      const read = await info('r1', local(0))
      return read.linkStatus === 'up' ? read : undefined
    }, 60_000)
    expect(back).toMatchObject({role: 'slave', masterHost: after.primary.host.replace(/:6379$/, ''), masterPort: 6379})
  }, 90_000)
})
