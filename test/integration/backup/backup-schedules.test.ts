import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {listCatalog} from '../../../src/backup/catalog/catalog-store.js'
import {restorableWindow} from '../../../src/backup/catalog/restore-window.js'
import {ingestScheduledRuns} from '../../../src/backup/schedule/ingest-scheduled.js'
import {reconcileBackupSchedules} from '../../../src/backup/schedule/reconcile-schedules.js'
import {MemoryObjectStore} from '../../../src/backup/storage/memory-store.js'
import {listAll} from '../../../src/backup/storage/object-store.js'
import {loadCatalog} from '../../../src/catalog/load-catalog.js'
import type {Catalog} from '../../../src/catalog/types.js'
import type {EnvironmentRecord} from '../../../src/env/record.js'
import {KubeClient} from '../../../src/kube/client.js'
import type {KubeObject} from '../../../src/kube/types.js'
import {type LocalCluster, startLocalCluster} from '../../../src/local-cluster/cluster.js'
import {DataPlane} from '../../../src/local-cluster/data-plane/data-plane.js'
import type {ArchiveStore} from '../../../src/local-cluster/data-plane/jobs/archive-pipeline.js'
import type {ReplicaSet} from '../../../src/local-cluster/data-plane/state.js'
import {testEnvironment} from '../../helpers/builders.js'
import {credentialsSecret, headlessService, memberHost, mongodStatefulSet, namespace, NAMESPACE, opJob, opsConfigMap, toYaml} from '../../helpers/data-plane.js'
import {runKubectl, writeKubeconfig} from '../../helpers/kubectl.js'

/**
 * Backup schedules as CronJobs on the local control plane, through real kubectl: reconcile puts
 * a base-backup CronJob (descriptor schedule, spec.timeZone) and an oplog slice CronJob (every
 * half RPO) in the active region; their runs (started with `kubectl create job --from=cronjob/`,
 * the same Job the controller creates on schedule) upload under their Job's name, and mygate
 * catalogs them: a base backup and a slice that continues it. After a failover (the record's
 * active region changed) reconcile moves the CronJobs, and a --set override moves with them.
 */
