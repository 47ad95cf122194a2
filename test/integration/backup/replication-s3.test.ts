import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'

import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {listCatalog, putBaseBackup, putOplogSlice} from '../../../src/backup/catalog/catalog-store.js'
import {replicateCatalog} from '../../../src/backup/replication/replicate-catalog.js'
import {readSmallObject} from '../../../src/backup/storage/object-store.js'
import {S3ObjectStore} from '../../../src/backup/storage/s3-store.js'
import {findOnPath, startMoto, type MotoServer} from '../../helpers/moto.js'
import {testBackup, testSlice} from '../../unit/backup/catalog-builders.js'

/**
 * Cross-region copies on moto: a base backup and an oplog slice in ap-south-1's bucket (SSE-KMS
 * with that region's key) are copied to ap-southeast-1's bucket, re-encrypted with ap-southeast-1's
 * own KMS key (checked with the aws CLI), byte for byte the same, and listed there with entries
 * that name the new key; a second run copies nothing.
 */
let moto: MotoServer
const stores: S3ObjectStore[] = []

beforeAll(async () => {
  if (!findOnPath('aws')) throw new Error('the aws CLI is not on PATH: the replication test checks the buckets with it')
  moto = await startMoto()
})
afterAll(async () => {
  for (const store of stores) store.destroy()
  await moto?.stop()
})

async function ensure(region: string, bucket: string): Promise<S3ObjectStore> {
  const store = await S3ObjectStore.ensure({region, bucket, kmsKeyAlias: `alias/mygate-demo-${region}`, client: {endpoint: moto.endpoint, credentials: moto.credentials}})
  stores.push(store)
  return store
}

function aws(region: string, ...args: string[]): Record<string, unknown> {
  const out = execFileSync('aws', ['--endpoint-url', moto.endpoint, '--region', region, '--output', 'json', ...args], {
    env: {...process.env, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_PAGER: ''},
    encoding: 'utf8',
  })
  return out.trim() === '' ? {} : (JSON.parse(out) as Record<string, unknown>)
}

describe('cross-region copies of the catalog (S3 on moto, a KMS key per region)', () => {
  test('every backup and slice lands in the secondary bucket re-encrypted with its region key; a re-run copies nothing', async () => {
    const primary = await ensure('ap-south-1', 'mygate-demo-ap-south-1-backups')
    const secondary = await ensure('ap-southeast-1', 'mygate-demo-ap-southeast-1-backups')
    expect(primary.encryptionKeyId).not.toBe(secondary.encryptionKeyId)

    const archive = randomBytes(300_000)
    const sliceBytes = randomBytes(40_000)
    const {archive: _a, encryptionKeyId: _k, verifications: _v, ...draft} = testBackup({last: '1796281200:1'})
    const base = await putBaseBackup(primary, draft, archive)
    const {object: _o, encryptionKeyId: _s, ...sliceDraft} = testSlice('1796281200:1', '1796281500:4')
    const slice = await putOplogSlice(primary, sliceDraft, sliceBytes)
    expect(base.encryptionKeyId).toBe(primary.encryptionKeyId)

    const copied = await replicateCatalog(primary, secondary)
    expect(copied).toMatchObject({from: 's3://mygate-demo-ap-south-1-backups', to: 's3://mygate-demo-ap-southeast-1-backups', present: 0})
    expect(copied.copied.map((c) => [c.kind, c.id, c.bytes, c.encryptionKeyId])).toEqual([
      ['base', base.id, archive.length, secondary.encryptionKeyId],
      ['oplog-slice', slice.id, sliceBytes.length, secondary.encryptionKeyId],
    ])

    // As the aws CLI sees the secondary bucket: SSE-KMS with ITS region's key.
    for (const key of [base.archive.key, slice.object.key]) {
      const head = aws('ap-southeast-1', 's3api', 'head-object', '--bucket', 'mygate-demo-ap-southeast-1-backups', '--key', key)
      expect(head.ServerSideEncryption).toBe('aws:kms')
      expect(head.SSEKMSKeyId).toBe(secondary.encryptionKeyId)
      expect(String(head.SSEKMSKeyId)).toMatch(/^arn:aws:kms:ap-southeast-1:/)
    }
    expect(await readSmallObject(secondary, base.archive.key)).toEqual(archive)
    expect(await readSmallObject(secondary, slice.object.key)).toEqual(sliceBytes)

    // The secondary lists what it holds; its entries name its own key and the same content.
    const listed = await listCatalog(secondary)
    expect(listed.backups).toEqual([{...base, encryptionKeyId: secondary.encryptionKeyId}])
    expect(listed.slices).toEqual([{...slice, encryptionKeyId: secondary.encryptionKeyId}])

    const again = await replicateCatalog(primary, secondary)
    expect(again.copied).toEqual([])
    expect(again.present).toBe(2)
  }, 120_000)
})
