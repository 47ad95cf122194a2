import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {loadCatalog} from '../../../src/catalog/load-catalog.js'
import {NAMESPACES} from '../../../src/config/types.js'
import {directConnection, replicaSetConnection} from '../../../src/db/connection.js'
import {ensureOpsConfigMap} from '../../../src/db/ops-configmap.js'
import {runDatabaseOperation} from '../../../src/db/run-operation.js'
import {deployDatabase} from '../../../src/deploy/deploy-database.js'
import {readRecord, writeRecord, type EnvironmentRecord} from '../../../src/env/record.js'
import {KubeClient} from '../../../src/kube/client.js'
import type {KubeObject} from '../../../src/kube/types.js'
import {type LocalCluster, startLocalCluster} from '../../../src/local-cluster/cluster.js'
import {DataPlane} from '../../../src/local-cluster/data-plane/data-plane.js'
import {testEnvironment} from '../../helpers/builders.js'
import {credentialsSecret, headlessService, memberHost, mongodStatefulSet, namespace, NAMESPACE} from '../../helpers/data-plane.js'
import {writeKubeconfig} from '../../helpers/kubectl.js'

/**
 * `mygate deploy billing-db` as its use case, over real HTTP against the local control plane: the
 * image change reaches the OnDelete StatefulSet's template, the members restart secondaries first
 * and the primary last (the order read from the cluster: a watch on the pods' deletions), a
 * PRIMARY answers at every sample except during the one election after the step-down, and the
 * environment record learns the version.
 */
