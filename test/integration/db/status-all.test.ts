import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {directConnection, replicaSetConnection} from '../../../src/db/connection.js'
import {ensureOpsConfigMap} from '../../../src/db/ops-configmap.js'
import {runDatabaseOperation} from '../../../src/db/run-operation.js'
import {runStatusAll} from '../../../src/db/status-all.js'
import {KubeClient} from '../../../src/kube/client.js'
import {type LocalCluster, startLocalCluster} from '../../../src/local-cluster/cluster.js'
import {DataPlane} from '../../../src/local-cluster/data-plane/data-plane.js'
import {credentialsSecret, headlessService, memberHost, mongodStatefulSet, namespace, NAMESPACE} from '../../helpers/data-plane.js'
import {writeKubeconfig} from '../../helpers/kubectl.js'

/**
 * status-all.js over real HTTP against the local control plane: ONE Job reads every replica set
 * (each through its own connection and its own Secret's files); a set that cannot be read (no
 * Secret, a wrong password, no member answering) is reported with why while the others still are.
 */
describe('runStatusAll: every database in one Job', () => {
  let dir: string
  let dataPlane: DataPlane
  let cluster: LocalCluster
  let client: KubeClient
  const settings = {electionTimeoutMillis: 1000, heartbeatIntervalMillis: 200}
  const sets = {billing: 'billing-db', visitors: 'visitors-db', notices: 'notices-db'}
  const hostsOf = (db: string, replicas: number) => Array.from({length: replicas}, (_, i) => memberHost(db, i))
  const connectionOf = (db: string, replicas: number) => replicaSetConnection(db, hostsOf(db, replicas), {readPreference: 'primaryPreferred'})

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mygate-db-status-all-'))
    dataPlane = new DataPlane({stateDir: join(dir, 'data-plane'), timing: {tickMs: 50}})
    cluster = await startLocalCluster({name: 'sa-r1', region: 'r1', clusterSet: 'sa', stateDir: join(dir, 'r1'), dataPlane, timing: {podStartupMs: 50, readinessDelayMs: 10, jobRunMs: 50}})
    dataPlane.start()
    client = await KubeClient.connect({kubeconfigPath: writeKubeconfig(cluster.url, mkdtempSync(join(dir, 'kc-'))), context: 'local'})
    await client.apply(namespace())
    // billing: 3 members; visitors: 1 member; notices: 1 member, but its Secret is deleted later.
    for (const [db, replicas] of [[sets.billing, 3], [sets.visitors, 1], [sets.notices, 1]] as const) {
      for (const object of [credentialsSecret(db), headlessService(db), mongodStatefulSet(db, {replicas})]) await client.apply(object)
    }
    await ensureOpsConfigMap(client)
    for (const [db, replicas] of [[sets.billing, 3], [sets.visitors, 1], [sets.notices, 1]] as const) {
      const members = hostsOf(db, replicas).map((host) => ({host}))
      for (let i = 0; ; i++) {
        try {
          await runDatabaseOperation(client, {database: db, op: 'initiate', params: {set: db, members, settings}, connection: directConnection(members[0].host), timeoutMs: 20_000})
          break
        } catch (error) {
          if (i > 40) throw error
          await new Promise((resolve) => setTimeout(resolve, 300))
        }
      }
    }
  }, 120_000)

  afterAll(async () => {
    client?.close()
    await cluster?.stop()
    await dataPlane?.close()
    rmSync(dir, {recursive: true, force: true})
  })

  const jobs = async () => (await client.list('batch/v1', 'Job', {namespace: NAMESPACE, labelSelector: 'app.kubernetes.io/component=db-ops'})).items

  test('one Job reports every set, each as status.js would, and is deleted', async () => {
    let outcome = await runStatusAll(client, {sets: [{database: sets.billing, connection: connectionOf(sets.billing, 3), appDatabase: 'billing'}, {database: sets.visitors, connection: connectionOf(sets.visitors, 1)}]})
    // The 3-member set elects after its election time-out and its secondaries then catch up.
    for (let i = 0; i < 60 && outcome.result.sets.some((s) => !s.ok || s.verdict !== 'healthy'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 200))
      outcome = await runStatusAll(client, {sets: [{database: sets.billing, connection: connectionOf(sets.billing, 3), appDatabase: 'billing'}, {database: sets.visitors, connection: connectionOf(sets.visitors, 1)}]})
    }
    const [billing, visitors] = outcome.result.sets
    expect(outcome.result.op).toBe('status-all')
    expect(billing).toMatchObject({name: sets.billing, ok: true, op: 'status', initiated: true, verdict: 'healthy', set: sets.billing, database: 'billing'})
    if (!billing.ok || !visitors.ok) throw new Error('expected both sets to be read')
    expect(billing.members?.map((m) => m.host).sort()).toEqual(hostsOf(sets.billing, 3).sort())
    expect(hostsOf(sets.billing, 3)).toContain(billing.primary)
    expect(visitors).toMatchObject({name: sets.visitors, ok: true, verdict: 'healthy', primary: memberHost(sets.visitors, 0), collections: []})
    expect(outcome.verdict).toBe('status-all: 2 sets: 2 healthy')
    expect(await jobs()).toEqual([])
  }, 60_000)

  test('a set whose Secret is missing or whose password is wrong fails alone; the Job still answers', async () => {
    await client.delete({apiVersion: 'v1', kind: 'Secret', name: `${sets.notices}-credentials`, namespace: NAMESPACE})
    await client.apply(credentialsSecret(sets.visitors, {password: 'not-the-password'}))
    try {
      const outcome = await runStatusAll(client, {
        sets: [
          {database: sets.billing, connection: connectionOf(sets.billing, 3)},
          {database: sets.visitors, connection: connectionOf(sets.visitors, 1)},
          {database: sets.notices, connection: connectionOf(sets.notices, 1)},
          {database: 'nowhere-db', connection: connectionOf('nowhere-db', 1)},
        ],
        timeoutMs: 20_000,
      })
      const [billing, visitors, notices, nowhere] = outcome.result.sets
      expect(billing).toMatchObject({name: sets.billing, ok: true, initiated: true})
      expect(visitors).toMatchObject({name: sets.visitors, ok: false, error: {codeName: 'AuthenticationFailed', message: 'Authentication failed.'}})
      expect(notices).toMatchObject({name: sets.notices, ok: false, error: {message: `ENOENT: no such file or directory, open '/credentials/${sets.notices}/root-username'`}})
      expect(nowhere).toMatchObject({name: 'nowhere-db', ok: false})
      expect(outcome.verdict).toMatch(/^status-all: 4 sets: 3 failed, 1 (healthy|degraded)$/)
    } finally {
      await client.apply(credentialsSecret(sets.notices))
      await client.apply(credentialsSecret(sets.visitors))
    }
  }, 60_000)
})
