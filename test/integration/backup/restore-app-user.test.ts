import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import type {BackupEntry} from '../../../src/backup/catalog/entry.js'
import {type BackupSite, createBackups} from '../../../src/backup/operations/create-backup.js'
import {restoreIntoSet} from '../../../src/backup/restore/restore-into-set.js'
import {MemoryObjectStore} from '../../../src/backup/storage/memory-store.js'
import {loadCatalog} from '../../../src/catalog/load-catalog.js'
import type {Catalog} from '../../../src/catalog/types.js'
import {KubeClient} from '../../../src/kube/client.js'
import type {KubeObject} from '../../../src/kube/types.js'
import {type LocalCluster, startLocalCluster} from '../../../src/local-cluster/cluster.js'
import {DataPlane} from '../../../src/local-cluster/data-plane/data-plane.js'
import type {ArchiveStore} from '../../../src/local-cluster/data-plane/jobs/archive-pipeline.js'
import {passwordMatches} from '../../../src/local-cluster/data-plane/jobs/session.js'
import type {ReplicaSet} from '../../../src/local-cluster/data-plane/state.js'
import {testEnvironment} from '../../helpers/builders.js'
import {credentialsSecret, headlessService, memberHost, mongodStatefulSet, namespace, NAMESPACE, opJob, opsConfigMap} from '../../helpers/data-plane.js'
import {hashesOf, kubectlOps, setNamed as setNamedIn} from '../../helpers/data-plane-ops.js'
import {writeKubeconfig} from '../../helpers/kubectl.js'

/**
 * A restore of ANOTHER environment's backup against the local control plane, through its HTTP
 * API: the backup is taken while the database Secret holds the old environment's credentials;
 * the Secret then holds the new environment's (what `env create` of the new environment
 * generated), and restoreIntoSet with appUserSecret runs the restore Job with its app-user step.
 * The restored set then admits the new credentials and refuses the old ones (the data plane's
 * SCRAM check: salted PBKDF2), holds the backup exactly, and the ops ConfigMap of an environment
 * created before app-user.js shipped gained the script.
 */
