import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {GcsObjectStore} from '../../../src/backup/storage/gcs-store.js'
import {createGcpProvider} from '../../../src/providers/gcp/index.js'
import type {ClusterHandle, ClusterProvider} from '../../../src/providers/types.js'
import {testEnvironment, testService} from '../../helpers/builders.js'
import {type GcpSiteFake, startGcpSiteFake} from '../../helpers/gcp-site-fake.js'
import {type GcsFake, startGcsFake} from '../../helpers/gcs-fake.js'
import {type GkeFake, FAKE_ACCESS_TOKEN, startGkeFake} from '../../helpers/gke-fake.js'

/**
 * The backup site env create makes on GCP, against fakes of GKE, Cloud Storage, Cloud KMS and
 * IAM: a customer-managed key in the region, the bucket (versioning, that key by default, a
 * lifecycle rule that deletes only noncurrent versions), a Google service account the backup Jobs'
 * ServiceAccount impersonates through Workload Identity (enabled on the cluster), with roles on
 * that bucket and key only; a re-run writes no IAM, key or account; destroy keeps bucket and key
 * unless deleteBackups, which deletes every generation and the bucket and destroys the key's versions.
 */
const PROJECT = 'mygate-site-project'
const REGION = 'europe-west1'
const BUCKET = `mygate-gsite-${REGION}-backups`
const KEY = `projects/${PROJECT}/locations/${REGION}/keyRings/mygate-gsite-backups/cryptoKeys/mygate-gsite-${REGION}-backups`
const EMAIL = `mygate-backup-gsite@${PROJECT}.iam.gserviceaccount.com`

let gke: GkeFake
let gcs: GcsFake
let site: GcpSiteFake
let home: string
let provider: ClusterProvider
const env = testEnvironment({name: 'gsite', provider: 'gcp', regions: {primary: REGION}, gcp: {project: PROJECT, kubernetesVersion: '1.30'}})
const progress = {update() {}}

beforeAll(async () => {
  ;[gke, gcs, site] = await Promise.all([startGkeFake(), startGcsFake(), startGcpSiteFake()])
  home = await mkdtemp(join(tmpdir(), 'mygate-gcp-site-'))
  provider = createGcpProvider({
    services: [testService({name: 'visitors'})],
    clientOptions: gke.clientOptions,
    computeEndpoint: gke.computeEndpoint,
    siteEndpoints: {...site.endpoints, storage: gcs.endpoint},
    pollIntervalMs: 10,
    timeoutMs: 5000,
    processEnv: {MYGATE_HOME: home},
  })
})
afterAll(async () => {
  await Promise.all([gke?.stop(), gcs?.stop(), site?.stop()])
  if (home) await rm(home, {recursive: true, force: true})
})

const members = (policy: {bindings: Array<{role: string; members: string[]}>} | undefined, role: string) => policy?.bindings.find((b) => b.role === role)?.members.sort()

describe('the backup site of a GCP environment (GKE, GCS, KMS and IAM fakes)', () => {
  let handle: ClusterHandle

  test('ensureClusters makes the key, the bucket and the Workload Identity of the backup Jobs', async () => {
    ;[handle] = await provider.ensureClusters(env, progress)
    expect(handle.backup).toEqual({bucket: BUCKET, encryptionKey: KEY, serviceAccountAnnotations: {'iam.gke.io/gcp-service-account': EMAIL}})

    const bucket = gcs.buckets.get(BUCKET)!
    expect(bucket.location).toBe(REGION)
    expect(bucket.settings).toMatchObject({versioning: {enabled: true}, encryption: {defaultKmsKeyName: KEY}})
    // Only noncurrent versions are deleted by the bucket; current ones are mygate's to keep or prune.
    expect(bucket.settings.lifecycle).toEqual({rule: [{action: {type: 'Delete'}, condition: {isLive: false, daysSinceNoncurrentTime: 30}}]})

    expect(site.keys.get(KEY)?.versions).toEqual(['ENABLED'])
    expect(members(site.policies.get(KEY), 'roles/cloudkms.cryptoKeyEncrypterDecrypter')).toEqual([
      `serviceAccount:${EMAIL}`,
      'serviceAccount:service-123456789@gs-project-accounts.iam.gserviceaccount.com',
    ])
    expect(bucket.iam?.bindings).toEqual([{role: 'roles/storage.objectAdmin', members: [`serviceAccount:${EMAIL}`]}])
    expect(site.policies.get(`serviceAccounts/${EMAIL}`)?.bindings).toEqual([
      {role: 'roles/iam.workloadIdentityUser', members: [`serviceAccount:${PROJECT}.svc.id.goog[mygate-data/mygate-backup]`]},
    ])
    // Workload Identity is asked for when the cluster is created.
    const created = gke.requests.find((r) => r.method === 'POST' && r.path === `/v1/projects/${PROJECT}/locations/${REGION}/clusters`)
    expect(created?.body).toMatchObject({cluster: {workloadIdentityConfig: {workloadPool: `${PROJECT}.svc.id.goog`}}})
  })

  test('a re-run creates nothing and changes no policy', async () => {
    site.requests.length = 0
    gcs.requests.length = 0
    const [again] = await provider.ensureClusters(env, progress)
    expect(again.backup).toEqual(handle.backup)
    expect(site.requests.filter((r) => !r.startsWith('GET') && !r.endsWith(':getIamPolicy'))).toEqual([])
    // Read first: no bucket create or patch, no IAM write.
    expect(gcs.requests.filter((r) => !r.startsWith('GET'))).toEqual([])
  })

  test('destroy keeps bucket and key and removes the account; deleteBackups deletes every generation and destroys the key versions', async () => {
    const store = await GcsObjectStore.open({project: PROJECT, region: REGION, bucket: BUCKET, kmsKeyName: KEY, endpoint: gcs.endpoint, accessToken: async () => FAKE_ACCESS_TOKEN})
    await store.put('visitors/a.json', Buffer.from('one'))
    await store.put('visitors/a.json', Buffer.from('two'))
    await store.delete('visitors/a.json')

    const kept = await provider.destroyClusters(env, progress)
    expect(kept.leftBehind).toEqual([])
    expect(kept.kept?.map((k) => k.resource)).toEqual([`backup bucket gs://${BUCKET}`, `Cloud KMS key ${KEY}`])
    expect(kept.removed).toContain(`service account ${EMAIL}`)
    expect(gcs.buckets.has(BUCKET)).toBe(true)
    expect(site.serviceAccounts.has(EMAIL)).toBe(false)

    const deleted = await provider.destroyClusters(env, progress, {deleteBackups: true})
    expect(deleted.leftBehind).toEqual([])
    expect(deleted.kept).toEqual([])
    expect(deleted.removed).toEqual(expect.arrayContaining([`backup bucket gs://${BUCKET} (2 object generations)`, expect.stringMatching(/^Cloud KMS key .* scheduled for destruction/)]))
    expect(gcs.buckets.has(BUCKET)).toBe(false)
    expect(site.keys.get(KEY)?.versions).toEqual(['DESTROY_SCHEDULED'])
  })
})