describe('backup schedules on the local control plane', () => {
  let dir: string
  let dataPlane: DataPlane
  let r1: LocalCluster
  let r2: LocalCluster
  const kubeconfigs: Record<string, string> = {}
  const clients = new Map<string, KubeClient>()
  let catalog: Catalog
  const bucket = new MemoryObjectStore('mygate-demo-r1-backups', 'r1')
  const store: ArchiveStore = {
    put: async (url, bytes) => {
      await bucket.put(url.replace(/^local:\/\/[^/]+\//, ''), bytes)
    },
    get: async () => undefined,
  }
  const timing = {podStartupMs: 50, readinessDelayMs: 10, jobRunMs: 100}
  // One region in the spec: the members' hosts are then the StatefulSet's own names (a two-region
  // set names per-member clusterset Services, which this test does not create); the clients of
  // both clusters are what reconcile moves the CronJobs between.
  const spec = testEnvironment({name: 'demo', regions: {primary: 'r1'}, tier: 'dev'})
  const record = (activeRegion: string): EnvironmentRecord => ({schemaVersion: 1, name: 'demo', provider: 'local', spec, clusters: [], activeRegion, versions: {}, phase: 'ready', createdAt: '2026-12-03T00:00:00Z', updatedAt: '2026-12-03T00:00:00Z'})

  const kubectl = (region: string, ...args: string[]) => runKubectl(args, {kubeconfig: kubeconfigs[region]})
  const apply = async (region: string, objs: KubeObject[]) => {
    const applied = await runKubectl(['apply', '-f', '-'], {kubeconfig: kubeconfigs[region], input: toYaml(objs)})
    if (applied.exitCode !== 0) throw new Error(applied.stderr)
  }
  const until = async <T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const value = await check()
      if (value !== undefined) return value
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  const jobOutcome = async (region: string, job: string) =>
    until(`job ${job} to finish`, async () => {
      const phase = await kubectl(region, 'get', 'job', job, '-n', NAMESPACE, '-o', 'jsonpath={.status.conditions[*].type}')
      if (/Complete/.test(phase.stdout)) return 'Complete'
      return /Failed/.test(phase.stdout) ? 'Failed' : undefined
    })
  const cronJobs = async (region: string) => {
    const listed = await kubectl(region, 'get', 'cronjobs', '-n', NAMESPACE, '-o', 'json')
    expect(listed.exitCode, listed.stderr).toBe(0)
    return (JSON.parse(listed.stdout) as {items: KubeObject[]}).items
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mygate-backup-schedules-'))
    dataPlane = new DataPlane({timing: {tickMs: 50}, archiveStore: store})
    r1 = await startLocalCluster({name: 'demo-r1', region: 'r1', clusterSet: 'demo', stateDir: join(dir, 'r1'), timing, dataPlane})
    r2 = await startLocalCluster({name: 'demo-r2', region: 'r2', clusterSet: 'demo', stateDir: join(dir, 'r2'), timing, dataPlane})
    for (const [region, cluster] of [['r1', r1], ['r2', r2]] as const) {
      kubeconfigs[region] = writeKubeconfig(cluster.url, mkdtempSync(join(dir, `kc-${region}-`)))
      clients.set(region, await KubeClient.connect({kubeconfigPath: kubeconfigs[region], context: 'local'}))
      await apply(region, [namespace(), opsConfigMap(), credentialsSecret('visitors-db')])
    }
    dataPlane.start()
    const all = await loadCatalog()
    const services = all.services.filter((s) => s.name === 'visitors' || s.name === 'visitors-db')
    catalog = {services, byName: (name) => services.find((s) => s.name === name)}
  }, 60_000)

  afterAll(async () => {
    await r1?.stop()
    await r2?.stop()
    await dataPlane?.close()
    rmSync(dir, {recursive: true, force: true})
  })

  test('CronJobs in the active region; their runs are catalogued as a base backup and a slice that continues it', async () => {
    // The visitors database (its members in r1, the set named after the descriptor).
    await apply('r1', [headlessService('visitors-db'), mongodStatefulSet('visitors-db', {replicas: 2})])
    await until('members running', async () => {
      const started = await kubectl('r1', 'get', 'pods', '-n', NAMESPACE, '-l', 'app.kubernetes.io/name=visitors-db', '-o', 'jsonpath={.items[*].status.containerStatuses[0].started}')
      return started.stdout.split(' ').filter((s) => s === 'true').length === 2 ? true : undefined
    })
    const members = [0, 1].map((i) => ({host: memberHost('visitors-db', i), priority: i === 0 ? 2 : 1}))
    await apply('r1', [opJob('visitors-db-initiate', 'visitors-db', 'initiate', {uri: `mongodb://${members[0].host}/?directConnection=true`, params: {set: 'visitors-db', members, settings: {electionTimeoutMillis: 500, heartbeatIntervalMillis: 100}}})])
    expect(await jobOutcome('r1', 'visitors-db-initiate')).toBe('Complete')
    const source = await until('a primary', () => [...dataPlane.engine.sets.values()].find((s) => s.name === 'visitors-db' && s.primary)) as ReplicaSet
    for (let i = 0; i < 100; i++) dataPlane.engine.writeStep(source, Date.now())

    const reconciled = await reconcileBackupSchedules({clients}, record('r1'), {catalog, home: dir})
    expect(reconciled.applied).toEqual(['visitors-db-backup', 'visitors-db-oplog-slice', 'visitors-db-verify'])
    const listed = await cronJobs('r1')
    const byName = Object.fromEntries(listed.map((c) => [String(c.metadata.name), c.spec as {schedule: string; timeZone?: string}]))
    // The descriptor: "30 */6 * * *" in Asia/Kolkata; RPO 5m -> a slice every 2 minutes.
    expect(byName['visitors-db-backup']).toMatchObject({schedule: '30 */6 * * *', timeZone: 'Asia/Kolkata'})
    expect(byName['visitors-db-oplog-slice']).toMatchObject({schedule: '*/2 * * * *'})
    expect(await cronJobs('r2')).toEqual([])

    // A run of each, as the controller would start it on schedule.
    const baseJob = `visitors-db-backup-${Math.floor(Date.now() / 60_000)}`
    const created = await kubectl('r1', 'create', 'job', baseJob, '--from=cronjob/visitors-db-backup', '-n', NAMESPACE)
    expect(created.exitCode, created.stderr).toBe(0)
    const baseOutcome = await jobOutcome('r1', baseJob)
    const baseLogs = await kubectl('r1', 'logs', `job/${baseJob}`, '-n', NAMESPACE, '--all-containers')
    expect(baseOutcome, baseLogs.stdout + baseLogs.stderr).toBe('Complete')
    for (let i = 0; i < 30; i++) dataPlane.engine.writeStep(source, Date.now() + 2000 + i)
    await until('caught up', () => ([...dataPlane.engine.members.values()].filter((m) => m.setId === source.id).every((m) => m.applied === source.oplog.end) ? true : undefined))
    const sliceJob = `visitors-db-oplog-slice-${Math.floor(Date.now() / 60_000) + 1}`
    expect((await kubectl('r1', 'create', 'job', sliceJob, '--from=cronjob/visitors-db-oplog-slice', '-n', NAMESPACE)).exitCode).toBe(0)
    const sliceOutcome = await jobOutcome('r1', sliceJob)
    const sliceLogs = await kubectl('r1', 'logs', `job/${sliceJob}`, '-n', NAMESPACE, '--all-containers')
    expect(sliceOutcome, sliceLogs.stdout + sliceLogs.stderr).toBe('Complete')
    const uploaded = []
    for await (const o of listAll(bucket, 'backups/visitors/')) uploaded.push(o.key)
    expect(uploaded.sort()).toEqual([`backups/visitors/scheduled-oplog/${sliceJob}/slice.bson.gz`, `backups/visitors/scheduled/${baseJob}/archive.gz`])

    const ingested = await ingestScheduledRuns(bucket, {service: 'visitors', database: 'visitors-db'}, 'r1')
    expect(ingested.backups).toHaveLength(1)
    expect(ingested.slices).toHaveLength(1)
    const [backup] = ingested.backups
    const [slice] = ingested.slices
    expect(slice.range.after).toBe(backup.oplog.last)
    const head = source.oplog.get(source.oplog.end - 1)
    expect(slice.range.last).toBe(`${head.secs}:${head.ord}`)
    const catalogued = await listCatalog(bucket, {service: 'visitors'})
    expect(catalogued.backups.map((b) => b.id)).toEqual([backup.id])
    expect(restorableWindow(catalogued.backups, catalogued.slices)).toHaveLength(1)
    // The runs' own keys are gone (moved into the catalog layout); a second ingest finds nothing.
    const after = []
    for await (const o of listAll(bucket, 'backups/visitors/scheduled')) after.push(o.key)
    expect(after).toEqual([])
    expect(await ingestScheduledRuns(bucket, {service: 'visitors', database: 'visitors-db'}, 'r1')).toEqual({backups: [], slices: [], dropped: []})
  }, 120_000)

  test('after a failover the CronJobs follow the active region, keeping a --set override', async () => {
    await reconcileBackupSchedules({clients}, record('r1'), {catalog, home: dir, overrides: new Map([['visitors-db', {schedule: '0 */4 * * *', timeZone: 'Europe/Paris'}]])})
    const moved = await reconcileBackupSchedules({clients}, record('r2'), {catalog, home: dir})
    expect(moved.removed).toEqual([{region: 'r1', name: 'visitors-db-backup'}, {region: 'r1', name: 'visitors-db-oplog-slice'}, {region: 'r1', name: 'visitors-db-verify'}])
    expect(await cronJobs('r1')).toEqual([])
    const inR2 = Object.fromEntries((await cronJobs('r2')).map((c) => [String(c.metadata.name), c.spec as {schedule: string; timeZone?: string}]))
    expect(inR2['visitors-db-backup']).toMatchObject({schedule: '0 */4 * * *', timeZone: 'Europe/Paris'})
    expect(inR2['visitors-db-oplog-slice']).toMatchObject({schedule: '*/2 * * * *'})
  }, 60_000)
})
