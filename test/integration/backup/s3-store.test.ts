import {execFileSync} from 'node:child_process'

import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {S3ObjectStore} from '../../../src/backup/storage/s3-store.js'
import {findOnPath, startMoto, type MotoServer} from '../../helpers/moto.js'
import {objectStoreContract} from '../../helpers/object-store-contract.js'

let moto: MotoServer
let counter = 0
const stores: S3ObjectStore[] = []

beforeAll(async () => {
  if (!findOnPath('aws')) throw new Error('the aws CLI is not on PATH: the S3 store tests check the bucket with it')
  moto = await startMoto()
})
afterAll(async () => {
  for (const store of stores) store.destroy()
  await moto?.stop()
})

async function ensure(region: string, bucket: string): Promise<S3ObjectStore> {
  const store = await S3ObjectStore.ensure({
    region,
    bucket,
    kmsKeyAlias: `alias/mygate-itest-${region}`,
    client: {endpoint: moto.endpoint, credentials: moto.credentials},
  })
  stores.push(store)
  return store
}

/** The aws CLI against moto, parsed JSON. */
function aws(region: string, ...args: string[]): Record<string, unknown> {
  const out = execFileSync('aws', ['--endpoint-url', moto.endpoint, '--region', region, '--output', 'json', ...args], {
    env: {...process.env, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_PAGER: ''},
    encoding: 'utf8',
  })
  return out.trim() === '' ? {} : (JSON.parse(out) as Record<string, unknown>)
}

describe('the S3 store keeps the ObjectStore contract (moto)', () => {
  objectStoreContract(
    async () => ensure('ap-south-1', `mygate-itest-a${++counter}`),
    async () => ensure('ap-southeast-1', `mygate-itest-b${++counter}`),
  )
})

describe('the S3 backup bucket as the aws CLI sees it', () => {
  test('objects are SSE-KMS with the region key; versioning on; lifecycle only expires noncurrent versions; public access blocked', async () => {
    const store = await ensure('ap-south-1', 'mygate-itest-checks')
    const put = await store.put('backups/visitors/base/b1/archive.gz', Buffer.from('archive'))
    const head = aws('ap-south-1', 's3api', 'head-object', '--bucket', 'mygate-itest-checks', '--key', 'backups/visitors/base/b1/archive.gz')
    expect(head.ServerSideEncryption).toBe('aws:kms')
    expect(head.SSEKMSKeyId).toBe(store.encryptionKeyId)
    expect(store.encryptionKeyId).toMatch(/^arn:aws:kms:ap-south-1:\d+:key\//)
    const alias = aws('ap-south-1', 'kms', 'describe-key', '--key-id', 'alias/mygate-itest-ap-south-1') as {KeyMetadata: {Arn: string}}
    expect(alias.KeyMetadata.Arn).toBe(store.encryptionKeyId)

    const tags = aws('ap-south-1', 's3api', 'get-object-tagging', '--bucket', 'mygate-itest-checks', '--key', 'backups/visitors/base/b1/archive.gz') as {TagSet: Array<{Key: string; Value: string}>}
    expect(tags.TagSet).toEqual([{Key: 'sha256', Value: put.sha256}])

    expect(aws('ap-south-1', 's3api', 'get-bucket-versioning', '--bucket', 'mygate-itest-checks')).toEqual({Status: 'Enabled'})
    const lifecycle = aws('ap-south-1', 's3api', 'get-bucket-lifecycle-configuration', '--bucket', 'mygate-itest-checks') as {Rules: Array<Record<string, unknown>>}
    expect(lifecycle.Rules).toHaveLength(1)
    expect(lifecycle.Rules[0]).toMatchObject({ID: 'mygate-expire-noncurrent-versions', Status: 'Enabled', NoncurrentVersionExpiration: {NoncurrentDays: 30}})
    expect(lifecycle.Rules[0].Expiration).toBeUndefined()
    const block = aws('ap-south-1', 's3api', 'get-public-access-block', '--bucket', 'mygate-itest-checks') as {PublicAccessBlockConfiguration: Record<string, boolean>}
    expect(block.PublicAccessBlockConfiguration).toEqual({BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true})
    const encryption = aws('ap-south-1', 's3api', 'get-bucket-encryption', '--bucket', 'mygate-itest-checks') as {ServerSideEncryptionConfiguration: {Rules: Array<{ApplyServerSideEncryptionByDefault: Record<string, string>}>}}
    expect(encryption.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault).toEqual({SSEAlgorithm: 'aws:kms', KMSMasterKeyID: store.encryptionKeyId})
  })

  test('a delete leaves the data as a noncurrent version; ensure converges when re-run', async () => {
    const store = await ensure('ap-south-1', 'mygate-itest-versions')
    await store.put('k', Buffer.from('one'))
    await store.delete('k')
    const versions = aws('ap-south-1', 's3api', 'list-object-versions', '--bucket', 'mygate-itest-versions') as {Versions: Array<{Key: string; IsLatest: boolean}>; DeleteMarkers: Array<{IsLatest: boolean}>}
    expect(versions.Versions.map((v) => [v.Key, v.IsLatest])).toEqual([['k', false]])
    expect(versions.DeleteMarkers.map((m) => m.IsLatest)).toEqual([true])
    const again = await ensure('ap-south-1', 'mygate-itest-versions')
    expect(again.encryptionKeyId).toBe(store.encryptionKeyId)
  })
})
