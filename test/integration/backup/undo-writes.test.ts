import {ObjectId} from 'bson'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {replicaSetConnection} from '../../../src/db/connection.js'
import type {StatusResult} from '../../../src/db/operations.js'
import {runDatabaseOperation} from '../../../src/db/run-operation.js'
import {KubeClient} from '../../../src/kube/client.js'
import {type LocalCluster, startLocalCluster} from '../../../src/local-cluster/cluster.js'
import {DataPlane} from '../../../src/local-cluster/data-plane/data-plane.js'
import type {ReplicaSet} from '../../../src/local-cluster/data-plane/state.js'
import {storeObject} from '../../../src/local-cluster/data-plane/stored-document.js'
import {credentialsSecret, headlessService, memberHost, mongodStatefulSet, namespace, NAMESPACE, opJob, opsConfigMap} from '../../helpers/data-plane.js'
import {kubectlOps, setNamed} from '../../helpers/data-plane-ops.js'
import {writeKubeconfig} from '../../helpers/kubectl.js'

/**
 * What `backup restore --undo` counts, over real HTTP against the local control plane: the status
 * database Job (templates/mongodb/ops/status.js, run by the simulated kubelet) asked for the
 * writes after an optime counts every insert, update and delete the set's oplog recorded since,
 * so updates in place (which leave the document count as it was) and a delete that cancels an
 * insert are all counted, where a net document count says 1.
 */
describe('writes since an optime, from the oplog (status Job)', () => {
  let dir: string
  let dataPlane: DataPlane
  let cluster: LocalCluster
  let kubeconfig: string
  let client: KubeClient
  const db = 'visitors-db-rundo'
  const {kubectl, apply, until, jobOutcome} = kubectlOps(() => kubeconfig)

  const write = (set: ReplicaSet, op: 'i' | 'u' | 'd', id: ObjectId, guest: string) => {
    const doc = storeObject({_id: id, guest})
    const prev = op === 'i' ? undefined : set.data.get('visits', id.toHexString())
    expect(dataPlane.engine.clientWrite(set, {op, coll: 'visits', id: id.toHexString(), ...(op === 'd' ? {} : {doc}), ...(prev ? {prev} : {})}, Date.now())).toBe(true)
  }
  const status = async (set: ReplicaSet, writesSince?: string): Promise<StatusResult> =>
    (
      await runDatabaseOperation(client, {
        database: db,
        op: 'status',
        params: {database: set.database, ...(writesSince ? {writesSince} : {})},
        connection: replicaSetConnection(db, [memberHost(db, 0)], {readPreference: 'primaryPreferred'}),
        namespace: NAMESPACE,
        timeoutMs: 60_000,
      })
    ).result

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mygate-undo-writes-'))
    dataPlane = new DataPlane({timing: {tickMs: 50}})
    cluster = await startLocalCluster({name: 'demo-r1', region: 'r1', clusterSet: 'demo', stateDir: join(dir, 'r1'), timing: {podStartupMs: 50, readinessDelayMs: 10, jobRunMs: 100}, dataPlane})
    kubeconfig = writeKubeconfig(cluster.url, mkdtempSync(join(dir, 'kc-')))
    dataPlane.start()
    await apply([namespace(), opsConfigMap(), credentialsSecret(db), headlessService(db), mongodStatefulSet(db, {replicas: 1})])
    client = await KubeClient.connect({kubeconfigPath: kubeconfig, context: 'local'})
    await until(`${db} running`, async () => ((await kubectl('get', 'pods', '-n', NAMESPACE, '-l', `app.kubernetes.io/name=${db}`, '-o', 'jsonpath={.items[*].status.containerStatuses[0].started}')).stdout.includes('true') ? true : undefined))
    await apply([opJob(`${db}-initiate`, db, 'initiate', {uri: `mongodb://${memberHost(db, 0)}/?directConnection=true`, params: {set: db, members: [{host: memberHost(db, 0)}]}})])
    expect(await jobOutcome(`${db}-initiate`)).toBe('Complete')
    await until(`${db} primary`, () => (setNamed(dataPlane, db)?.primary ? true : undefined))
  }, 90_000)

  afterAll(async () => {
    await cluster?.stop()
    await dataPlane?.close()
    rmSync(dir, {recursive: true, force: true})
  })

  test('inserts, updates in place and deletes after the switch optime each count; before it nothing does', async () => {
    const set = setNamed(dataPlane, db) as ReplicaSet
    // What the restore wrote (before the switch): not counted.
    const ids = Array.from({length: 5}, () => new ObjectId())
    for (const id of ids) write(set, 'i', id, 'restored')
    const atSwitch = await status(set)
    const switchOptime = atSwitch.oplog?.last as string
    expect(switchOptime).toBe(`${set.lastTs.t}:${set.lastTs.i}`)
    const documentsAtSwitch = atSwitch.collections?.find((c) => c.name === 'visits')?.count

    // The service's writes after the switch: 3 updates in place (one document twice), a new
    // document, a delete of a restored one, an insert then its delete.
    write(set, 'u', ids[0], 'checked in')
    write(set, 'u', ids[0], 'checked out')
    write(set, 'u', ids[1], 'checked in')
    write(set, 'i', new ObjectId(), 'walk-in')
    write(set, 'd', ids[2], '')
    const temporary = new ObjectId()
    write(set, 'i', temporary, 'mistake')
    write(set, 'd', temporary, '')

    const after = await status(set, switchOptime)
    expect(after.writesSince).toEqual({after: switchOptime, inserts: 2, updates: 3, deletes: 2, complete: true})
    // The net document count (what --undo reported before) sees none of that but nothing.
    expect(after.collections?.find((c) => c.name === 'visits')?.count).toBe(documentsAtSwitch)
    // Counting from the oplog's own head: nothing since.
    expect((await status(set, after.oplog?.last as string)).writesSince).toMatchObject({inserts: 0, updates: 0, deletes: 0, complete: true})
  }, 120_000)
})
