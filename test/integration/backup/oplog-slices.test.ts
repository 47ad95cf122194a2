import {ObjectId} from 'bson'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {listCatalog} from '../../../src/backup/catalog/catalog-store.js'
import {compareOplogTimestamps, parseOplogTimestamp} from '../../../src/backup/catalog/oplog-timestamp.js'
import {parseRestoreTarget, planPointInTimeRestore, restorableWindow} from '../../../src/backup/catalog/restore-window.js'
import {renderRestoreJob} from '../../../src/backup/jobs/job-values.js'
import type {BackupSite} from '../../../src/backup/operations/create-backup.js'
import {createBackups} from '../../../src/backup/operations/create-backup.js'
import {expectedStateAtPointInTime} from '../../../src/backup/pitr/point-in-time-expectation.js'
import {readSliceEntries, takeOplogSlice} from '../../../src/backup/pitr/take-oplog-slice.js'
import {MemoryObjectStore} from '../../../src/backup/storage/memory-store.js'
import {readSmallObject} from '../../../src/backup/storage/object-store.js'
import {KubeClient} from '../../../src/kube/client.js'
import type {KubeObject} from '../../../src/kube/types.js'
import {type LocalCluster, startLocalCluster} from '../../../src/local-cluster/cluster.js'
import {DataPlane} from '../../../src/local-cluster/data-plane/data-plane.js'
import {extendedJsonOf, storeObject} from '../../../src/local-cluster/data-plane/stored-document.js'
import type {ArchiveStore} from '../../../src/local-cluster/data-plane/jobs/archive-pipeline.js'
import type {ReplicaSet} from '../../../src/local-cluster/data-plane/state.js'
import {credentialsSecret, headlessService, memberHost, mongodStatefulSet, namespace, NAMESPACE, opJob, opsConfigMap} from '../../helpers/data-plane.js'
import {hashesOf, kubectlOps, setNamed as setNamedIn} from '../../helpers/data-plane-ops.js'
import {writeKubeconfig} from '../../helpers/kubectl.js'

/**
 * Point-in-time restore through oplog slices, with the Jobs rendered from templates/backup/ and
 * run by the local control plane through real kubectl: a base backup, two writes in the same
 * second (different ordinals), an oplog slice Job (mongodump of local.oplog.rs for a ts range,
 * uploaded beside the backups, its exact range in the catalog), then a restore Job that replays
 * the base archive's oplog and the slice (one mongorestore run each, as the real tools do) up to
 * --oplogLimit = the second write's timestamp: the first write is there, the second is not, and
 * the restored set's hashes equal what the stored objects say.
 */
