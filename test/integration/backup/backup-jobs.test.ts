import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {renderDumpJob, renderRestoreJob} from '../../../src/backup/jobs/job-values.js'
import {listCatalog, readBackupEntry} from '../../../src/backup/catalog/catalog-store.js'
import {createBackups} from '../../../src/backup/operations/create-backup.js'
import {MemoryObjectStore} from '../../../src/backup/storage/memory-store.js'
import {readSmallObject} from '../../../src/backup/storage/object-store.js'
import {KubeClient} from '../../../src/kube/client.js'
import type {ArchiveLocation} from '../../../src/backup/jobs/transfer.js'
import {hashArchiveAtConsistentPoint} from '../../../src/formats/content-hash/archive-hashes.js'
import {readArchiveIntoMemory} from '../../../src/formats/mongo-archive/decode.js'
import type {KubeObject} from '../../../src/kube/types.js'
import {type LocalCluster, startLocalCluster} from '../../../src/local-cluster/cluster.js'
import {DataPlane} from '../../../src/local-cluster/data-plane/data-plane.js'
import type {ArchiveStore} from '../../../src/local-cluster/data-plane/jobs/archive-pipeline.js'
import type {ReplicaSet} from '../../../src/local-cluster/data-plane/state.js'
import {credentialsSecret, headlessService, memberHost, mongodStatefulSet, namespace, NAMESPACE, opJob, opsConfigMap} from '../../helpers/data-plane.js'
import {documentsOf, hashesOf, kubectlOps, setNamed as setNamedIn} from '../../helpers/data-plane-ops.js'
import {writeKubeconfig} from '../../helpers/kubectl.js'

/**
 * Backup Jobs rendered from templates/backup/ run by the local control plane through real kubectl:
 * mongodump (init container) writes mongodump's archive format, the transfer container puts it in
 * the object store, a restore Job downloads it and mongorestore loads it into a new replica set.
 * The archive is read back with the codec and hashed: the restored set holds exactly what the
 * archive says, as of its consistent point. A corrupted archive and a restore over a set that
 * holds data are refused.
 */
