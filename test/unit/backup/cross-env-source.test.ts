import {Job} from 'kubernetes-models/batch/v1/Job'
import {describe, expect, test} from 'vitest'

import {renderRestoreJob} from '../../../src/backup/jobs/job-values.js'
import {candidateRegions, otherSiteFor, refuseSameEnvironment, siteUrl} from '../../../src/backup/restore/cross-env-source.js'
import {awsBackupKeyAlias, backupBucketName, gcpBackupKeyName} from '../../../src/backup/site/site-names.js'
import {MemoryObjectStore} from '../../../src/backup/storage/memory-store.js'
import type {KubeObject} from '../../../src/kube/types.js'

interface Container {
  name: string
  command?: string[]
  args?: string[]
  env?: Array<{name: string; value?: string; valueFrom?: unknown}>
  volumeMounts?: Array<{name: string; mountPath: string}>
}
const podSpec = (job: KubeObject) => (job.spec as {template: {spec: {initContainers: Container[]; containers: Container[]; volumes: Array<Record<string, unknown>>}}}).template.spec

describe('another environment\'s backup site, from its bare name', () => {
  // Derived from the name and region alone: found after the environment's record is gone.
  test.each<[string, string, string, string]>([
    ['old', 'local-1', 'mygate-old-local-1-backups', 'local://mygate-old-local-1-backups'],
    ['Prod-Old', 'us-east-1', 'mygate-prod-old-us-east-1-backups', 's3://mygate-prod-old-us-east-1-backups'],
    ['old', 'europe-west1', 'mygate-old-europe-west1-backups', 'gs://mygate-old-europe-west1-backups'],
  ])('%s in %s -> bucket %s', (env, region, bucket, url) => {
    expect(backupBucketName(env, region)).toBe(bucket)
    const provider = url.startsWith('s3') ? 'aws' : url.startsWith('gs') ? 'gcp' : 'local'
    expect(siteUrl(provider, backupBucketName(env, region))).toBe(url)
  })

  test('its keys too: the KMS alias on aws, the Cloud KMS key on gcp', () => {
    expect(awsBackupKeyAlias('old', 'us-east-1')).toBe('alias/mygate-old-us-east-1-backups')
    expect(gcpBackupKeyName('p1', 'old', 'europe-west1').key).toBe('projects/p1/locations/europe-west1/keyRings/mygate-old-backups/cryptoKeys/mygate-old-europe-west1-backups')
  })

  test.each<[string, {primary: string; secondary?: string}, string, string[]]>([
    ['one region', {primary: 'r1'}, 'r1', ['r1']],
    ['two regions, active primary', {primary: 'r1', secondary: 'r2'}, 'r1', ['r1', 'r2']],
    ['two regions after a failover: the active region first', {primary: 'r1', secondary: 'r2'}, 'r2', ['r2', 'r1']],
  ])('looked for in this environment\'s regions (%s)', (_what, regions, activeRegion, expected) => {
    expect(candidateRegions({activeRegion, spec: {regions}})).toEqual(expected)
  })

  test.each<[string, string, RegExp]>([
    ['demo', 'demo', /^--from-env demo names the environment restored into \(demo\)$/],
    ['', 'demo', /^--from-env needs the name of the environment whose backups to read$/],
  ])('--from-env %j with --env %s is refused', (from, env, message) => {
    expect(() => refuseSameEnvironment(from, env)).toThrow(message)
  })

  test('another name passes', () => {
    expect(() => refuseSameEnvironment('demo-old', 'demo')).not.toThrow()
  })

  test('the site: OLD\'s bucket and key, this environment\'s cluster and service account', async () => {
    const store = Object.assign(new MemoryObjectStore('mygate-old-us-east-1-backups', 'us-east-1'), {encryptionKeyId: 'arn:aws:kms:us-east-1:1:key/old'})
    const own = {client: {} as never, region: 'us-east-1', store: new MemoryObjectStore('mygate-new-us-east-1-backups', 'us-east-1'), locate: () => ({provider: 'aws' as const, bucket: 'mygate-new-us-east-1-backups', key: 'x'}), serviceAccountAnnotations: {'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/new-backup'}}
    const site = otherSiteFor(own, {store, region: 'us-east-1'}, 'aws')
    expect(site.client).toBe(own.client)
    expect(site.serviceAccountAnnotations).toEqual(own.serviceAccountAnnotations)
    expect(site.locate('backups/visitors/base/b1/archive.gz')).toEqual({provider: 'aws', bucket: 'mygate-old-us-east-1-backups', key: 'backups/visitors/base/b1/archive.gz', encryptionKey: 'arn:aws:kms:us-east-1:1:key/old'})
  })
})

