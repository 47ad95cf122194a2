import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {grantReadOfOtherSite} from '../../../src/backup/restore/cross-env-grant.js'
import {backupBucketName, gcpBackupKeyName} from '../../../src/backup/site/site-names.js'
import {GcsObjectStore} from '../../../src/backup/storage/gcs-store.js'
import {type GcpSiteContext, type SiteRequest, ensureGcpBackupSite} from '../../../src/providers/gcp/backup-site.js'
import {RESTORE_BUCKET_ROLE, RESTORE_KEY_ROLE, grantGcpRestoreRead} from '../../../src/providers/gcp/restore-grant.js'
import {type GcpSiteFake, startGcpSiteFake} from '../../helpers/gcp-site-fake.js'
import {type GcsFake, startGcsFake} from '../../helpers/gcs-fake.js'

/**
 * The grant of a restore from another environment on GCP, over real HTTP against the Cloud
 * Storage and Cloud KMS/IAM fakes: OLD's and NEW's backup sites made as env create makes them;
 * during the restore NEW's backup service account is a member of objectViewer on OLD's bucket and
 * cryptoKeyDecrypter on OLD's key, after it is not; other members and OLD's own bindings stay
 * as they were; a run killed before its revoke is taken up by the re-run without a second binding.
 */
const PROJECT = 'mygate-grant-project'
const REGION = 'europe-west1'
const OLD_BUCKET = backupBucketName('old', REGION)
const OLD_KEY = gcpBackupKeyName(PROJECT, 'old', REGION).key
const NEW_MEMBER = `serviceAccount:mygate-backup-new@${PROJECT}.iam.gserviceaccount.com`
const OLD_MEMBER = `serviceAccount:mygate-backup-old@${PROJECT}.iam.gserviceaccount.com`
const AUDITOR = 'group:backup-auditors@example.com'
const TOKEN = 'fake-token'

let gcs: GcsFake
let site: GcpSiteFake
let request: SiteRequest
let endpoints: {kms: string; storage: string}

const bucketBindings = () => gcs.buckets.get(OLD_BUCKET)?.iam?.bindings
const keyBindings = () => site.policies.get(OLD_KEY)?.bindings
const members = (bindings: Array<{role: string; members: string[]}> | undefined, role: string) => bindings?.find((b) => b.role === role)?.members ?? []
const writes = () => [...gcs.requests, ...site.requests].filter((r) => r.startsWith('PUT') || r.endsWith(':setIamPolicy'))

