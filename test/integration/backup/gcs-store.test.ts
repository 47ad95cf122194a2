import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {GcsObjectStore} from '../../../src/backup/storage/gcs-store.js'
import {ExternalError} from '../../../src/errors.js'
import {startGcsFake, type GcsFake} from '../../helpers/gcs-fake.js'
import {objectStoreContract} from '../../helpers/object-store-contract.js'

let fake: GcsFake
let counter = 0
beforeAll(async () => {
  fake = await startGcsFake()
})
afterAll(async () => {
  await fake?.stop()
})

const keyIn = (region: string) => `projects/mygate-test/locations/${region}/keyRings/mygate/cryptoKeys/mygate-itest-${region}`

function ensure(region: string, bucket: string): Promise<GcsObjectStore> {
  return GcsObjectStore.ensure({project: 'mygate-test', region, bucket, kmsKeyName: keyIn(region), endpoint: fake.endpoint, accessToken: async () => 'test-token'})
}

describe('the GCS store keeps the ObjectStore contract (JSON API fake)', () => {
  objectStoreContract(
    () => ensure('asia-south1', `mygate-itest-a${++counter}`),
    () => ensure('asia-southeast1', `mygate-itest-b${++counter}`),
  )
})

describe('the GCS backup bucket', () => {
  test('versioned, CMEK by default, public access prevented, lifecycle deletes only noncurrent versions', async () => {
    const store = await ensure('asia-south1', 'mygate-itest-settings')
    const bucket = fake.buckets.get('mygate-itest-settings')!
    expect(bucket.location).toBe('asia-south1')
    expect(bucket.settings).toEqual({
      versioning: {enabled: true},
      encryption: {defaultKmsKeyName: keyIn('asia-south1')},
      iamConfiguration: {publicAccessPrevention: 'enforced', uniformBucketLevelAccess: {enabled: true}},
      lifecycle: {rule: [{action: {type: 'Delete'}, condition: {isLive: false, daysSinceNoncurrentTime: 30}}]},
    })
    const put = await store.put('backups/users/base/b1/archive.gz', Buffer.from('archive'))
    const stored = bucket.objects.find((o) => o.name === 'backups/users/base/b1/archive.gz')!
    expect(stored.kmsKeyName).toBe(keyIn('asia-south1'))
    expect(stored.metadata['mygate-sha256']).toBe(put.sha256)
    // The SHA-256 patch changed the metadata generation only: still one version.
    expect(bucket.objects.filter((o) => o.name === 'backups/users/base/b1/archive.gz')).toHaveLength(1)
    expect(stored.metageneration).toBe(2)
    await store.delete('backups/users/base/b1/archive.gz')
    expect(bucket.objects.filter((o) => o.name === 'backups/users/base/b1/archive.gz').map((o) => o.live)).toEqual([false])
  })

  test('ensure on an existing bucket converges its settings', async () => {
    await ensure('asia-south1', 'mygate-itest-converge')
    fake.buckets.get('mygate-itest-converge')!.settings.versioning = {enabled: false}
    await ensure('asia-south1', 'mygate-itest-converge')
    expect(fake.buckets.get('mygate-itest-converge')!.settings.versioning).toEqual({enabled: true})
  })

  test('a key from another region is refused by name', async () => {
    const wrong = GcsObjectStore.ensure({project: 'mygate-test', region: 'asia-south1', bucket: 'mygate-itest-wrongkey', kmsKeyName: keyIn('europe-west1'), endpoint: fake.endpoint, accessToken: async () => 't'})
    await expect(wrong).rejects.toBeInstanceOf(ExternalError)
    await expect(wrong).rejects.toThrow(/HTTP 400 Cloud KMS key .*europe-west1.* is not in the bucket's location asia-south1/)
  })
})
