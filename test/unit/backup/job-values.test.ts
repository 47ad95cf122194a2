import {Job} from 'kubernetes-models/batch/v1/Job'
import {describe, expect, test} from 'vitest'

import {renderDumpJob, renderRestoreJob} from '../../../src/backup/jobs/job-values.js'
import {renderOplogSliceJob} from '../../../src/backup/jobs/slice-job-values.js'
import type {ArchiveLocation} from '../../../src/backup/jobs/transfer.js'
import type {KubeObject} from '../../../src/kube/types.js'

interface Container {
  name: string
  image: string
  command?: string[]
  args?: string[]
  env?: unknown[]
}
const podSpec = (job: KubeObject) => (job.spec as {template: {spec: {initContainers: Container[]; containers: Container[]; serviceAccountName: string; volumes: Array<Record<string, unknown>>}}}).template.spec

const locations: Array<[string, ArchiveLocation, string[]]> = [
  ['aws', {provider: 'aws', bucket: 'mygate-demo-eu', key: 'backups/visitors-db/b1/archive.gz', encryptionKey: 'arn:aws:kms:eu-west-1:1:key/k'}, ['aws', 's3', 'cp', '/backup/archive.gz', 's3://mygate-demo-eu/backups/visitors-db/b1/archive.gz', '--sse', 'aws:kms', '--sse-kms-key-id', 'arn:aws:kms:eu-west-1:1:key/k', '--only-show-errors']],
  ['gcp', {provider: 'gcp', bucket: 'mygate-demo-eu', key: 'backups/visitors-db/b1/archive.gz', encryptionKey: 'projects/p/locations/l/keyRings/r/cryptoKeys/k'}, ['gcloud', 'storage', 'cp', '/backup/archive.gz', 'gs://mygate-demo-eu/backups/visitors-db/b1/archive.gz', '--encryption-key=projects/p/locations/l/keyRings/r/cryptoKeys/k']],
  ['local', {provider: 'local', bucket: 'demo-local', key: 'backups/visitors-db/b1/archive.gz'}, ['mygate-local-store', 'put', '/backup/archive.gz', 'local://demo-local/backups/visitors-db/b1/archive.gz']],
]

describe('the dump Job', () => {
  test.each(locations)('%s: mongodump from a secondary into the emptyDir, then the upload with the pod identity', (_provider, location, upload) => {
    const job = renderDumpJob({backupId: 'visitors-db-20261203t070000z', database: 'visitors-db', image: 'mongo:7.0', toolsSecret: 'visitors-db-backup-tools', location, sizeLimit: '1Gi'})
    const spec = podSpec(job)
    expect(spec.initContainers.map((c) => [c.name, c.image, c.command, c.args])).toEqual([
      ['dump', 'mongo:7.0', ['mongodump'], ['--config=/etc/mongo-tools/config.yaml', '--readPreference=secondaryPreferred', '--oplog', '--gzip', '--archive=/backup/archive.gz']],
    ])
    expect(spec.containers.map((c) => [c.name, c.command])).toEqual([['transfer', upload]])
    expect(spec.serviceAccountName).toBe('mygate-backup')
    // No storage key and no database password in any container's environment or arguments.
    for (const container of [...spec.initContainers, ...spec.containers]) expect(container.env).toBeUndefined()
    expect(JSON.stringify(job)).not.toMatch(/AWS_SECRET|GOOGLE_APPLICATION_CREDENTIALS|password/i)
    expect(spec.volumes).toEqual([
      {name: 'tools-config', secret: {secretName: 'visitors-db-backup-tools', defaultMode: 0o400}},
      {name: 'backup', emptyDir: {sizeLimit: '1Gi'}},
    ])
    expect(job.metadata.name).toBe('visitors-db-20261203t070000z-dump')
    // Schema-valid as batch/v1 (the Kubernetes OpenAPI schema kubernetes-models carries).
    expect(() => new Job(job as never).validate()).not.toThrow()
    expect(job.metadata.namespace).toBe('mygate-data')
  })

  test('a restore into a scratch namespace (backup verify) runs there', () => {
    const job = renderRestoreJob({backupId: 'b1', database: 'visitors-db', image: 'mongo:7.0', location: locations[2][1], sizeLimit: '1Gi', targetSet: 'visitors-db-v1a2b', targetToolsSecret: 'visitors-db-v1a2b-backup-tools', purpose: 'verify', namespace: 'mygate-verify-a1b2c3'})
    expect(job.metadata.namespace).toBe('mygate-verify-a1b2c3')
    expect(job.metadata.name).toBe('b1-verify-v1a2b')
  })
})