describe('the restore Job of another environment\'s backup ends with the app-user step', () => {
  const input = {
    backupId: 'visitors-20261203t070000z-a1b2c3',
    database: 'visitors-db',
    image: 'mongo:7.0',
    location: {provider: 'local' as const, bucket: 'mygate-old-local-1-backups', key: 'backups/visitors/base/b1/archive.gz'},
    sizeLimit: '64Mi',
    targetSet: 'visitors-db-rab12',
    targetToolsSecret: 'visitors-db-rab12-backup-tools',
    purpose: 'restore' as const,
  }
  const appUser = {secret: 'visitors-db-credentials', setCredentialsSecret: 'visitors-db-rab12-credentials', connection: 'mongodb://visitors-db-rab12-0.visitors-db-rab12.mygate-data.svc.cluster.local:27017/?replicaSet=visitors-db-rab12', opsConfigMap: 'mygate-db-ops'}

  test.each<[string, number]>([
    ['without oplog slices', 0],
    ['with two oplog slices', 2],
  ])('%s: download, restore (and replays) first, app-user last', (_what, slices) => {
    const job = renderRestoreJob({...input, appUser, oplogLimit: '1764745200:3', slices: Array.from({length: slices}, (_, i) => ({location: {...input.location, key: `s${i}`}}))})
    expect(() => new Job(job as never).validate()).not.toThrow()
    const spec = podSpec(job)
    const replays = Array.from({length: slices}, (_, i) => `replay-${i + 1}`)
    const downloads = Array.from({length: slices}, (_, i) => `transfer-slice-${i + 1}`)
    expect(spec.initContainers.map((c) => c.name)).toEqual(['transfer', ...downloads, 'restore', ...replays])
    expect(spec.containers.map((c) => [c.name, c.command, c.args])).toEqual([['app-user', ['mongosh'], ['--quiet', '--norc', '--nodb', '--file', '/ops/app-user.js']]])
    const [app] = spec.containers
    // Nothing but OP_PARAMS in its environment, and no password in it: both are Secret files.
    expect(app.env?.map((e) => e.name)).toEqual(['OP_PARAMS'])
    expect(JSON.parse(app.env?.[0].value as string)).toEqual({connection: appUser.connection, credentials: '/credentials/set', appUser: '/credentials/app'})
    expect(app.volumeMounts).toEqual(expect.arrayContaining([expect.objectContaining({name: 'set-credentials', mountPath: '/credentials/set'}), expect.objectContaining({name: 'app-credentials', mountPath: '/credentials/app'})]))
    const volume = (name: string) => spec.volumes.find((v) => v.name === name)
    expect(volume('app-credentials')).toEqual({name: 'app-credentials', secret: {secretName: 'visitors-db-credentials', items: [{key: 'root-username', path: 'root-username'}, {key: 'root-password', path: 'root-password'}], defaultMode: 0o440}})
    expect(volume('set-credentials')).toMatchObject({secret: {secretName: 'visitors-db-rab12-credentials', defaultMode: 0o440}})
    expect(volume('ops')).toEqual({name: 'ops', configMap: {name: 'mygate-db-ops'}})
  })

  test('a same-environment restore has no app-user step', () => {
    const spec = podSpec(renderRestoreJob(input))
    expect([...spec.initContainers, ...spec.containers].map((c) => c.name)).toEqual(['transfer', 'restore'])
  })
})