beforeAll(async () => {
  ;[gcs, site] = await Promise.all([startGcsFake(), startGcpSiteFake()])
  request = async ({url, method, data}) => {
    const response = await fetch(url, {method, headers: {authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json'}, ...(data === undefined ? {} : {body: JSON.stringify(data)})})
    const text = await response.text()
    return {status: response.status, data: text ? (JSON.parse(text) as unknown) : undefined}
  }
  endpoints = {kms: site.endpoints.kms, storage: gcs.endpoint}
  for (const envName of ['old', 'new']) {
    const ctx: GcpSiteContext = {project: PROJECT, envName, region: REGION, request, accessToken: async () => TOKEN, endpoints: {...site.endpoints, storage: gcs.endpoint}, progress: {update() {}}}
    await ensureGcpBackupSite(ctx)
  }
  // Someone else reads OLD's backups too (an auditors' group, granted by hand): never ours to touch.
  const bucket = gcs.buckets.get(OLD_BUCKET)!
  bucket.iam = {bindings: [...bucket.iam!.bindings, {role: RESTORE_BUCKET_ROLE, members: [AUDITOR]}], etag: `${bucket.iam!.etag}x`}
  const key = site.policies.get(OLD_KEY)!
  site.policies.set(OLD_KEY, {bindings: [...key.bindings, {role: RESTORE_KEY_ROLE, members: [AUDITOR]}], etag: `${key.etag}x`})
})
afterAll(async () => {
  await Promise.all([gcs?.stop(), site?.stop()])
})

async function oldStore(): Promise<GcsObjectStore> {
  return GcsObjectStore.open({project: PROJECT, region: REGION, bucket: OLD_BUCKET, kmsKeyName: OLD_KEY, endpoint: gcs.endpoint, accessToken: async () => TOKEN})
}

describe('the gcp restore grant (GCS, KMS and IAM fakes)', () => {
  test('bound during the restore, gone after it; the other members and OLD\'s own bindings untouched', async () => {
    const bucketBefore = structuredClone(bucketBindings())
    const keyBefore = structuredClone(keyBindings())
    const grant = await grantReadOfOtherSite({provider: 'gcp', environment: 'new', region: REGION, fromEnv: 'old', store: await oldStore(), processEnv: {}, gcp: {request, endpoints}})
    expect(grant?.description).toContain(`mygate-backup-new@${PROJECT}.iam.gserviceaccount.com may read gs://${OLD_BUCKET}`)

    expect(members(bucketBindings(), RESTORE_BUCKET_ROLE)).toEqual([AUDITOR, NEW_MEMBER])
    expect(members(keyBindings(), RESTORE_KEY_ROLE)).toEqual([AUDITOR, NEW_MEMBER])
    // Only those two roles: NEW gets no write on OLD's bucket, no encrypt with OLD's key.
    expect(members(bucketBindings(), 'roles/storage.objectAdmin')).toEqual([OLD_MEMBER])
    expect(members(keyBindings(), 'roles/cloudkms.cryptoKeyEncrypterDecrypter')).not.toContain(NEW_MEMBER)

    await grant!.revoke()
    expect(bucketBindings()).toEqual(bucketBefore)
    expect(keyBindings()).toEqual(keyBefore)
    // A second revoke (a re-run's finally) writes nothing.
    const before = writes().length
    await grant!.revoke()
    expect(writes().length).toBe(before)
  })

  test('a run killed before its revoke: the re-run reuses the binding (no write, no duplicate) and removes it', async () => {
    const killed = await grantGcpRestoreRead({project: PROJECT, environment: 'new', fromEnv: 'old', bucket: OLD_BUCKET, key: OLD_KEY, request, endpoints})
    expect(killed.description).toContain(OLD_KEY)
    const before = writes().length
    const rerun = await grantGcpRestoreRead({project: PROJECT, environment: 'new', fromEnv: 'old', bucket: OLD_BUCKET, key: OLD_KEY, request, endpoints})
    expect(writes().length).toBe(before)
    expect(members(bucketBindings(), RESTORE_BUCKET_ROLE)).toEqual([AUDITOR, NEW_MEMBER])
    expect(members(keyBindings(), RESTORE_KEY_ROLE)).toEqual([AUDITOR, NEW_MEMBER])

    await rerun.revoke()
    expect(members(bucketBindings(), RESTORE_BUCKET_ROLE)).toEqual([AUDITOR])
    expect(members(keyBindings(), RESTORE_KEY_ROLE)).toEqual([AUDITOR])
  })

  test('a writer between our read and write (stale etag, 412): the whole read-modify-write is redone, their change kept', async () => {
    let raced = false
    const racing: SiteRequest = async (call) => {
      if (!raced && call.method === 'PUT') {
        raced = true
        const bucket = gcs.buckets.get(OLD_BUCKET)!
        bucket.iam = {bindings: [...bucket.iam!.bindings, {role: 'roles/storage.legacyBucketReader', members: [AUDITOR]}], etag: `${bucket.iam!.etag}r`}
      }
      return request(call)
    }
    const grant = await grantGcpRestoreRead({project: PROJECT, environment: 'new', fromEnv: 'old', bucket: OLD_BUCKET, key: OLD_KEY, request: racing, endpoints})
    expect(raced).toBe(true)
    expect(members(bucketBindings(), RESTORE_BUCKET_ROLE)).toEqual([AUDITOR, NEW_MEMBER])
    expect(members(bucketBindings(), 'roles/storage.legacyBucketReader')).toEqual([AUDITOR])
    await grant.revoke()
    expect(members(bucketBindings(), RESTORE_BUCKET_ROLE)).toEqual([AUDITOR])
  })

  test('OLD\'s bucket missing: one line naming it', async () => {
    const bucket = backupBucketName('gone', REGION)
    await expect(grantGcpRestoreRead({project: PROJECT, environment: 'new', fromEnv: 'gone', bucket, key: gcpBackupKeyName(PROJECT, 'gone', REGION).key, request, endpoints})).rejects.toThrow(
      `backup bucket gs://${bucket} of gone does not exist`,
    )
  })

  test('OLD\'s key missing: one line naming it, and the bucket grant already made is taken back', async () => {
    const key = `projects/${PROJECT}/locations/${REGION}/keyRings/mygate-old-backups/cryptoKeys/missing`
    const bucketBefore = structuredClone(bucketBindings())
    await expect(grantGcpRestoreRead({project: PROJECT, environment: 'new', fromEnv: 'old', bucket: OLD_BUCKET, key, request, endpoints})).rejects.toThrow(`Cloud KMS key ${key} of old does not exist`)
    expect(bucketBindings()).toEqual(bucketBefore)
  })
})
