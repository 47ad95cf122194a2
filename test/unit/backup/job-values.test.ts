import {Job} from 'kubernetes-models/batch/v1/Job'
import {describe, expect, test} from 'vitest'

import {renderDumpJob, renderRestoreJob} from '../../../src/backup/jobs/job-values.js'
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
