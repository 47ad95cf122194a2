import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import type {BackupEntry} from '../../../src/backup/catalog/entry.js'
import {abandonRestoreRun, executeRestoreRun, type RestoreContext, undoRestoreRun} from '../../../src/backup/restore/execute-restore.js'
import {decideAbandon, decideRerun, decideUndo, nextRestoreStep, type RestoreRequest, startRestoreRun} from '../../../src/backup/restore/restore-run.js'
import {readRestoreRun} from '../../../src/backup/restore/restore-store.js'
import type {RestoredSetDriver} from '../../../src/backup/restore/set-driver.js'
import type {ContentHashes} from '../../../src/formats/content-hash/content-hash.js'
import {KubeClient} from '../../../src/kube/client.js'
import type {KubeObject} from '../../../src/kube/types.js'
import {type LocalCluster, startLocalCluster} from '../../../src/local-cluster/cluster.js'
import {writeKubeconfig} from '../../helpers/kubectl.js'
import {testBackup} from '../../unit/backup/catalog-builders.js'

/**
 * The restore's switch over real HTTP against the local control plane: a visitors Deployment
 * reading MONGODB_URI from its Secret, and a scripted restored-set driver (the set itself is
 * covered by restore-into-set.test.ts and the CLI test). Proves the order the issue asks for:
 * nothing the service reads changes before the proof; writes are stopped (replicas recorded)
 * before the Secret moves; new pods start after it; --undo moves it back; --abandon scales back.
 */
