import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gunzipSync, gzipSync} from 'node:zlib'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {listCatalog} from '../../../src/backup/catalog/catalog-store.js'
import {ingestScheduledRuns} from '../../../src/backup/schedule/ingest-scheduled.js'
import {reconcileBackupSchedules} from '../../../src/backup/schedule/reconcile-schedules.js'
import {MemoryObjectStore} from '../../../src/backup/storage/memory-store.js'
import {listAll, readSmallObject} from '../../../src/backup/storage/object-store.js'
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
 * The weekly verification CronJob's Job on the local control plane, through real kubectl: the
 * local kubelet runs its pod as the real one would run (catalog sync, pick in the pod, download,
 * a sidecar scratch mongod, mongorestore, hashes.js, compare.js, upload), each script checked to
 * be the shipped one. A good backup gives a passing verification record beside its entry; the
 * same backup with a flipped byte gives a failed record naming the collection and the checksums,
 * and the Job fails (so kube-state-metrics' job-failed series shows it).
 */
describe('the scheduled verification Job on the local control plane', () => {
  let dir: string
  let dataPlane: DataPlane
  let r1: LocalCluster
  let kubeconfig: string
  const clients = new Map<string, KubeClient>()
  let catalog: Catalog
  const bucket = new MemoryObjectStore('mygate-demo-r1-backups', 'r1')
  const keyOf = (url: string) => url.replace(/^local:\/\/[^/]+\//, '')
  const store: ArchiveStore = {
    put: async (url, bytes) => {
      await bucket.put(keyOf(url), bytes)
    },
    get: async (url) => ((await bucket.head(keyOf(url))) ? readSmallObject(bucket, keyOf(url)) : undefined),
    list: async (url) => {
      const keys: string[] = []
      for await (const o of listAll(bucket, keyOf(url))) keys.push(o.key)
      return keys
    },
  }
  const timing = {podStartupMs: 50, readinessDelayMs: 10, jobRunMs: 100}
  const spec = testEnvironment({name: 'demo', regions: {primary: 'r1'}, tier: 'dev'})
  const record: EnvironmentRecord = {schemaVersion: 1, name: 'demo', provider: 'local', spec, clusters: [], activeRegion: 'r1', versions: {}, phase: 'ready', createdAt: '2026-12-03T00:00:00Z', updatedAt: '2026-12-03T00:00:00Z'}

  const kubectl = (...args: string[]) => runKubectl(args, {kubeconfig})
  const apply = async (objs: KubeObject[]) => {
    const applied = await runKubectl(['apply', '-f', '-'], {kubeconfig, input: toYaml(objs)})
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
  const runJob = async (cronJob: string, job: string): Promise<{outcome: string; logs: string}> => {
    const created = await kubectl('create', 'job', job, `--from=cronjob/${cronJob}`, '-n', NAMESPACE)
    expect(created.exitCode, created.stderr).toBe(0)
    const outcome = await until(`job ${job} to finish`, async () => {
      const phase = await kubectl('get', 'job', job, '-n', NAMESPACE, '-o', 'jsonpath={.status.conditions[*].type}')
      if (/Complete/.test(phase.stdout)) return 'Complete'
      return /Failed/.test(phase.stdout) ? 'Failed' : undefined
    })
    const logs = await kubectl('logs', `job/${job}`, '-n', NAMESPACE, '--all-containers')
    return {outcome, logs: logs.stdout + logs.stderr}
  }
  const verificationRecords = async () => {
    const keys: string[] = []
    for await (const o of listAll(bucket, 'backups/visitors/')) if (o.key.includes('/verifications/')) keys.push(o.key)
    return keys.sort()
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mygate-verify-scheduled-'))
    dataPlane = new DataPlane({timing: {tickMs: 50}, archiveStore: store})
    r1 = await startLocalCluster({name: 'demo-r1', region: 'r1', clusterSet: 'demo', stateDir: join(dir, 'r1'), timing, dataPlane})
    kubeconfig = writeKubeconfig(r1.url, mkdtempSync(join(dir, 'kc-')))
    clients.set('r1', await KubeClient.connect({kubeconfigPath: kubeconfig, context: 'local'}))
    await apply([namespace(), opsConfigMap(), credentialsSecret('visitors-db')])
    dataPlane.start()
    const all = await loadCatalog()
    const services = all.services.filter((s) => s.name === 'visitors' || s.name === 'visitors-db')
    catalog = {services, byName: (name) => services.find((s) => s.name === name)}

    await apply([headlessService('visitors-db'), mongodStatefulSet('visitors-db', {replicas: 1})])
    await until('the member running', async () => {
      const started = await kubectl('get', 'pods', '-n', NAMESPACE, '-l', 'app.kubernetes.io/name=visitors-db', '-o', 'jsonpath={.items[*].status.containerStatuses[0].started}')
      return started.stdout.trim() === 'true' ? true : undefined
    })
    const members = [{host: memberHost('visitors-db', 0), priority: 1}]
    await apply([opJob('visitors-db-initiate', 'visitors-db', 'initiate', {uri: `mongodb://${members[0].host}/?directConnection=true`, params: {set: 'visitors-db', members}})])
    const source = await until('a primary', () => [...dataPlane.engine.sets.values()].find((s) => s.name === 'visitors-db' && s.primary)) as ReplicaSet
    for (let i = 0; i < 50; i++) dataPlane.engine.writeStep(source, Date.now())

    // The CronJobs as env create makes them; one scheduled base backup, catalogued.
    const reconciled = await reconcileBackupSchedules({clients}, record, {catalog, home: dir})
    expect(reconciled.applied).toContain('visitors-db-verify')
    const base = await runJob('visitors-db-backup', `visitors-db-backup-${Math.floor(Date.now() / 60_000)}`)
    expect(base.outcome, base.logs).toBe('Complete')
    expect((await ingestScheduledRuns(bucket, {service: 'visitors', database: 'visitors-db'}, 'r1')).backups).toHaveLength(1)
  }, 90_000)

  afterAll(async () => {
    await r1?.stop()
    await dataPlane?.close()
    rmSync(dir, {recursive: true, force: true})
  })

  test('a good backup: the Job completes and a passing verification record lands beside the entry', async () => {
    const [entry] = (await listCatalog(bucket, {service: 'visitors'})).backups
    const run = await runJob('visitors-db-verify', 'visitors-db-verify-good')
    expect(run.outcome, run.logs).toBe('Complete')
    expect(run.logs).toContain(`picked ${entry.id}`)
    const records = await verificationRecords()
    expect(records).toHaveLength(1)
    expect(records[0]).toMatch(new RegExp(`^backups/visitors/base/${entry.id}/verifications/\\d{8}T\\d{9}Z\\.json$`))
    // Read back the way `backup list|status` read it: merged into the entry.
    const [verified] = (await listCatalog(bucket, {service: 'visitors'})).backups
    expect(verified.verifications).toHaveLength(1)
    expect(verified.verifications[0]).toMatchObject({verdict: 'passed'})
    expect(verified.verifications[0].detail).toBeUndefined()
    expect(Date.now() - Date.parse(verified.verifications[0].at)).toBeLessThan(60_000)
  }, 60_000)

  test('a flipped byte: a failed record naming the collection and the checksums, and the Job fails', async () => {
    const [entry] = (await listCatalog(bucket, {service: 'visitors'})).backups
    const raw = gunzipSync(await readSmallObject(bucket, entry.archive.key))
    // A byte inside the first document of the first collection.
    raw[raw.indexOf(Buffer.from('_id')) + 8] ^= 0xff
    await bucket.put(entry.archive.key, gzipSync(raw))
    const run = await runJob('visitors-db-verify', 'visitors-db-verify-flipped')
    expect(run.outcome, run.logs).toBe('Failed')
    const message = await kubectl('get', 'pods', '-n', NAMESPACE, '-l', 'job-name=visitors-db-verify-flipped', '-o', 'jsonpath={.items[0].status.containerStatuses[0].state.terminated.message}')
    expect(message.stdout).toMatch(new RegExp(`^${entry.id}: failed: archive checksum [0-9a-f]{64} differs from the catalog's ${entry.archive.sha256}; the restore failed: .*checksum mismatch in visitors\\.\\w+: the archive records CRC-64 [0-9a-f]{16}, its documents give [0-9a-f]{16}`))
    const [verified] = (await listCatalog(bucket, {service: 'visitors'})).backups
    expect(verified.verifications.map((v) => v.verdict)).toEqual(['passed', 'failed'])
    expect(verified.verifications[1].detail).toMatch(/checksum mismatch in visitors\.\w+/)
  }, 60_000)
})