describe('the restore Job', () => {
  test.each([
    [undefined, ['--config=/etc/mongo-tools/config.yaml', '--gzip', '--archive=/backup/archive.gz', '--oplogReplay', '--stopOnError']],
    ['1796281200:3', ['--config=/etc/mongo-tools/config.yaml', '--gzip', '--archive=/backup/archive.gz', '--oplogReplay', '--oplogLimit=1796281200:3', '--stopOnError']],
  ])('oplog limit %s: download first, then mongorestore into the new set', (oplogLimit, args) => {
    const job = renderRestoreJob({
      backupId: 'visitors-db-20261203t070000z',
      database: 'visitors-db',
      image: 'mongo:7.0',
      location: locations[2][1],
      sizeLimit: '1Gi',
      targetSet: 'visitors-db-r4f2a',
      targetToolsSecret: 'visitors-db-r4f2a-backup-tools',
      purpose: 'verify',
      ...(oplogLimit ? {oplogLimit} : {}),
    })
    const spec = podSpec(job)
    expect(spec.initContainers.map((c) => [c.name, c.command])).toEqual([['transfer', ['mygate-local-store', 'get', 'local://demo-local/backups/visitors-db/b1/archive.gz', '/backup/archive.gz']]])
    expect(spec.containers.map((c) => [c.name, c.command, c.args])).toEqual([['restore', ['mongorestore'], args]])
    expect(job.metadata.labels).toMatchObject({'mygate.dev/target-set': 'visitors-db-r4f2a', 'mygate.dev/op': 'verify'})
    expect((job.spec as {backoffLimit: number}).backoffLimit).toBe(0)
    // Schema-valid as batch/v1 (the Kubernetes OpenAPI schema kubernetes-models carries).
    expect(() => new Job(job as never).validate()).not.toThrow()
  })
})