describe('backup and restore Jobs on the local data plane', () => {
  let dir: string
  let dataPlane: DataPlane
  let cluster: LocalCluster
  let kubeconfig: string
  /** The CLI's side of the bucket (backup-store's in-memory ObjectStore). */
  const bucket = new MemoryObjectStore('demo-local', 'r1')
  const objects = new Map<string, Buffer>()
  /** The data plane's side: local://BUCKET/KEY, into the same bucket the CLI reads. */
  const store: ArchiveStore = {
    put: async (url, bytes) => {
      objects.set(url, Buffer.from(bytes))
      await bucket.put(url.replace('local://demo-local/', ''), bytes)
    },
    get: async (url) => objects.get(url),
  }
  const location: ArchiveLocation = {provider: 'local', bucket: 'demo-local', key: 'backups/billing-db/b1/archive.gz'}
  const timing = {podStartupMs: 50, readinessDelayMs: 10, jobRunMs: 100}

  const {kubectl, apply, until, jobOutcome} = kubectlOps(() => kubeconfig)
  const setNamed = (name: string): ReplicaSet | undefined => setNamedIn(dataPlane, name)
  const finished = (job: string) => jobOutcome(job, (log) => failures.set(job, log))
  const failures = new Map<string, string>()
  const toolsSecret = (db: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {name: `${db}-backup-tools`, namespace: NAMESPACE},
    stringData: {'config.yaml': `uri: mongodb://root:s3cret-pw@${memberHost(db, 0)},${memberHost(db, 1)}/?replicaSet=${db}&authSource=admin\n`},
  })
  const formSet = async (db: string, replicas: number) => {
    await apply([credentialsSecret(db), headlessService(db), mongodStatefulSet(db, {replicas}), toolsSecret(db)])
    const members = Array.from({length: replicas}, (_, i) => ({host: memberHost(db, i), priority: i === 0 ? 2 : 1}))
    await until(`${db} members running`, async () => {
      const started = await kubectl('get', 'pods', '-n', NAMESPACE, '-l', `app.kubernetes.io/name=${db}`, '-o', 'jsonpath={.items[*].status.containerStatuses[0].started}')
      return started.stdout.split(' ').filter((s) => s === 'true').length === replicas ? true : undefined
    })
    await apply([opJob(`${db}-initiate`, db, 'initiate', {uri: `mongodb://${members[0].host}/?directConnection=true`, params: {set: db, members, settings: {electionTimeoutMillis: 500, heartbeatIntervalMillis: 100}}})])
    expect(await finished(`${db}-initiate`)).toBe('Complete')
    return until(`${db} primary`, () => {
      const set = setNamed(db)
      return set?.primary ? set : undefined
    })
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mygate-backup-jobs-'))
    dataPlane = new DataPlane({timing: {tickMs: 50}, archiveStore: store})
    cluster = await startLocalCluster({name: 'demo-r1', region: 'r1', clusterSet: 'demo', stateDir: join(dir, 'r1'), timing, dataPlane})
    kubeconfig = writeKubeconfig(cluster.url, mkdtempSync(join(dir, 'kc-')))
    dataPlane.start()
    // The Jobs run as this account: on clouds it carries the workload identity that may use the bucket.
    await apply([namespace(), opsConfigMap(), {apiVersion: 'v1', kind: 'ServiceAccount', metadata: {name: 'mygate-backup', namespace: NAMESPACE}}])
  }, 60_000)

  afterAll(async () => {
    await cluster?.stop()
    await dataPlane?.close()
    rmSync(dir, {recursive: true, force: true})
  })

  test('a dump Job writes a gzip mongodump archive of a secondary into the store; a restore Job loads it into a new set', async () => {
    const source = await formSet('billing-db', 2)
    for (let i = 0; i < 400; i++) dataPlane.engine.writeStep(source, Date.now())
    // Wait until the secondary has every write: the archive then holds the head.
    await until('the secondary caught up', () => ([...dataPlane.engine.members.values()].filter((m) => m.setId === source.id).every((m) => m.applied === source.oplog.end) ? true : undefined))
    await apply([renderDumpJob({backupId: 'billing-db-b1', database: 'billing-db', image: 'mongo:7.0', toolsSecret: 'billing-db-backup-tools', location, sizeLimit: '1Gi'})])
    expect(await finished('billing-db-b1-dump'), failures.get('billing-db-b1-dump')).toBe('Complete')

    const dumpLog = await kubectl('logs', 'job/billing-db-b1-dump', '-n', NAMESPACE, '-c', 'dump')
    const counts = Object.fromEntries(source.data.stats().map((s) => [s.name, s.count]))
    for (const [name, count] of Object.entries(counts)) expect(dumpLog.stdout + dumpLog.stderr).toContain(`done dumping billing.${name} (${count} documents)`)
    const uploadLog = await kubectl('logs', 'job/billing-db-b1-dump', '-n', NAMESPACE, '-c', 'transfer')
    expect(uploadLog.stdout).toContain('uploaded /backup/archive.gz to local://demo-local/backups/billing-db/b1/archive.gz')

    const bytes = objects.get('local://demo-local/backups/billing-db/b1/archive.gz') as Buffer
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]))
    const archive = await readArchiveIntoMemory((async function* () { yield bytes })())
    expect(Object.fromEntries(archive.collections.map((c) => [c.collection, c.documents.length]))).toEqual(counts)
    expect(archive.hasOplog).toBe(true)
    // Consistent to the end of its oplog window: the secondary's last applied entry.
    const last = source.oplog.get(source.oplog.end - 1)
    expect(archive.oplog.map((e) => `${(e.ts as {t: number}).t}:${(e.ts as {i: number}).i}`)).toEqual([`${last.secs}:${last.ord}`])
    const sourceHashes = hashesOf(source)
    expect((await hashArchiveAtConsistentPoint(() => (async function* () { yield bytes })())).collections).toEqual(sourceHashes)

    const target = await formSet('billing-db-r1', 1)
    await apply([renderRestoreJob({backupId: 'billing-db-b1', database: 'billing-db', image: 'mongo:7.0', location, sizeLimit: '1Gi', targetSet: 'billing-db-r1', targetToolsSecret: 'billing-db-r1-backup-tools', purpose: 'verify'})])
    const job = 'billing-db-b1-verify-db-r1'
    expect(await finished(job), failures.get(job)).toBe('Complete')
    const restoreLog = await kubectl('logs', `job/${job}`, '-n', NAMESPACE, '-c', 'restore')
    expect(restoreLog.stdout + restoreLog.stderr).toContain(`${Object.values(counts).reduce((a, b) => a + b, 0)} document(s) restored successfully. 0 document(s) failed to restore.`)
    expect(restoreLog.stdout + restoreLog.stderr).toContain('applied 1 oplog entries')
    expect(documentsOf(target)).toEqual(documentsOf(source))
    expect(hashesOf(target)).toEqual(sourceHashes)
  }, 90_000)

  test('a restore over a set that holds data is refused and changes nothing', async () => {
    const source = setNamed('billing-db') as ReplicaSet
    const before = source.oplog.end
    const documentsBefore = source.data.totalDocuments()
    await apply([renderRestoreJob({backupId: 'billing-db-b1', database: 'billing-db', image: 'mongo:7.0', location, sizeLimit: '1Gi', targetSet: 'billing-db', targetToolsSecret: 'billing-db-backup-tools', purpose: 'restore'})])
    const job = 'billing-db-b1-restore-ng-db'
    expect(await finished(job)).toBe('Failed')
    const log = await kubectl('logs', `job/${job}`, '-n', NAMESPACE, '-c', 'restore')
    expect(log.stdout + log.stderr).toMatch(/Failed: billing-db already holds documents: mygate restores into a new, empty replica set only/)
    // Nothing written: the only entries since are the primary's periodic no-ops (one every 10 s).
    expect(source.oplog.slice(before).filter((entry) => entry.op !== 'n')).toEqual([])
    expect(source.data.totalDocuments()).toBe(documentsBefore)
  }, 60_000)

  test('a corrupted archive fails the restore naming the collection, and the new set stays empty', async () => {
    const url = 'local://demo-local/backups/billing-db/b1/archive.gz'
    const zlib = await import('node:zlib')
    const raw = zlib.gunzipSync(objects.get(url) as Buffer)
    // Flip a byte inside the first document of the first collection.
    const at = raw.indexOf(Buffer.from('_id')) + 8
    raw[at] ^= 0xff
    objects.set('local://demo-local/backups/billing-db/corrupt/archive.gz', zlib.gzipSync(raw))
    const target = await formSet('billing-db-r2', 1)
    await apply([renderRestoreJob({backupId: 'billing-db-bad', database: 'billing-db', image: 'mongo:7.0', location: {...location, key: 'backups/billing-db/corrupt/archive.gz'}, sizeLimit: '1Gi', targetSet: 'billing-db-r2', targetToolsSecret: 'billing-db-r2-backup-tools', purpose: 'verify'})])
    const job = 'billing-db-bad-verify-db-r2'
    expect(await finished(job)).toBe('Failed')
    const log = await kubectl('logs', `job/${job}`, '-n', NAMESPACE, '-c', 'restore')
    expect(log.stdout + log.stderr).toMatch(/Failed: .*billing\.(invoices|payments).*(CRC|checksum)/i)
    expect(target.data.totalDocuments()).toBe(0)
  }, 60_000)

  test('createBackups: a dump Job per database, then the catalog entry written last with hashes from the archive at its consistent point', async () => {
    const source = setNamed('billing-db') as ReplicaSet
    const client = await KubeClient.connect({kubeconfigPath: kubeconfig, context: 'local'})
    const phases: string[] = []
    const [created] = await createBackups({
      environment: 'demo',
      site: {client, region: 'r1', store: bucket, locate: (key) => ({provider: 'local', bucket: 'demo-local', key})},
      targets: [{service: 'billing', database: 'billing-db', dbName: 'billing', rpo: '5m'}],
      hostsOf: (db) => [memberHost(db, 0), memberHost(db, 1)],
      now: () => new Date('2026-12-03T07:00:00Z'),
      sizeLimit: '1Gi',
      onPhase: (phase) => phases.push(phase),
    })
    expect(phases).toEqual(['dump', 'hash', 'record'])
    expect(created.entry.id).toMatch(/^20261203T070000Z-billing-[0-9a-f]{6}$/)
    // The catalog lists it from the store alone, as any machine would.
    const catalog = await listCatalog(bucket, {service: 'billing'})
    expect(catalog.backups).toEqual([created.entry])
    expect(await readBackupEntry(bucket, 'billing', created.entry.id)).toEqual(created.entry)
    const last = source.oplog.get(source.oplog.end - 1)
    expect(created.entry.oplog.last).toBe(`${last.secs}:${last.ord}`)
    expect(created.entry.collections).toEqual(hashesOf(source))
    const archive = await readSmallObject(bucket, created.entry.archive.key)
    expect(created.entry.archive).toMatchObject({key: `backups/billing/base/${created.entry.id}/archive.gz`, size: archive.length})
    // The tools Secret carries the credentials inside the cluster only.
    const secret = await kubectl('get', 'secret', 'billing-db-backup-tools', '-n', NAMESPACE, '-o', 'jsonpath={.data.config\\.yaml}')
    expect(Buffer.from(secret.stdout, 'base64').toString()).toContain('uri: "mongodb://root:s3cret-pw@billing-db-0.billing-db.mygate-data.svc.cluster.local:27017')
  }, 60_000)

  // Last: it isolates the namespace for a moment. A network plugin that enforces NetworkPolicies
  // drops what no policy admits; the local control plane does the same to its Jobs' connections.
  test('a namespace default-deny NetworkPolicy drops the dump Job (a time-out naming the policy); without it the same Job runs', async () => {
    const deny: KubeObject = {apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: {name: 'default-deny', namespace: NAMESPACE}, spec: {podSelector: {}, policyTypes: ['Ingress', 'Egress']}}
    await apply([deny])
    await apply([renderDumpJob({backupId: 'billing-db-np1', database: 'billing-db', image: 'mongo:7.0', toolsSecret: 'billing-db-backup-tools', location: {...location, key: 'backups/billing-db/np1/archive.gz'}, sizeLimit: '1Gi'})])
    expect(await finished('billing-db-np1-dump')).toBe('Failed')
    expect(failures.get('billing-db-np1-dump')).toMatch(/timed out .*no NetworkPolicy in mygate-data lets .* \(egress isolated by default-deny\)/)
    expect(objects.has('local://demo-local/backups/billing-db/np1/archive.gz')).toBe(false)
    expect((await kubectl('delete', 'networkpolicy', 'default-deny', '-n', NAMESPACE)).exitCode).toBe(0)
    await apply([renderDumpJob({backupId: 'billing-db-np2', database: 'billing-db', image: 'mongo:7.0', toolsSecret: 'billing-db-backup-tools', location: {...location, key: 'backups/billing-db/np2/archive.gz'}, sizeLimit: '1Gi'})])
    expect(await finished('billing-db-np2-dump'), failures.get('billing-db-np2-dump')).toBe('Complete')
  }, 60_000)
})