describe('oplog slices and point-in-time restore on the local data plane', () => {
  let dir: string
  let dataPlane: DataPlane
  let cluster: LocalCluster
  let kubeconfig: string
  let client: KubeClient
  const bucket = new MemoryObjectStore('demo-local', 'r1')
  const objects = new Map<string, Buffer>()
  const store: ArchiveStore = {
    put: async (url, bytes) => {
      objects.set(url, Buffer.from(bytes))
      await bucket.put(url.replace('local://demo-local/', ''), bytes)
    },
    get: async (url) => objects.get(url),
  }
  const timing = {podStartupMs: 50, readinessDelayMs: 10, jobRunMs: 100}
  const target = {service: 'visitors', database: 'visitors-db', dbName: 'visitors', rpo: '5m'}
  const site = (): BackupSite => ({client, region: 'r1', store: bucket, locate: (key) => ({provider: 'local', bucket: 'demo-local', key})})
  const hostsOf = (db: string) => [memberHost(db, 0), memberHost(db, 1)]

  const {kubectl, apply, until, jobOutcome} = kubectlOps(() => kubeconfig)
  const setNamed = (name: string): ReplicaSet | undefined => setNamedIn(dataPlane, name)
  const toolsSecret = (db: string, members: number): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {name: `${db}-backup-tools`, namespace: NAMESPACE},
    stringData: {'config.yaml': `uri: mongodb://root:s3cret-pw@${Array.from({length: members}, (_, i) => memberHost(db, i)).join(',')}/?replicaSet=${db}&authSource=admin\n`},
  })
  const formSet = async (db: string, replicas: number) => {
    await apply([credentialsSecret(db), headlessService(db), mongodStatefulSet(db, {replicas}), toolsSecret(db, replicas)])
    const members = Array.from({length: replicas}, (_, i) => ({host: memberHost(db, i), priority: i === 0 ? 2 : 1}))
    await until(`${db} members running`, async () => {
      const started = await kubectl('get', 'pods', '-n', NAMESPACE, '-l', `app.kubernetes.io/name=${db}`, '-o', 'jsonpath={.items[*].status.containerStatuses[0].started}')
      return started.stdout.split(' ').filter((s) => s === 'true').length === replicas ? true : undefined
    })
    await apply([opJob(`${db}-initiate`, db, 'initiate', {uri: `mongodb://${members[0].host}/?directConnection=true`, params: {set: db, members, settings: {electionTimeoutMillis: 500, heartbeatIntervalMillis: 100}}})])
    expect(await jobOutcome(`${db}-initiate`)).toBe('Complete')
    return until(`${db} primary`, () => {
      const set = setNamed(db)
      return set?.primary ? set : undefined
    })
  }
  const caughtUp = (set: ReplicaSet) =>
    until('the secondaries caught up', () => ([...dataPlane.engine.members.values()].filter((m) => m.setId === set.id).every((m) => m.applied === set.oplog.end) ? true : undefined))
  const insert = (set: ReplicaSet, guest: string, wallMs: number) => {
    const id = new ObjectId()
    expect(dataPlane.engine.clientWrite(set, {op: 'i', coll: 'visits', id: id.toHexString(), doc: storeObject({_id: id, guest})}, wallMs)).toBe(true)
    const last = set.oplog.get(set.oplog.end - 1)
    return {id: id.toHexString(), ts: `${last.secs}:${last.ord}`}
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mygate-oplog-slices-'))
    dataPlane = new DataPlane({timing: {tickMs: 50}, archiveStore: store})
    cluster = await startLocalCluster({name: 'demo-r1', region: 'r1', clusterSet: 'demo', stateDir: join(dir, 'r1'), timing, dataPlane})
    kubeconfig = writeKubeconfig(cluster.url, mkdtempSync(join(dir, 'kc-')))
    dataPlane.start()
    await apply([namespace(), opsConfigMap()])
    client = await KubeClient.connect({kubeconfigPath: kubeconfig, context: 'local'})
  }, 60_000)

  afterAll(async () => {
    await cluster?.stop()
    await dataPlane?.close()
    rmSync(dir, {recursive: true, force: true})
  })

  test('a slice continues the base backup; restoring to --oplogLimit = w2 keeps w1 and leaves w2 out, with the hashes the objects predict', async () => {
    const source = await formSet('visitors-db', 2)
    for (let i = 0; i < 200; i++) dataPlane.engine.writeStep(source, Date.now())
    await caughtUp(source)
    const [base] = await createBackups({environment: 'demo', site: site(), targets: [target], hostsOf, sizeLimit: '1Gi'})

    // Two writes in the same second: only their ordinals tell them apart. Then more writes after.
    const second = Math.ceil(Date.now() / 1000) * 1000 + 1000
    const w1 = insert(source, 'w1', second)
    const w2 = insert(source, 'w2', second + 10)
    expect(w1.ts.split(':')[0]).toBe(w2.ts.split(':')[0])
    expect(Number(w2.ts.split(':')[1])).toBe(Number(w1.ts.split(':')[1]) + 1)
    for (let i = 0; i < 50; i++) dataPlane.engine.writeStep(source, second + 2000 + i)
    await caughtUp(source)

    const phases: string[] = []
    const taken = await takeOplogSlice({environment: 'demo', site: site(), target, hostsOf, sizeLimit: '1Gi', onPhase: (p) => phases.push(p)})
    expect(phases).toEqual(['slice', 'range', 'record'])
    if (taken.kind !== 'slice') throw new Error(`no slice: ${taken.reason}`)
    const slice = taken.entry
    // The slice starts exactly where the base backup is consistent and ends at the head.
    const head = source.oplog.get(source.oplog.end - 1)
    expect(slice.range).toEqual({after: base.entry.oplog.last, last: `${head.secs}:${head.ord}`})
    expect(slice.gap).toBeUndefined()
    const stored = readSliceEntries(await readSmallObject(bucket, slice.object.key), slice.object.key)
    expect(`${stored[0].ts.seconds}:${stored[0].ts.ordinal}`).toBe(base.entry.oplog.last)
    expect(slice.entries).toBe(stored.length - 1)
    expect(slice.object.key).toMatch(/^backups\/visitors\/oplog\/\d{10}-\d{8}T\d{6}Z-visitors-[0-9a-f]{6}\/slice\.bson\.gz$/)
    const catalog = await listCatalog(bucket, {service: 'visitors'})
    expect(catalog.slices).toEqual([slice])
    expect(restorableWindow(catalog.backups, catalog.slices).map((s) => [`${s.from.seconds}:${s.from.ordinal}`, `${s.to.seconds}:${s.to.ordinal}`])).toEqual([[base.entry.oplog.last, slice.range.last]])

    const plan = planPointInTimeRestore(catalog.backups, catalog.slices, parseRestoreTarget({oplogLimit: w2.ts}))
    expect(plan.slices.map((s) => s.id)).toEqual([slice.id])
    const expected = await expectedStateAtPointInTime(bucket, plan)
    expect(expected.lastApplied).toBe(w1.ts)

    const restored = await formSet('visitors-db-r1', 1)
    const job = renderRestoreJob({
      backupId: 'visitors-pitr',
      database: 'visitors-db',
      image: 'mongo:7.0',
      location: site().locate(plan.base.archive.key),
      sizeLimit: '1Gi',
      targetSet: 'visitors-db-r1',
      targetToolsSecret: 'visitors-db-r1-backup-tools',
      purpose: 'restore',
      oplogLimit: plan.oplogLimit,
      slices: plan.slices.map((s) => ({location: site().locate(s.object.key)})),
    })
    await apply([job])
    const name = String(job.metadata.name)
    const outcome = await jobOutcome(name)
    const logs = await kubectl('logs', `job/${name}`, '-n', NAMESPACE, '--all-containers')
    expect(outcome, logs.stdout + logs.stderr).toBe('Complete')
    const replayLog = await kubectl('logs', `job/${name}`, '-n', NAMESPACE, '-c', 'replay-1')
    // The slice's run applies its entries strictly before w2 (the first one is the base's last, again).
    const [w2s, w2o] = w2.ts.split(':').map(Number)
    expect(replayLog.stderr + replayLog.stdout).toContain(`applied ${stored.filter((e) => e.ts.seconds < w2s || (e.ts.seconds === w2s && e.ts.ordinal < w2o)).length} oplog entries`)

    const visits = new Map(restored.data.entries('visits'))
    expect(visits.has(w1.id)).toBe(true)
    expect(visits.has(w2.id)).toBe(false)
    expect(extendedJsonOf(source.data.get('visits', w2.id)!)).toContain('"w2"')
    expect(hashesOf(restored)).toEqual(expected.collections)
    // And the restored set differs from the source exactly by what came at and after w2.
    expect(hashesOf(restored)).not.toEqual(hashesOf(source))
  }, 120_000)

  test('a second slice chains on the first; with no new writes none is recorded', async () => {
    const source = setNamed('visitors-db') as ReplicaSet
    const before = await listCatalog(bucket, {service: 'visitors'})
    const idle = await takeOplogSlice({environment: 'demo', site: site(), target, hostsOf, sizeLimit: '1Gi'})
    expect(idle.kind).toBe('nothing-new')
    expect((await listCatalog(bucket, {service: 'visitors'})).slices).toEqual(before.slices)

    for (let i = 0; i < 20; i++) dataPlane.engine.writeStep(source, Date.now() + 5000 + i)
    await caughtUp(source)
    const next = await takeOplogSlice({environment: 'demo', site: site(), target, hostsOf, sizeLimit: '1Gi'})
    if (next.kind !== 'slice') throw new Error(`no slice: ${next.reason}`)
    expect(next.entry.range.after).toBe(before.slices[0].range.last)
    const after = await listCatalog(bucket, {service: 'visitors'})
    expect(restorableWindow(after.backups, after.slices)).toHaveLength(1)
    expect(restorableWindow(after.backups, after.slices)[0].to).toEqual({seconds: Number(next.entry.range.last.split(':')[0]), ordinal: Number(next.entry.range.last.split(':')[1])})
  }, 60_000)

  test('when the capped oplog no longer reaches back to the previous slice, the new slice records the gap and no restore crosses it', async () => {
    const source = setNamed('visitors-db') as ReplicaSet
    const before = await listCatalog(bucket, {service: 'visitors'})
    const previousLast = before.slices.map((s) => s.range.last).sort((a, b) => compareOplogTimestamps(parseOplogTimestamp(a), parseOplogTimestamp(b))).at(-1) as string
    // A small capped oplog (the simulation's knob for local.oplog.rs's size): 300 writes push the previous slice's end out.
    dataPlane.engine.timing.oplogMaxEntries = 100
    try {
      // In rounds the secondary keeps up with (a member that falls off the oplog goes stale).
      for (let round = 0; round < 6; round++) {
        for (let i = 0; i < 40; i++) dataPlane.engine.writeStep(source, Date.now())
        await caughtUp(source)
      }
      const taken = await takeOplogSlice({environment: 'demo', site: site(), target, hostsOf, sizeLimit: '1Gi'})
      if (taken.kind !== 'slice') throw new Error(`no slice: ${taken.reason}`)
      const first = source.oplog.get(source.oplog.start)
      expect(taken.entry.gap).toEqual({requestedAfter: previousLast, firstAvailable: `${first.secs}:${first.ord}`})
      expect(taken.entry.range.after).toBe(`${first.secs}:${first.ord}`)
      const after = await listCatalog(bucket, {service: 'visitors'})
      // The window still ends where the captured history ends: the gapped slice extends nothing.
      const window = restorableWindow(after.backups, after.slices)
      expect(window.map((w) => `${w.to.seconds}:${w.to.ordinal}`)).toEqual([previousLast])
      const head = source.oplog.get(source.oplog.end - 1)
      expect(() => planPointInTimeRestore(after.backups, after.slices, parseRestoreTarget({toTime: `${head.secs}:${head.ord}`}))).toThrow(/is outside the restorable window: .*\(\d+:\d+\) to .*\(\d+:\d+\)/)
    } finally {
      dataPlane.engine.timing.oplogMaxEntries = undefined
    }
  }, 60_000)
})
