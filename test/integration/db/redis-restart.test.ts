import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {loadCatalog} from '../../../src/catalog/load-catalog.js'
import {redisReplicationInfo, renderRedisCliJob} from '../../../src/db/redis-ops.js'
import {operationJobName, runOperationJob} from '../../../src/db/run-operation.js'
import {KubeClient} from '../../../src/kube/client.js'
import {type LocalCluster, startLocalCluster} from '../../../src/local-cluster/cluster.js'
import {DataPlane} from '../../../src/local-cluster/data-plane/data-plane.js'
import {renderService} from '../../../src/render/render-environment.js'
import {testEnvironment} from '../../helpers/builders.js'
import {namespace, NAMESPACE} from '../../helpers/data-plane.js'
import {writeKubeconfig} from '../../helpers/kubectl.js'

/**
 * Redis as mygate ships it (`--appendonly yes --dir /data`, /data a PersistentVolumeClaim) keeps
 * its dataset across restarts, as a real redis-server reloading its AOF does: after a daemon
 * restart (every redis-server restarts) the master and its replicas answer the keys written
 * before; a member whose claim is deleted starts empty, and so do its replicas after their resync.
 */
describe('Redis datasets survive a daemon restart (AOF on the claim)', () => {
  let dir: string
  let dataPlane: DataPlane | undefined
  let cluster: LocalCluster | undefined
  let client: KubeClient | undefined
  const env = testEnvironment({name: 'rr', tier: 'prod', regions: {primary: 'r1'}})
  const secret = {apiVersion: 'v1', kind: 'Secret', metadata: {name: 'redis-auth', namespace: NAMESPACE}, stringData: {password: 'redis-test-password'}}
  const host = (ordinal: number) => `redis-${ordinal}.redis.${NAMESPACE}.svc.cluster.local:6379`

  const until = async <T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const value = await check().catch(() => undefined)
      if (value !== undefined) return value
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  const cli = async (target: string, command: string[]): Promise<string> => {
    const job = await renderRedisCliJob(operationJobName('redis', 'redis-info'), 'redis-info', command, {host: target})
    const outcome = await runOperationJob<{reply: string}>(client!, job, {database: 'redis', op: 'redis-info', timeoutMs: 20_000, secrets: 'Secret redis-auth', readResult: (log) => (/^(ERR|READONLY|NOAUTH)\b/m.test(log) ? undefined : {reply: log.trim()})})
    return outcome.result.reply
  }
  const replicasLinked = () =>
    until('both replicas linked', async () => {
      const read = await Promise.all([1, 2].map((ordinal) => redisReplicationInfo(client!, {host: host(ordinal), timeoutMs: 20_000})))
      return read.every((r) => r.linkStatus === 'up') ? read : undefined
    })
  /** The daemon's part: a data plane on the state directory and the region's cluster. */
  const start = async () => {
    dataPlane = new DataPlane({stateDir: join(dir, 'data-plane'), timing: {tickMs: 50}})
    cluster = await startLocalCluster({name: 'rr-r1', region: 'r1', clusterSet: 'rr', stateDir: join(dir, 'r1'), dataPlane, timing: {podStartupMs: 50, readinessDelayMs: 10, jobRunMs: 50}})
    dataPlane.start()
    client = await KubeClient.connect({kubeconfigPath: writeKubeconfig(cluster.url, mkdtempSync(join(dir, 'kc-'))), context: 'local'})
  }
  const stop = async () => {
    client?.close()
    await cluster?.stop()
    await dataPlane?.close()
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mygate-redis-restart-'))
    const catalog = await loadCatalog()
    await start()
    for (const object of [namespace(), secret, ...(await renderService(catalog.byName('redis')!, env, {catalog}))]) await client!.apply(object)
  }, 60_000)

  afterAll(async () => {
    await stop()
    rmSync(dir, {recursive: true, force: true})
  })

  test('written on the master, read on every member after the daemon restarts', async () => {
    await replicasLinked()
    expect(await cli(host(0), ['SET', 'session:7', 'alice'])).toBe('OK')
    expect(await until('the replica to have it', async () => ((await cli(host(2), ['GET', 'session:7'])) === 'alice' ? true : undefined))).toBe(true)
    await stop()
    await start()
    const before = await redisReplicationInfo(client!, {host: host(0), timeoutMs: 20_000})
    expect(before.role).toBe('master')
    expect(await cli(host(0), ['GET', 'session:7'])).toBe('alice')
    await replicasLinked()
    for (const ordinal of [1, 2]) expect(await cli(host(ordinal), ['GET', 'session:7'])).toBe('alice')
  }, 90_000)

  test('the master\'s claim deleted: it comes back empty, and its replicas resync to empty', async () => {
    await client!.delete({apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: 'data-redis-0', namespace: NAMESPACE})
    await client!.delete({apiVersion: 'v1', kind: 'Pod', name: 'redis-0', namespace: NAMESPACE})
    expect(await until('the new master to answer, empty', async () => ((await cli(host(0), ['GET', 'session:7'])) === '' ? true : undefined))).toBe(true)
    expect(await until('replica redis-2 resynced', async () => ((await cli(host(2), ['GET', 'session:7'])) === '' ? true : undefined))).toBe(true)
  }, 90_000)
})
