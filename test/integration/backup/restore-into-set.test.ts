import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import type {BackupEntry} from '../../../src/backup/catalog/entry.js'
import {type BackupSite, createBackups} from '../../../src/backup/operations/create-backup.js'
import {removeRestoredSet, restoreIntoSet} from '../../../src/backup/restore/restore-into-set.js'
import {deleteScratchNamespace, scratchNamespace} from '../../../src/backup/restore/scratch-namespace.js'
import {MemoryObjectStore} from '../../../src/backup/storage/memory-store.js'
import {loadCatalog} from '../../../src/catalog/load-catalog.js'
import type {Catalog} from '../../../src/catalog/types.js'
import {KubeClient} from '../../../src/kube/client.js'
import {type LocalCluster, startLocalCluster} from '../../../src/local-cluster/cluster.js'
import {DataPlane} from '../../../src/local-cluster/data-plane/data-plane.js'
import type {ArchiveStore} from '../../../src/local-cluster/data-plane/jobs/archive-pipeline.js'
import type {ReplicaSet} from '../../../src/local-cluster/data-plane/state.js'
import {testEnvironment} from '../../helpers/builders.js'
import {credentialsSecret, headlessService, memberHost, mongodStatefulSet, namespace, NAMESPACE, opJob, opsConfigMap, toYaml} from '../../helpers/data-plane.js'
import {documentsOf, hashesOf, kubectlOps, setNamed as setNamedIn} from '../../helpers/data-plane-ops.js'
import {runKubectl, writeKubeconfig} from '../../helpers/kubectl.js'

/**
 * restoreIntoSet against the local control plane, through its HTTP API: a live visitors-db with
 * data is backed up (createBackups), then restored into a new set built from templates/mongodb/
 * in a scratch namespace. The restored set's hashes (the hashes Job) equal the catalog entry's,
 * its documents equal the live set's, its credentials are its own, a re-run after the fact picks
 * up what is there (same Job, same Secret), and removeRestoredSet leaves nothing of it (read
 * back with real kubectl).
 */