describe('restore switch, undo and abandon on the local control plane', () => {
  let dir: string
  let cluster: LocalCluster
  let client: KubeClient
  const RESTORED = 'visitors-db-rk3x9'
  const hashes: ContentHashes = {'visitors.gateEntries': {documents: 3, sha256Sum: 'a'.repeat(64)}}
  const entry: BackupEntry = {...testBackup({last: '1000:0'}), id: 'b1', database: 'visitors-db', collections: hashes}
  const request: RestoreRequest = {environment: 'demo', service: 'visitors', database: 'visitors-db', backupId: 'b1', switch: true}
  const at = () => new Date()

  const b64 = (text: string) => Buffer.from(text).toString('base64')
  const liveUri = 'mongodb://root:live-pw@visitors-db-0.visitors-db.mygate-data.svc.cluster.local:27017/visitors?replicaSet=visitors-db&authSource=admin'
  const secretUri = async () => Buffer.from(String(((await client.get('v1', 'Secret', 'visitors-db-credentials', 'mygate')) as KubeObject & {data: Record<string, string>}).data.uri), 'base64').toString('utf8')
  const deployment = async () => (await client.get('apps/v1', 'Deployment', 'visitors', 'mygate')) as KubeObject & {spec: {replicas: number}; status?: {readyReplicas?: number}}
  const podUids = async () => (await client.list('v1', 'Pod', {namespace: 'mygate', labelSelector: 'app.kubernetes.io/name=visitors'})).items.map((p) => String(p.metadata.uid)).sort()
  const ready = async (replicas: number) => {
    const deadline = Date.now() + 20_000
    while (Date.now() < deadline) {
      const d = await deployment()
      if (d.status?.readyReplicas === replicas && (await podUids()).length === replicas) return
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error(`visitors did not reach ${replicas} ready pods`)
  }

  /** A driver whose restore and counts are scripted; it records what it was asked. */
  function driver(script: {measured?: ContentHashes; fail?: string; counts?: Record<string, number>} = {}) {
    const calls: string[] = []
    const d: RestoredSetDriver = {
      async restoreInto({set}) {
        calls.push(`restoreInto ${set}`)
        if (script.fail) throw new Error(script.fail)
        return {collections: script.measured ?? hashes, restoreMs: 5, lastAppliedOp: '1000:0'}
      },
      async connection(set) {
        return {hosts: [`${set}-0.${set}.mygate-data.svc.cluster.local:27017`], port: 27017, credentialsSecret: `${set}-credentials`}
      },
      async countDocuments(set) {
        calls.push(`count ${set}`)
        return script.counts ?? {}
      },
      async remove(set) {
        calls.push(`remove ${set}`)
        return true
      },
    }
    return {driver: d, calls}
  }
  const context = (d: RestoredSetDriver): RestoreContext => ({
    active: client,
    clients: new Map([['local-1', client]]),
    driver: d,
    entry,
    expected: hashes,
    secret: {name: 'visitors-db-credentials', key: 'uri'},
    live: {hosts: ['visitors-db-0.visitors-db.mygate-data.svc.cluster.local:27017'], credentialsSecret: 'visitors-db-credentials'},
    confirm: async () => {},
    now: at,
    waitTimeoutMs: 20_000,
  })

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mygate-restore-switch-'))
    cluster = await startLocalCluster({name: 'demo-local-1', region: 'local-1', clusterSet: 'demo', stateDir: join(dir, 'state'), timing: {podStartupMs: 20, readinessDelayMs: 10}})
    client = await KubeClient.connect({kubeconfigPath: writeKubeconfig(cluster.url, mkdtempSync(join(dir, 'kc-'))), context: 'local'})
    for (const name of ['mygate', 'mygate-data', 'mygate-system']) await client.apply({apiVersion: 'v1', kind: 'Namespace', metadata: {name}})
    const secret = (name: string, namespace: string, data: Record<string, string>): KubeObject => ({apiVersion: 'v1', kind: 'Secret', metadata: {name, namespace}, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)]))})
    await client.apply(secret('visitors-db-credentials', 'mygate', {uri: liveUri}))
    await client.apply(secret('visitors-db-credentials', 'mygate-data', {'root-username': 'root', 'root-password': 'live-pw'}))
    await client.apply(secret(`${RESTORED}-credentials`, 'mygate-data', {'root-username': 'r00t', 'root-password': 'restored-pw'}))
    await client.apply({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {name: 'visitors', namespace: 'mygate'},
      spec: {
        replicas: 2,
        selector: {matchLabels: {'app.kubernetes.io/name': 'visitors', 'mygate.dev/track': 'stable'}},
        template: {
          metadata: {labels: {'app.kubernetes.io/name': 'visitors', 'mygate.dev/track': 'stable'}},
          spec: {containers: [{name: 'app', image: 'registry.mygate.dev/mygate/visitors:3.4.0', env: [{name: 'MONGODB_URI', valueFrom: {secretKeyRef: {name: 'visitors-db-credentials', key: 'uri'}}}]}]},
        },
      },
    })
    await ready(2)
  }, 60_000)

  afterAll(async () => {
    client?.close()
    await cluster?.stop()
    rmSync(dir, {recursive: true, force: true})
  })

  test('a restore that fails before the proof changes nothing the service reads; --abandon removes the set', async () => {
    const uidsBefore = await podUids()
    const failing = driver({fail: 'the restore Job failed'})
    const run = startRestoreRun({request, previousSet: 'visitors-db', who: 'test', now: at(), id: 'rs-20261203-090000-k3x9'})
    await expect(executeRestoreRun(run, context(failing.driver))).rejects.toThrow('the restore Job failed')
    const stored = await readRestoreRun(client, 'visitors')
    expect(stored?.steps.map((s) => s.status).slice(0, 2)).toEqual(['failed', 'pending'])
    expect(await secretUri()).toBe(liveUri)
    expect(await podUids()).toEqual(uidsBefore)

    const decision = decideAbandon(stored, 'visitors')
    expect(decision).toMatchObject({kind: 'abandon', scaleBack: false})
    if (decision.kind !== 'abandon') return
    await abandonRestoreRun(decision.run, context(failing.driver), decision.scaleBack)
    expect(failing.calls).toEqual([`restoreInto ${RESTORED}`, `remove ${RESTORED}`])
    expect(await readRestoreRun(client, 'visitors')).toBeUndefined()
  }, 60_000)

  test('a restore whose data differs from the backup stops at the proof: the service keeps its set and pods', async () => {
    const uidsBefore = await podUids()
    const wrong = driver({measured: {'visitors.gateEntries': {documents: 2, sha256Sum: 'b'.repeat(64)}}})
    const run = startRestoreRun({request, previousSet: 'visitors-db', who: 'test', now: at(), id: 'rs-20261203-090000-k3x9'})
    await expect(executeRestoreRun(run, context(wrong.driver))).rejects.toThrow(`the restore of backup b1 into ${RESTORED} does not match the backup: visitors.gateEntries: expected 3 documents, sha256 aaaaaaaaaaaa, found 2 documents, sha256 bbbbbbbbbbbb; visitors-db was not touched`)
    expect(nextRestoreStep((await readRestoreRun(client, 'visitors'))!)?.kind).toBe('prove')
    expect(await secretUri()).toBe(liveUri)
    expect(await podUids()).toEqual(uidsBefore)
    const decision = decideAbandon(await readRestoreRun(client, 'visitors'), 'visitors')
    if (decision.kind === 'abandon') await abandonRestoreRun(decision.run, context(wrong.driver), decision.scaleBack)
  }, 60_000)

  test('resumed after a failure, the restore stops writes, switches the Secret, restarts new pods; --undo switches back and counts the writes', async () => {
    const uidsBefore = await podUids()
    // A first attempt dies at the restore; the re-run of the same request resumes it.
    const run = startRestoreRun({request, previousSet: 'visitors-db', who: 'test', now: at(), id: 'rs-20261203-090000-k3x9'})
    await expect(executeRestoreRun(run, context(driver({fail: 'killed'}).driver))).rejects.toThrow('killed')
    const rerun = decideRerun(await readRestoreRun(client, 'visitors'), request)
    expect(rerun.kind).toBe('resume')
    if (rerun.kind !== 'resume') return
    const good = driver({counts: {'visitors.gateEntries': 7}})
    const finished = await executeRestoreRun(rerun.run, context(good.driver))
    expect(finished.outcome).toBe('succeeded')
    expect(finished.stopped).toEqual([{region: 'local-1', name: 'visitors', replicas: 2}])
    expect(await secretUri()).toBe(`mongodb://r00t:restored-pw@${RESTORED}-0.${RESTORED}.mygate-data.svc.cluster.local:27017/visitors?replicaSet=${RESTORED}&authSource=admin`)
    await ready(2)
    const uidsAfter = await podUids()
    expect(uidsAfter.some((uid) => uidsBefore.includes(uid))).toBe(false)
    // The service may reach the restored set: both sides of the connection are allowed.
    expect((await client.get('networking.k8s.io/v1', 'NetworkPolicy', `${RESTORED}-from-visitors`, 'mygate-data'))?.spec).toMatchObject({podSelector: {matchLabels: {'app.kubernetes.io/name': RESTORED}}})
    expect((await client.get('networking.k8s.io/v1', 'NetworkPolicy', `visitors-to-${RESTORED}`, 'mygate'))?.spec).toMatchObject({podSelector: {matchLabels: {'app.kubernetes.io/name': 'visitors'}}})
    expect(Date.parse(finished.keepPreviousUntil as string)).toBeGreaterThan(Date.now() + 6 * 24 * 3600_000)

    const undo = decideUndo(await readRestoreRun(client, 'visitors'), 'visitors')
    expect(undo.kind).toBe('undo')
    if (undo.kind !== 'undo') return
    const undone = await undoRestoreRun(undo.run, context(good.driver))
    expect(undone).toMatchObject({outcome: 'undone', undo: {writesSinceSwitch: 4}})
    expect(good.calls).toEqual([`restoreInto ${RESTORED}`, `count ${RESTORED}`])
    expect(await secretUri()).toBe('mongodb://root:live-pw@visitors-db-0.visitors-db.mygate-data.svc.cluster.local:27017/visitors?replicaSet=visitors-db&authSource=admin')
    await ready(2)
    expect((await podUids()).some((uid) => uidsAfter.includes(uid))).toBe(false)
    expect((await deployment()).spec.replicas).toBe(2)
  }, 120_000)
})