describe('restoreIntoSet with appUserSecret: the restored set\'s user is the new environment\'s', () => {
  let dir: string
  let dataPlane: DataPlane
  let cluster: LocalCluster
  let kubeconfig: string
  let client: KubeClient
  let catalog: Catalog
  let entry: BackupEntry
  let site: BackupSite
  const bucket = new MemoryObjectStore('old-r1', 'r1')
  const store: ArchiveStore = {
    put: async (url, bytes) => void (await bucket.put(url.replace('local://old-r1/', ''), bytes)),
    get: async (url) => {
      const key = url.replace('local://old-r1/', '')
      if (!(await bucket.head(key))) return undefined
      const chunks: Buffer[] = []
      for await (const chunk of await bucket.get(key)) chunks.push(Buffer.from(chunk))
      return Buffer.concat(chunks)
    },
  }
  const env = testEnvironment({name: 'new', regions: {primary: 'r1'}})
  const OLD = {username: 'old-root', password: 'old-password-1'}
  const NEW = {username: 'new-app', password: 'new-password-2'}
  const {kubectl, apply, until} = kubectlOps(() => kubeconfig)
  const setNamed = (name: string): ReplicaSet | undefined => setNamedIn(dataPlane, name)
  const admits = (set: ReplicaSet, user: string, password: string) => set.users.some((u) => u.user === user && u.db === 'admin' && passwordMatches(u, password))

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mygate-restore-app-user-'))
    dataPlane = new DataPlane({timing: {tickMs: 50}, archiveStore: store})
    cluster = await startLocalCluster({name: 'new-r1', region: 'r1', clusterSet: 'new', stateDir: join(dir, 'r1'), timing: {podStartupMs: 50, readinessDelayMs: 10, jobRunMs: 100}, dataPlane})
    kubeconfig = writeKubeconfig(cluster.url, mkdtempSync(join(dir, 'kc-')))
    dataPlane.start()
    client = await KubeClient.connect({kubeconfigPath: kubeconfig, context: 'local'})
    catalog = await loadCatalog()
    site = {client, region: 'r1', store: bucket, locate: (key) => ({provider: 'local', bucket: 'old-r1', key})}

    // A database formed with the OLD environment's credentials, written to, backed up.
    const db = 'visitors-db'
    const ops = opsConfigMap() as KubeObject & {data: Record<string, string>}
    const {['app-user.js']: _shipped, ...olderScripts} = ops.data
    await apply([namespace(), {...ops, data: olderScripts}, credentialsSecret(db, OLD), headlessService(db), mongodStatefulSet(db, {replicas: 1})])
    await until('the member running', async () => ((await kubectl('get', 'pod', `${db}-0`, '-n', NAMESPACE, '-o', 'jsonpath={.status.containerStatuses[0].started}')).stdout === 'true' ? true : undefined))
    await apply([opJob(`${db}-initiate`, db, 'initiate', {uri: `mongodb://${memberHost(db, 0)}/?directConnection=true`, params: {set: db, members: [{host: memberHost(db, 0)}]}})])
    const live = await until('the primary', () => (setNamed(db)?.primary ? setNamed(db) : undefined))
    for (let i = 0; i < 200; i++) dataPlane.engine.writeStep(live as ReplicaSet, Date.now())
    ;[{entry}] = await createBackups({environment: 'old', site, targets: [{service: 'visitors', database: db, dbName: 'visitors', rpo: '5m'}], hostsOf: (d) => [memberHost(d, 0)], sizeLimit: '1Gi'})
    // The new environment's generated credentials, in the same Secret name.
    await apply([credentialsSecret(db, NEW)])
  }, 120_000)

  afterAll(async () => {
    await cluster?.stop()
    await dataPlane?.close()
    rmSync(dir, {recursive: true, force: true})
  })

  test('the new credentials open the restored data, the old ones are refused', async () => {
    const restored = await restoreIntoSet({site, catalog, env, entry, namespace: NAMESPACE, targetSet: 'visitors-db-rx1', purpose: 'restore', appUserSecret: 'visitors-db-credentials', timeoutMs: 60_000})
    const set = setNamed('visitors-db-rx1') as ReplicaSet
    expect(hashesOf(set)).toEqual(entry.collections)
    expect(Object.fromEntries(restored.collections.map((c) => [`visitors.${c.name}`, {documents: c.count, sha256Sum: c.hash}]))).toEqual(entry.collections)

    const rootUser = Buffer.from((await kubectl('get', 'secret', 'visitors-db-rx1-credentials', '-n', NAMESPACE, '-o', 'jsonpath={.data.root-username}')).stdout, 'base64').toString()
    expect(set.users.map((u) => u.user).sort()).toEqual([NEW.username, rootUser].sort())
    expect(admits(set, NEW.username, NEW.password)).toBe(true)
    expect(admits(set, NEW.username, OLD.password)).toBe(false)
    expect(admits(set, OLD.username, OLD.password)).toBe(false)
    // The live set still has only the old user: nothing but the restored set was changed.
    expect((setNamed('visitors-db') as ReplicaSet).users.map((u) => u.user)).toEqual([OLD.username])

    // The Job's last container said what it did, and the ConfigMap gained the script it ran.
    const logs = await kubectl('logs', `job/${restored.job}`, '-n', NAMESPACE, '-c', 'app-user')
    expect(JSON.parse(logs.stdout.trim().split('\n').at(-1) as string)).toEqual({op: 'app-user', ok: true, user: NEW.username, action: 'created', dropped: []})
    const script = await kubectl('get', 'configmap', 'mygate-db-ops', '-n', NAMESPACE, '-o', 'jsonpath={.data.app-user\\.js}')
    expect(script.stdout).toContain('mygate database operation "app-user"')
  }, 120_000)
})
