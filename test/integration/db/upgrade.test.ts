import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {directConnection, replicaSetConnection} from '../../../src/db/connection.js'
import {ensureOpsConfigMap} from '../../../src/db/ops-configmap.js'
import {runDatabaseOperation} from '../../../src/db/run-operation.js'
import type {ReplicaSetTopology} from '../../../src/db/topology.js'
import {upgradeByRole} from '../../../src/db/upgrade.js'
import {KubeClient} from '../../../src/kube/client.js'
import type {KubeObject} from '../../../src/kube/types.js'
import {type LocalCluster, startLocalCluster} from '../../../src/local-cluster/cluster.js'
import {DataPlane} from '../../../src/local-cluster/data-plane/data-plane.js'
import {credentialsSecret, headlessService, memberHost, mongodStatefulSet, namespace, NAMESPACE} from '../../helpers/data-plane.js'
import {writeKubeconfig} from '../../helpers/kubectl.js'

/**
 * A database image change on an OnDelete StatefulSet, driven by upgradeByRole over real HTTP
 * against the local control plane: the secondaries restart first, one at a time, the PRIMARY last
 * after a step-down; a re-run restarts nothing.
 */
describe('database upgrades by role', () => {
  let dir: string
  let dataPlane: DataPlane
  let cluster: LocalCluster
  let client: KubeClient
  const db = 'billing-db'
  const hosts = [0, 1, 2].map((i) => memberHost(db, i))
  const topology: ReplicaSetTopology = {
    set: db,
    port: 27017,
    primaryRegion: 'r1',
    members: hosts.map((host, ordinal) => ({host, region: 'r1', ordinal, pod: `${db}-${ordinal}`, priority: 1, votes: 1})),
  }
  const statefulSet = (image: string): KubeObject => {
    const set = mongodStatefulSet(db, {replicas: 3}) as KubeObject & {spec: {updateStrategy?: unknown; template: {spec: {containers: Array<{image: string}>}}}}
    set.spec.updateStrategy = {type: 'OnDelete'}
    set.spec.template.spec.containers[0].image = image
    return set
  }
  const status = async () =>
    (await runDatabaseOperation(client, {database: db, op: 'status', params: {}, connection: replicaSetConnection(db, hosts, {readPreference: 'primaryPreferred'})})).result

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mygate-db-upgrade-'))
    dataPlane = new DataPlane({stateDir: join(dir, 'data-plane'), timing: {tickMs: 50}})
    cluster = await startLocalCluster({name: 'up-r1', region: 'r1', clusterSet: 'up', stateDir: join(dir, 'r1'), dataPlane, timing: {podStartupMs: 50, readinessDelayMs: 10, jobRunMs: 50}})
    dataPlane.start()
    client = await KubeClient.connect({kubeconfigPath: writeKubeconfig(cluster.url, mkdtempSync(join(dir, 'kc-'))), context: 'local'})
    for (const object of [namespace(), credentialsSecret(db), headlessService(db), statefulSet('mongo:7.0')]) await client.apply(object)
    await ensureOpsConfigMap(client)
    const members = hosts.map((host) => ({host}))
    for (let i = 0; ; i++) {
      try {
        await runDatabaseOperation(client, {database: db, op: 'initiate', params: {set: db, members, settings: {electionTimeoutMillis: 1000, heartbeatIntervalMillis: 200}}, connection: directConnection(hosts[0])})
        break
      } catch (error) {
        if (i > 40) throw error
        await new Promise((resolve) => setTimeout(resolve, 300))
      }
    }
    for (let i = 0; i < 100 && (await status()).verdict !== 'healthy'; i++) await new Promise((resolve) => setTimeout(resolve, 200))
  }, 90_000)

  afterAll(async () => {
    client?.close()
    await cluster?.stop()
    await dataPlane?.close()
    rmSync(dir, {recursive: true, force: true})
  })

  test('an image change restarts the secondaries one by one, then the primary after a step-down; a re-run does nothing', async () => {
    const before = await status()
    expect(before.verdict).toBe('healthy')
    const oldPrimary = before.primary!
    await client.apply(statefulSet('mongo:7.0.14'))
    // OnDelete: nothing restarts by itself.
    await new Promise((resolve) => setTimeout(resolve, 500))
    const images = async () => Promise.all([0, 1, 2].map(async (i) => ((await client.get('v1', 'Pod', `${db}-${i}`, NAMESPACE))?.spec as {containers: Array<{image: string}>}).containers[0].image))
    expect(await images()).toEqual(['mongo:7.0', 'mongo:7.0', 'mongo:7.0'])

    const lines: string[] = []
    const result = await upgradeByRole({clients: new Map([['r1', client]]), topology, image: 'mongo:7.0.14', onProgress: (line) => lines.push(line), timeoutMs: 120_000})
    expect(result.restarted).toHaveLength(3)
    expect(result.restarted.at(-1)).toBe(oldPrimary)
    expect(new Set(result.restarted)).toEqual(new Set(hosts))
    expect(lines.findIndex((l) => l.startsWith(`${db}: stepped down ${oldPrimary}`))).toBe(lines.length - 2)
    expect(await images()).toEqual(['mongo:7.0.14', 'mongo:7.0.14', 'mongo:7.0.14'])
    const after = await status()
    expect(after.primary).toBeTruthy()
    expect(after.primary).not.toBe(oldPrimary)

    const again = await upgradeByRole({clients: new Map([['r1', client]]), topology, image: 'mongo:7.0.14'})
    expect(again.restarted).toEqual([])
  }, 150_000)
})
