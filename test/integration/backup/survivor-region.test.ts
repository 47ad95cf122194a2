import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {putBaseBackup} from '../../../src/backup/catalog/catalog-store.js'
import {backupList} from '../../../src/backup/operations/backup-list.js'
import {backupRestore} from '../../../src/backup/operations/backup-restore.js'
import {openBackupStore} from '../../../src/backup/operations/backup-site.js'
import {backupStatus} from '../../../src/backup/operations/backup-status.js'
import {loadCatalog} from '../../../src/catalog/load-catalog.js'
import type {Catalog} from '../../../src/catalog/types.js'
import {type EnvironmentRecord, writeRecord} from '../../../src/env/record.js'
import {ExternalError} from '../../../src/errors.js'
import {KubeClient} from '../../../src/kube/client.js'
import {environmentKubeconfigPath, writeKubeconfigFile} from '../../../src/kube/kubeconfig/files.js'
import {type LocalCluster, startLocalCluster} from '../../../src/local-cluster/cluster.js'
import {testEnvironment} from '../../helpers/builders.js'
import {testBackup} from '../../unit/backup/catalog-builders.js'

/**
 * After a forced failover from west to east, west keeps its stale record (active region west)
 * and may still be down: the backup commands read the newest record from the regions that
 * answer and act in its active region (east), over real HTTP against two local control planes.
 * West's API server stops listening (LocalCluster.setDown: a region outage) for the down cases.
 * Only east's bucket holds a backup, so a command that reads west's bucket cannot find it.
 */

const ENV = 'surv'
let dir: string
let home: string
const clusters: Record<string, LocalCluster> = {}
let catalog: Catalog
let backupId: string

function record(activeRegion: string, updatedAt: string): EnvironmentRecord {
  return {
    schemaVersion: 1,
    name: ENV,
    provider: 'local',
    spec: testEnvironment({name: ENV, regions: {primary: 'west', secondary: 'east'}}),
    clusters: [
      {region: 'west', role: 'primary', clusterName: `${ENV}-west`, context: 'ctx-west'},
      {region: 'east', role: 'secondary', clusterName: `${ENV}-east`, context: 'ctx-east'},
    ],
    activeRegion,
    versions: {},
    phase: 'ready',
    createdAt: '2026-12-03T10:00:00.000Z',
    updatedAt,
  }
}

async function writeRecordIn(region: string, value: EnvironmentRecord): Promise<void> {
  const client = await KubeClient.connect({kubeconfigPath: environmentKubeconfigPath(ENV, {MYGATE_HOME: home}), context: `ctx-${region}`})
  try {
    await client.apply({apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'mygate-system'}})
    await writeRecord(client, value)
  } finally {
    client.close()
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mygate-survivor-'))
  home = join(dir, 'home')
  for (const region of ['west', 'east']) {
    clusters[region] = await startLocalCluster({name: `${ENV}-${region}`, region, clusterSet: ENV, stateDir: join(dir, region)})
  }
  // West first: connectEnvironment alone would take its (stale) record.
  await writeKubeconfigFile(environmentKubeconfigPath(ENV, {MYGATE_HOME: home}), {
    clusters: ['west', 'east'].map((region) => ({name: region, cluster: {server: clusters[region].url}})),
    users: [{name: 'u', user: {}}],
    contexts: ['west', 'east'].map((region) => ({name: `ctx-${region}`, context: {cluster: region, user: 'u'}})),
  })
  // The forced failover wrote east's record; west's is from before it.
  await writeRecordIn('west', record('west', '2026-12-03T10:00:00.000Z'))
  await writeRecordIn('east', record('east', '2026-12-03T11:00:00.000Z'))
  catalog = await loadCatalog()
  const {archive: _a, encryptionKeyId: _k, verifications: _v, ...draft} = testBackup({last: `${Math.floor(Date.now() / 1000) - 120}:1`, service: 'visitors', database: 'visitors-db', region: 'east'})
  backupId = (await putBaseBackup(await openBackupStore({record: record('east', '')}, 'east', home), draft, Buffer.from('archive'))).id
}, 60_000)

afterAll(async () => {
  for (const cluster of Object.values(clusters)) await cluster.stop()
  rmSync(dir, {recursive: true, force: true})
})

async function expectEastEverywhere(): Promise<void> {
  const status = await backupStatus({env: ENV, services: ['visitors'], catalog, home})
  expect(status.region).toBe('east')
  expect(status.services[0].lastGoodBackup?.id).toBe(backupId)
  // A base two minutes old and no slice yet is within the slice interval's window (2m for RPO 5m).
  expect(status.services[0]).toMatchObject({verdict: 'healthy', problems: []})

  const listed = await backupList({env: ENV, services: ['visitors'], catalog, home})
  expect(listed.region).toBe('east')
  expect(listed.backups.map((b) => b.id)).toEqual([backupId])

  const planned = await backupRestore({env: ENV, services: ['visitors'], noSwitch: true, dryRun: true, terminal: false, catalog, home})
  expect(planned.dryRun).toBe(true)
  expect(planned.restores[0]).toMatchObject({service: 'visitors', backupId})
}

describe('backup commands after a forced failover: the newest record, the active region that answers', () => {
  test('west answers with its stale record: status, list and restore --dry-run act in east', async () => {
    await expectEastEverywhere()
  })

  test('west is down: the same commands work from the survivor', async () => {
    await clusters.west.setDown(true)
    try {
      await expectEastEverywhere()
    } finally {
      await clusters.west.setDown(false)
    }
  }, 60_000)

  test('the active region itself is down: one error naming it and --region', async () => {
    // West was fenced and written back (active east); then east is lost.
    await writeRecordIn('west', record('east', '2026-12-03T11:00:00.000Z'))
    await clusters.east.setDown(true)
    try {
      const error = await backupStatus({env: ENV, services: ['visitors'], catalog, home}).then(
        () => undefined,
        (error: unknown) => error,
      )
      expect(error).toBeInstanceOf(ExternalError)
      expect((error as ExternalError).message).toBe(`the active region east of environment ${ENV} does not answer: backups run in the active region`)
      expect((error as ExternalError).hint).toContain(`mygate backup list --env ${ENV} --region west`)
    } finally {
      await clusters.east.setDown(false)
    }
  }, 60_000)
})