describe('restoreIntoSet: a backup restored into a new replica set beside the live one', () => {
  let dir: string
  let dataPlane: DataPlane
  let cluster: LocalCluster
  let kubeconfig: string
  let client: KubeClient
  let catalog: Catalog
  let entry: BackupEntry
  let site: BackupSite
  const bucket = new MemoryObjectStore('demo-r1', 'r1')
  const store: ArchiveStore = {
    put: async (url, bytes) => void (await bucket.put(url.replace('local://demo-r1/', ''), bytes)),
    get: async (url) => {
      const key = url.replace('local://demo-r1/', '')
      if (!(await bucket.head(key))) return undefined
      const chunks: Buffer[] = []
      for await (const chunk of await bucket.get(key)) chunks.push(Buffer.from(chunk))
      return Buffer.concat(chunks)
    },
  }
  const env = testEnvironment({name: 'demo', regions: {primary: 'r1'}})
  const SCRATCH = 'mygate-verify-t1'

  const {kubectl, apply, until} = kubectlOps(() => kubeconfig)
  const setNamed = (name: string): ReplicaSet | undefined => setNamedIn(dataPlane, name)
  const asCatalogHashes = (collections: Array<{name: string; count: number; hash: string}>) =>
    Object.fromEntries(collections.map((c) => [`visitors.${c.name}`, {documents: c.count, sha256Sum: c.hash}]))

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mygate-restore-set-'))
    dataPlane = new DataPlane({timing: {tickMs: 50}, archiveStore: store})
    cluster = await startLocalCluster({name: 'demo-r1', region: 'r1', clusterSet: 'demo', stateDir: join(dir, 'r1'), timing: {podStartupMs: 50, readinessDelayMs: 10, jobRunMs: 100}, dataPlane})
    kubeconfig = writeKubeconfig(cluster.url, mkdtempSync(join(dir, 'kc-')))
    dataPlane.start()
    client = await KubeClient.connect({kubeconfigPath: kubeconfig, context: 'local'})
    catalog = await loadCatalog()
    site = {client, region: 'r1', store: bucket, locate: (key) => ({provider: 'local', bucket: 'demo-r1', key})}

    // The live database, formed by hand as env create would, with data.
    const db = 'visitors-db'
    await apply([namespace(), opsConfigMap(), credentialsSecret(db), headlessService(db), mongodStatefulSet(db, {replicas: 1})])
    await until('the live member running', async () => ((await kubectl('get', 'pod', `${db}-0`, '-n', NAMESPACE, '-o', 'jsonpath={.status.containerStatuses[0].started}')).stdout === 'true' ? true : undefined))
    await apply([opJob(`${db}-initiate`, db, 'initiate', {uri: `mongodb://${memberHost(db, 0)}/?directConnection=true`, params: {set: db, members: [{host: memberHost(db, 0)}]}})])
    const live = await until('the live primary', () => (setNamed(db)?.primary ? setNamed(db) : undefined))
    for (let i = 0; i < 300; i++) dataPlane.engine.writeStep(live as ReplicaSet, Date.now())
    ;[{entry}] = await createBackups({environment: 'demo', site, targets: [{service: 'visitors', database: db, dbName: 'visitors', rpo: '5m'}], hostsOf: (d) => [memberHost(d, 0)], sizeLimit: '1Gi'})
    await apply([scratchNamespace(SCRATCH)])
  }, 120_000)

  afterAll(async () => {
    await cluster?.stop()
    await dataPlane?.close()
    rmSync(dir, {recursive: true, force: true})
  })

  test('provisions the set from the templates, restores, and measures exactly what the catalog entry says', async () => {
    const phases: string[] = []
    const restored = await restoreIntoSet({site, catalog, env, entry, namespace: SCRATCH, targetSet: 'visitors-db-verify', purpose: 'verify', onPhase: (phase) => phases.push(phase)})
    expect(phases).toEqual(['provision', 'elect', 'restore', 'measure'])
    expect(restored).toMatchObject({targetSet: 'visitors-db-verify', namespace: SCRATCH, lastAppliedOp: entry.oplog.last, credentialsSecret: 'visitors-db-verify-credentials', toolsSecret: 'visitors-db-verify-backup-tools'})
    expect(restored.members).toEqual([`visitors-db-verify-0.visitors-db-verify.${SCRATCH}.svc.cluster.local:27017`])
    expect(restored.restoreMs).toBeGreaterThan(0)
    // Counts and hashes from the hashes Job equal the entry's, which came from the archive.
    expect(Object.keys(entry.collections).length).toBeGreaterThan(0)
    expect(asCatalogHashes(restored.collections)).toEqual(entry.collections)
    // And the restored set really holds the live data (read from the data plane itself).
    const target = setNamed('visitors-db-verify') as ReplicaSet
    const live = setNamed('visitors-db') as ReplicaSet
    expect(hashesOf(target)).toEqual(entry.collections)
    expect(documentsOf(target)).toEqual(documentsOf(live))

    // The live database's StatefulSet template, under the new name, in the scratch namespace.
    const sts = JSON.parse((await kubectl('get', 'statefulset', 'visitors-db-verify', '-n', SCRATCH, '-o', 'json')).stdout) as {metadata: {labels: Record<string, string>}; spec: {template: {spec: {containers: Array<{args: string[]; env: Array<{valueFrom: {secretKeyRef: {name: string}}}>}>}}}}
    expect(sts.metadata.labels).toMatchObject({'mygate.dev/restored-set': 'visitors-db-verify', 'app.kubernetes.io/name': 'visitors-db-verify'})
    const mongod = sts.spec.template.spec.containers[0]
    expect(mongod.args.slice(0, 2)).toEqual(['--replSet', 'visitors-db-verify'])
    expect(new Set(mongod.env.map((e) => e.valueFrom.secretKeyRef.name))).toEqual(new Set(['visitors-db-verify-credentials']))
    // Its own credentials, never the live set's.
    const password = await kubectl('get', 'secret', 'visitors-db-verify-credentials', '-n', SCRATCH, '-o', 'jsonpath={.data.root-password}')
    expect(Buffer.from(password.stdout, 'base64').toString()).toMatch(/^[A-Za-z0-9_-]{43}$/)
  }, 120_000)

  test('a re-run finds what the first run created and continues: same Job, same credentials, same measurement', async () => {
    const uid = (kind: string, name: string) => kubectl('get', kind, name, '-n', SCRATCH, '-o', 'jsonpath={.metadata.uid}').then((r) => r.stdout)
    const jobs = (await kubectl('get', 'jobs', '-n', SCRATCH, '-l', 'mygate.dev/restored-set=visitors-db-verify', '-o', 'jsonpath={.items[*].metadata.name}')).stdout.split(' ')
    expect(jobs).toHaveLength(1)
    const before = {job: await uid('job', jobs[0]), secret: await uid('secret', 'visitors-db-verify-credentials')}
    const again = await restoreIntoSet({site, catalog, env, entry, namespace: SCRATCH, targetSet: 'visitors-db-verify', purpose: 'verify'})
    expect(asCatalogHashes(again.collections)).toEqual(entry.collections)
    expect({job: await uid('job', jobs[0]), secret: await uid('secret', 'visitors-db-verify-credentials')}).toEqual(before)
    expect([...dataPlane.engine.sets.values()].filter((s) => s.name === 'visitors-db-verify')).toHaveLength(1)
  }, 120_000)

  test('removeRestoredSet deletes everything it created, claims included; the live set is untouched', async () => {
    const liveBefore = documentsOf(setNamed('visitors-db') as ReplicaSet)
    const removed = await removeRestoredSet({client, namespace: SCRATCH, targetSet: 'visitors-db-verify'})
    expect(removed).toEqual(expect.arrayContaining(['StatefulSet/visitors-db-verify', 'Service/visitors-db-verify', 'Secret/visitors-db-verify-credentials', 'Secret/visitors-db-verify-backup-tools', 'NetworkPolicy/visitors-db-verify', 'PersistentVolumeClaim/data-visitors-db-verify-0']))
    await until('the restored set to be gone', async () => {
      const left = await kubectl('get', 'statefulsets,services,secrets,jobs,networkpolicies,pvc', '-n', SCRATCH, '-o', 'name')
      return left.stdout.includes('visitors-db-verify') ? undefined : true
    })
    expect(documentsOf(setNamed('visitors-db') as ReplicaSet)).toEqual(liveBefore)
    await deleteScratchNamespace(client, SCRATCH)
    expect((await kubectl('get', 'namespace', SCRATCH)).exitCode).not.toBe(0)
  }, 60_000)

  test('a scratch namespace goes with everything in it; the same backup restores again into a namespace and set of the same names', async () => {
    const once = async (targetSet: string) => {
      await apply([scratchNamespace(SCRATCH)])
      const restored = await restoreIntoSet({site, catalog, env, entry, namespace: SCRATCH, targetSet, purpose: 'verify', timeoutMs: 30_000})
      expect(asCatalogHashes(restored.collections)).toEqual(entry.collections)
      await deleteScratchNamespace(client, SCRATCH)
      expect((await kubectl('get', 'namespace', SCRATCH)).exitCode).not.toBe(0)
    }
    // The same set name twice: the first set's leftovers (dropped a few seconds later by the data
    // plane's collector) must not pull the new member in.
    await once('visitors-db-v0001')
    await once('visitors-db-v0001')
  }, 90_000)

  test('purpose restore with an oplog limit: into mygate-data beside the live set; the limit is passed and the last applied entry reported', async () => {
    // An environment created before hashes.js shipped: its ops ConfigMap gains the one key.
    const old = opsConfigMap()
    delete (old.data as Record<string, string>)['hashes.js']
    const replaced = await runKubectl(['replace', '-f', '-'], {kubeconfig, input: toYaml([old])})
    expect(replaced.exitCode, replaced.stderr).toBe(0)
    const restored = await restoreIntoSet({site, catalog, env, entry, namespace: NAMESPACE, targetSet: 'visitors-db-r1', purpose: 'restore', oplogLimit: entry.oplog.last})
    // The archive's oplog holds one entry, the one the limit names: none applied.
    expect(restored.lastAppliedOp).toBeUndefined()
    const log = await kubectl('logs', `job/${restored.job}`, '-n', NAMESPACE, '-c', 'restore')
    expect(log.stdout + log.stderr).toContain('applied 0 oplog entries')
    const args = await kubectl('get', 'job', restored.job, '-n', NAMESPACE, '-o', 'jsonpath={.spec.template.spec.containers[0].args}')
    expect(args.stdout).toContain(`--oplogLimit=${entry.oplog.last}`)
    const keys = await kubectl('get', 'configmap', 'mygate-db-ops', '-n', NAMESPACE, '-o', 'jsonpath={.data}')
    expect(Object.keys(JSON.parse(keys.stdout) as object).sort()).toEqual(Object.keys(opsConfigMap().data as object).sort())
    await expect(restoreIntoSet({site, catalog, env, entry, namespace: NAMESPACE, targetSet: 'visitors-db', purpose: 'restore'})).rejects.toThrow(/it is the live set/)
    await removeRestoredSet({client, namespace: NAMESPACE, targetSet: 'visitors-db-r1'})
    expect(setNamed('visitors-db')?.primary).toBeTruthy()
  }, 120_000)
})