describe('deployDatabase: a mongod image change, by role', () => {
  let dir: string
  let dataPlane: DataPlane
  let cluster: LocalCluster
  let client: KubeClient
  const db = 'billing-db'
  const hosts = [0, 1, 2].map((i) => memberHost(db, i))
  const statefulSet = (): KubeObject => {
    const set = mongodStatefulSet(db, {replicas: 3}) as KubeObject & {spec: {updateStrategy?: unknown}}
    set.spec.updateStrategy = {type: 'OnDelete'}
    return set
  }
  const status = async () => (await runDatabaseOperation(client, {database: db, op: 'status', params: {}, connection: replicaSetConnection(db, hosts, {readPreference: 'primaryPreferred'}), timeoutMs: 20_000})).result
  const record = (): EnvironmentRecord => {
    const now = new Date().toISOString()
    return {schemaVersion: 1, name: 'demo', provider: 'local', spec: testEnvironment({tier: 'staging', regions: {primary: 'r1'}}), clusters: [], activeRegion: 'r1', versions: {[db]: '7.0'}, phase: 'ready', createdAt: now, updatedAt: now}
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mygate-db-deploy-'))
    dataPlane = new DataPlane({stateDir: join(dir, 'data-plane'), timing: {tickMs: 50}})
    cluster = await startLocalCluster({name: 'dd-r1', region: 'r1', clusterSet: 'dd', stateDir: join(dir, 'r1'), dataPlane, timing: {podStartupMs: 50, readinessDelayMs: 10, jobRunMs: 50}})
    dataPlane.start()
    client = await KubeClient.connect({kubeconfigPath: writeKubeconfig(cluster.url, mkdtempSync(join(dir, 'kc-'))), context: 'local'})
    for (const object of [namespace(), {apiVersion: 'v1', kind: 'Namespace', metadata: {name: NAMESPACES.system}}, credentialsSecret(db), headlessService(db), statefulSet()]) await client.apply(object)
    await ensureOpsConfigMap(client)
    await writeRecord(client, record())
    for (let i = 0; ; i++) {
      try {
        await runDatabaseOperation(client, {database: db, op: 'initiate', params: {set: db, members: hosts.map((host) => ({host})), settings: {electionTimeoutMillis: 1000, heartbeatIntervalMillis: 200}}, connection: directConnection(hosts[0])})
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

  test('secondaries restart first, the primary last after a step-down; a PRIMARY answers throughout but for one election', async () => {
    const catalog = await loadCatalog()
    const before = await status()
    expect(before.verdict).toBe('healthy')
    const oldPrimary = before.primary!
    const podOf = (host: string) => host.split('.')[0]

    // The order of restarts as the cluster saw it: the pods' deletions.
    const deleted: string[] = []
    const watch = client.watch(await client.pathFor({apiVersion: 'v1', kind: 'Pod', namespace: NAMESPACE}), {labelSelector: `app.kubernetes.io/name=${db}`}, (event) => {
      if (event.type === 'DELETED') deleted.push(String(event.object.metadata.name))
    })
    // A PRIMARY at every sample, sampled with status Jobs (as `db status` reads it) while the deploy runs.
    const samples: Array<string | null> = []
    let sampling = true
    const sampler = (async () => {
      while (sampling) samples.push((await status().catch(() => ({primary: undefined}))).primary ?? null)
    })()

    const result = await deployDatabase({
      record: record(),
      clients: new Map([['r1', client]]),
      request: {descriptor: catalog.byName(db)!, image: 'mongo:7.0.14', version: '7.0.14'},
      timeoutMs: 120_000,
    })
    sampling = false
    await sampler
    watch.stop()

    const oldPrimaryPod = podOf(oldPrimary)
    expect(deleted).toHaveLength(3)
    expect(deleted.at(-1)).toBe(oldPrimaryPod)
    expect(new Set(deleted)).toEqual(new Set([`${db}-0`, `${db}-1`, `${db}-2`]))
    expect(result.restarted.map((m) => [podOf(m.host), m.role])).toEqual(deleted.map((pod) => [pod, pod === oldPrimaryPod ? 'primary' : 'secondary']))
    expect(result.restarted.at(-1)).toMatchObject({role: 'primary', steppedDown: true})
    expect(result).toMatchObject({service: db, strategy: 'by-role', outcome: 'succeeded', from: 'mongo:7.0', image: 'mongo:7.0.14', primaryBefore: oldPrimary})
    expect(result.primaryAfter).not.toBe(oldPrimary)
    expect(hosts).toContain(result.primaryAfter)

    // A primary at the first and last samples, and at most one stretch without one (the election).
    expect(samples.length).toBeGreaterThan(3)
    expect(samples[0]).not.toBeNull()
    expect(samples.at(-1)).not.toBeNull()
    const gaps = samples.filter((p, i) => p === null && (i === 0 || samples[i - 1] !== null)).length
    expect(gaps, JSON.stringify(samples)).toBeLessThanOrEqual(1)

    // The cluster: every member on the new image, the StatefulSet's template too, the version recorded.
    for (let i = 0; i < 3; i++) {
      const pod = (await client.get('v1', 'Pod', `${db}-${i}`, NAMESPACE)) as KubeObject & {spec: {containers: Array<{image: string}>}}
      expect(pod.spec.containers[0].image).toBe('mongo:7.0.14')
    }
    const set = (await client.get('apps/v1', 'StatefulSet', db, NAMESPACE)) as KubeObject & {spec: {template: {metadata: {labels: Record<string, string>}}}}
    expect(set.metadata.labels?.['app.kubernetes.io/version']).toBe('7.0.14')
    expect(set.spec.template.metadata.labels['app.kubernetes.io/version']).toBe('7.0.14')
    expect((await readRecord(client))?.versions[db]).toBe('7.0.14')
    expect((await status()).verdict).toBe('healthy')

    // A re-run restarts nothing.
    const again = await deployDatabase({record: record(), clients: new Map([['r1', client]]), request: {descriptor: catalog.byName(db)!, image: 'mongo:7.0.14', version: '7.0.14'}, timeoutMs: 60_000})
    expect(again.restarted).toEqual([])
    expect(again.message).toBe('every member already runs mongo:7.0.14')
  }, 180_000)
})
