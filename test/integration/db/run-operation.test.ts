import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {directConnection, replicaSetConnection} from '../../../src/db/connection.js'
import {DatabaseOperationError} from '../../../src/db/operation-error.js'
import {ensureOpsConfigMap} from '../../../src/db/ops-configmap.js'
import {runDatabaseOperation} from '../../../src/db/run-operation.js'
import {TimeoutError} from '../../../src/errors.js'
import {KubeClient} from '../../../src/kube/client.js'
import {type LocalCluster, startLocalCluster} from '../../../src/local-cluster/cluster.js'
import {DataPlane} from '../../../src/local-cluster/data-plane/data-plane.js'
import {credentialsSecret, headlessService, memberHost, mongodStatefulSet, namespace, NAMESPACE} from '../../helpers/data-plane.js'
import {writeKubeconfig} from '../../helpers/kubectl.js'

/**
 * The Job runner over real HTTP against the local control plane and its data plane: typed
 * results for every operation, Jobs deleted when they succeed and kept (at most N) when they
 * fail, the script's codeName in the error, a Job that cannot start named by its waiting reason.
 */
describe('runDatabaseOperation against the local control plane', () => {
  let dir: string
  let dataPlane: DataPlane
  let cluster: LocalCluster
  let client: KubeClient
  const db = 'billing-db'
  const hosts = [memberHost(db, 0), memberHost(db, 1), memberHost(db, 2)]
  const settings = {electionTimeoutMillis: 1000, heartbeatIntervalMillis: 200}

  const jobs = async (labelSelector: string) =>
    (await client.list('batch/v1', 'Job', {namespace: NAMESPACE, labelSelector})).items.map((j) => String(j.metadata.name))

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mygate-db-runner-'))
    dataPlane = new DataPlane({stateDir: join(dir, 'data-plane'), timing: {tickMs: 50}})
    cluster = await startLocalCluster({name: 'demo-r1', region: 'r1', clusterSet: 'demo', stateDir: join(dir, 'r1'), dataPlane, timing: {podStartupMs: 50, readinessDelayMs: 10, jobRunMs: 50}})
    dataPlane.start()
    const kubeconfig = writeKubeconfig(cluster.url, mkdtempSync(join(dir, 'kc-')))
    client = await KubeClient.connect({kubeconfigPath: kubeconfig, context: 'local'})
    for (const object of [namespace(), credentialsSecret(db), headlessService(db), mongodStatefulSet(db, {replicas: 3})]) await client.apply(object)
    await ensureOpsConfigMap(client)
  }, 60_000)

  afterAll(async () => {
    client?.close()
    await cluster?.stop()
    await dataPlane?.close()
    rmSync(dir, {recursive: true, force: true})
  })

  test('status before initiate, initiate, a primary, then a re-run changes nothing; successful Jobs are deleted', async () => {
    const before = await runDatabaseOperation(client, {database: db, op: 'status', params: {}, connection: directConnection(hosts[0])})
    expect(before.result).toMatchObject({op: 'status', ok: true, initiated: false, verdict: 'not-initiated'})
    expect(before.exitCode).toBe(0)
    expect(before.job).toMatch(/^dbop-billing-db-status-[a-z0-9]{6}$/)

    const members = hosts.map((host) => ({host, priority: 1}))
    const initiated = await runDatabaseOperation(client, {database: db, op: 'initiate', params: {set: db, members, settings}, connection: directConnection(hosts[0]), timeoutMs: 30_000})
    expect(initiated.result).toMatchObject({op: 'initiate', ok: true, changed: true, set: db, configVersion: 1})
    expect(initiated.verdict).toBe('initiate: initiated billing-db with 3 members')

    let primary: string | null | undefined
    for (let i = 0; i < 60 && !primary; i++) {
      const status = await runDatabaseOperation(client, {database: db, op: 'status', params: {database: 'billing'}, connection: replicaSetConnection(db, hosts, {readPreference: 'primaryPreferred'})})
      // Right after the election the secondaries are still catching up (degraded): wait for healthy.
      if (status.result.verdict === 'healthy') {
        primary = status.result.primary
        expect(status.result.members?.map((m) => m.host).sort()).toEqual([...hosts].sort())
        expect(status.verdict).toBe(`status: healthy (primary ${primary})`)
      }
    }
    expect(hosts).toContain(primary)

    const again = await runDatabaseOperation(client, {database: db, op: 'initiate', params: {set: db, members, settings}, connection: directConnection(hosts[0])})
    expect(again.result.changed).toBe(false)
    expect(await jobs('app.kubernetes.io/component=db-ops')).toEqual([])
  }, 60_000)

  test('step-down only when the primary is the expected one; reconfigure reports its steps', async () => {
    const connection = replicaSetConnection(db, hosts)
    const status = await runDatabaseOperation(client, {database: db, op: 'status', params: {}, connection: replicaSetConnection(db, hosts, {readPreference: 'primaryPreferred'})})
    const primary = status.result.primary!
    const other = hosts.find((h) => h !== primary)!
    const skipped = await runDatabaseOperation(client, {database: db, op: 'step-down', params: {expectedPrimary: other}, connection})
    expect(skipped.result).toMatchObject({op: 'step-down', changed: false, primaryBefore: primary, primaryAfter: primary})

    const desired = hosts.map((host) => ({host, priority: host === primary ? 2 : 1, votes: 1}))
    const reconfigured = await runDatabaseOperation(client, {database: db, op: 'reconfigure', params: {members: desired}, connection, timeoutMs: 30_000})
    expect(reconfigured.result).toMatchObject({op: 'reconfigure', ok: true, changed: true})
    expect(reconfigured.result.steps.length).toBeGreaterThan(0)
    expect(reconfigured.result.members.find((m) => m.host === primary)).toMatchObject({priority: 2})
  }, 60_000)

  test('a failing script: DatabaseOperationError with its codeName; failed Jobs kept, at most keepFailed', async () => {
    const status = await runDatabaseOperation(client, {database: db, op: 'status', params: {}, connection: replicaSetConnection(db, hosts, {readPreference: 'primaryPreferred'})})
    // reconfigure straight to a secondary: the script refuses with NotWritablePrimary.
    const connection = directConnection(hosts.find((h) => h !== status.result.primary)!)
    const failures: DatabaseOperationError[] = []
    for (let i = 0; i < 3; i++) {
      const error = await runDatabaseOperation(client, {database: db, op: 'reconfigure', params: {members: hosts.map((host) => ({host}))}, connection, keepFailed: 2}).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(DatabaseOperationError)
      failures.push(error as DatabaseOperationError)
    }
    const first = failures[0]
    expect(first.exitCode).toBe(7)
    expect(first.codeName).toBe('NotWritablePrimary')
    expect(first.message).toContain('database operation reconfigure on billing-db failed: NotWritablePrimary: ')
    expect(first.details).toMatchObject({database: db, op: 'reconfigure', exitCode: 1, codeName: 'NotWritablePrimary'})
    expect(first.result).toMatchObject({op: 'reconfigure', ok: false})
    const kept = await jobs('app.kubernetes.io/component=db-ops,mygate.dev/op=reconfigure')
    expect(kept.sort()).toEqual([failures[1].job, failures[2].job].sort())
  }, 60_000)

  test('mongosh cannot connect: no result line, the log tail says why', async () => {
    const error = await runDatabaseOperation(client, {database: db, op: 'status', params: {}, connection: directConnection('nowhere-0.nowhere.mygate-data.svc.cluster.local:27017'), keepFailed: 0}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DatabaseOperationError)
    expect((error as DatabaseOperationError).codeName).toBeUndefined()
    expect((error as Error).message).toMatch(/database operation status on billing-db failed: .*(MongoServerSelectionError|ENOTFOUND|getaddrinfo)/)
    expect(await jobs('app.kubernetes.io/component=db-ops,mygate.dev/op=status')).toEqual([])
  }, 60_000)

  test('a Job that cannot start (no credentials Secret) fails with the waiting reason, and is deleted', async () => {
    const error = await runDatabaseOperation(client, {database: 'visitors-db', op: 'status', params: {}, connection: directConnection(hosts[0]), timeoutMs: 20_000}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DatabaseOperationError)
    expect((error as DatabaseOperationError).reason).toBe('CreateContainerConfigError')
    expect((error as Error).message).toContain('database operation status on visitors-db cannot start: CreateContainerConfigError')
    expect(await jobs('mygate.dev/database=visitors-db')).toEqual([])
  }, 30_000)

  test('no outcome within the deadline: TimeoutError, Job deleted', async () => {
    const error = await runDatabaseOperation(client, {database: db, op: 'status', params: {}, connection: directConnection(hosts[0]), timeoutMs: 1}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TimeoutError)
    expect((error as Error).message).toMatch(/database operation status on billing-db did not finish within 0s \(Job dbop-billing-db-status-\w+: /)
    expect(await jobs('mygate.dev/database=billing-db,mygate.dev/op=status')).toEqual([])
  })
})