describe('the restore Job with oplog slices', () => {
  const base = {backupId: 'visitors-db-b1', database: 'visitors-db', image: 'mongo:7.0', location: locations[2][1], sizeLimit: '1Gi', targetSet: 'visitors-db-r4f2a', targetToolsSecret: 'visitors-db-r4f2a-backup-tools', purpose: 'restore' as const}
  const slice = (n: number): {location: ArchiveLocation} => ({location: {provider: 'local', bucket: 'demo-local', key: `backups/visitors/oplog/000000010${n}-s${n}/slice.bson.gz`}})

  test.each([
    [1, ['transfer', 'transfer-slice-1', 'restore'], 'replay-1'],
    [3, ['transfer', 'transfer-slice-1', 'transfer-slice-2', 'transfer-slice-3', 'restore', 'replay-1', 'replay-2'], 'replay-3'],
  ])('%i slice(s): every step in order as init containers, the last replay as the main container', (count, init, main) => {
    const job = renderRestoreJob({...base, oplogLimit: '1796281200:3', slices: Array.from({length: count}, (_, i) => slice(i + 1))})
    const spec = podSpec(job)
    expect(spec.initContainers.map((c) => c.name)).toEqual(init)
    expect(spec.containers.map((c) => c.name)).toEqual([main])
    const all = [...spec.initContainers, ...spec.containers]
    // The base archive: its own oplog, up to the limit.
    expect(all.find((c) => c.name === 'restore')?.args).toEqual(['--config=/etc/mongo-tools/config.yaml', '--gzip', '--archive=/backup/archive.gz', '--oplogReplay', '--oplogLimit=1796281200:3', '--stopOnError'])
    for (let n = 1; n <= count; n++) {
      const file = `/backup/slices/00${n}.bson.gz`
      expect(all.find((c) => c.name === `transfer-slice-${n}`)?.command).toEqual(['mygate-local-store', 'get', `local://demo-local/backups/visitors/oplog/000000010${n}-s${n}/slice.bson.gz`, file])
      // One oplog per mongorestore run (--oplogFile; never with --archive), the same exclusive limit.
      expect(all.find((c) => c.name === `replay-${n}`)?.args).toEqual(['--config=/etc/mongo-tools/config.yaml', '--oplogReplay', `--oplogFile=${file}`, '--gzip', '--oplogLimit=1796281200:3', '--dir=/replay-root'])
    }
    expect(spec.volumes.map((v) => v.name)).toEqual(['tools-config', 'backup', 'replay-root'])
    expect(() => new Job(job as never).validate()).not.toThrow()
  })

  test('no slices: the Job is the plain restore', () => {
    expect(renderRestoreJob({...base, slices: []})).toEqual(renderRestoreJob(base))
  })
})

describe('the oplog slice Job', () => {
  test.each([
    [undefined, '{"ts":{"$gte":{"$timestamp":{"t":1796281200,"i":3}}}}'],
    [{seconds: 1796281500, ordinal: 1}, '{"ts":{"$gte":{"$timestamp":{"t":1796281200,"i":3}},"$lte":{"$timestamp":{"t":1796281500,"i":1}}}}'],
  ])('upper bound %j: mongodump of local.oplog.rs for the ts range, one .bson.gz uploaded', (to, query) => {
    const location: ArchiveLocation = {provider: 'aws', bucket: 'mygate-demo-eu', key: 'backups/visitors/oplog/1796281200-20261203T070000Z-visitors-abc123/slice.bson.gz', encryptionKey: 'arn:aws:kms:eu-west-1:1:key/k'}
    const job = renderOplogSliceJob({sliceId: '20261203T070000Z-visitors-abc123', database: 'visitors-db', image: 'mongo:7.0', toolsSecret: 'visitors-db-backup-tools', location, from: {seconds: 1796281200, ordinal: 3}, ...(to ? {to} : {}), sizeLimit: '1Gi'})
    const spec = podSpec(job)
    expect(spec.initContainers.map((c) => [c.name, c.command, c.args])).toEqual([
      // Every $ doubled: the kubelet turns $$ back into $ (and would read $(X) as a variable).
      ['dump', ['mongodump'], ['--config=/etc/mongo-tools/config.yaml', '--readPreference=secondaryPreferred', '--db=local', '--collection=oplog.rs', `--query=${query.replace(/\$/g, '$$$$')}`, '--gzip', '--out=/backup/dump']],
    ])
    expect(spec.containers.map((c) => c.command)).toEqual([['aws', 's3', 'cp', '/backup/dump/local/oplog.rs.bson.gz', `s3://mygate-demo-eu/${location.key}`, '--sse', 'aws:kms', '--sse-kms-key-id', 'arn:aws:kms:eu-west-1:1:key/k', '--only-show-errors']])
    expect(spec.serviceAccountName).toBe('mygate-backup')
    expect(job.metadata.name).toBe('20261203t070000z-visitors-abc123-slice')
    expect(job.metadata.labels).toMatchObject({'mygate.dev/op': 'oplog-slice', 'mygate.dev/database': 'visitors-db'})
    expect(JSON.stringify(job)).not.toMatch(/password/i)
    expect(() => new Job(job as never).validate()).not.toThrow()
  })
})
