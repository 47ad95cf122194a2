import {GcsObjectStore} from '../../backup/storage/gcs-store.js'
import {BACKUP_SERVICE_ACCOUNT} from '../../backup/jobs/transfer.js'
import {backupBucketName, gcpBackupKeyName, gcpBackupServiceAccountId, type BackupSiteHandle} from '../../backup/site/site-names.js'
import {NAMESPACES} from '../../config/types.js'
import {ExternalError} from '../../errors.js'
import type {DestroyReport, Progress} from '../types.js'
import type {AuthorizedRequest} from './compute.js'

/**
 * A region's backup site on GCP: a Cloud KMS key in the region (GCS requires a customer-managed
 * key in the bucket's location), the bucket (GcsObjectStore.ensure: versioning, that key by
 * default, noncurrent-only lifecycle), and the identity backup Jobs use, GKE Workload Identity
 * (https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity): a Google service
 * account that the `mygate-backup` Kubernetes ServiceAccount may impersonate
 * (roles/iam.workloadIdentityUser for `PROJECT.svc.id.goog[mygate-data/mygate-backup]`), with
 * roles/storage.objectAdmin on that bucket and roles/cloudkms.cryptoKeyEncrypterDecrypter on that
 * key. The Cloud Storage service agent gets the key role too: CMEK buckets need it
 * (https://cloud.google.com/storage/docs/encryption/using-customer-managed-keys#prereqs).
 * Read first, written only when different (IAM policies carry their etag back), so a re-run changes nothing.
 */

export const GCP_SA_ANNOTATION = 'iam.gke.io/gcp-service-account'

/** An authorized JSON call (the GKE client's OAuth client); answers every status, never throws on one. */
/** The same authorized request the Compute client uses (one OAuth client per provider). */
export type SiteRequest = AuthorizedRequest

export interface GcpSiteContext {
  project: string
  envName: string
  region: string
  request: SiteRequest
  /** Access token for the storage store's own calls. */
  accessToken: () => Promise<string>
  endpoints: GcpSiteEndpoints
  progress: Progress
}

export interface GcpSiteEndpoints {
  kms: string
  iam: string
  storage: string
}

export const DEFAULT_SITE_ENDPOINTS: GcpSiteEndpoints = {
  kms: 'https://cloudkms.googleapis.com',
  iam: 'https://iam.googleapis.com',
  storage: 'https://storage.googleapis.com',
}

export interface IamPolicy {
  bindings?: Array<{role: string; members: string[]}>
  etag?: string
  version?: number
}

/** Pure: the policy with `member` in `role`'s binding, and whether that changed anything. */
export function withBinding(policy: IamPolicy, role: string, member: string): {policy: IamPolicy; changed: boolean} {
  const bindings = (policy.bindings ?? []).map((b) => ({...b, members: [...b.members]}))
  const binding = bindings.find((b) => b.role === role)
  if (binding?.members.includes(member)) return {policy, changed: false}
  if (binding) binding.members.push(member)
  else bindings.push({role, members: [member]})
  return {policy: {...policy, bindings}, changed: true}
}

export function backupServiceAccountEmail(project: string, envName: string): string {
  return `${gcpBackupServiceAccountId(envName)}@${project}.iam.gserviceaccount.com`
}

/** The Workload Identity member of the backup Jobs' Kubernetes ServiceAccount. */
export function workloadIdentityMember(project: string): string {
  return `serviceAccount:${project}.svc.id.goog[${NAMESPACES.data}/${BACKUP_SERVICE_ACCOUNT}]`
}

async function call(ctx: GcpSiteContext, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, data?: unknown, allowed: number[] = []): Promise<{status: number; data: unknown}> {
  const answer = await ctx.request({url, method, data})
  if ((answer.status >= 200 && answer.status < 300) || allowed.includes(answer.status)) return answer
  const message = (answer.data as {error?: {message?: string}} | undefined)?.error?.message ?? `HTTP ${answer.status}`
  const stale = /:setIamPolicy$|\/iam$/.test(url) && (answer.status === 409 || answer.status === 412)
  throw new (stale ? PolicyConflict : ExternalError)(`GCP ${method} ${url.replace(/^https?:\/\/[^/]+/, '')} failed: ${message}`, {hint: 'check the project, its enabled APIs (Cloud KMS, IAM) and your roles, then re-run (mygate converges)'})
}

async function ensureResource(ctx: GcpSiteContext, getUrl: string, createUrl: string, body: unknown, what: string): Promise<void> {
  if ((await call(ctx, 'GET', getUrl, undefined, [404])).status !== 404) return
  const created = await call(ctx, 'POST', createUrl, body, [409])
  if (created.status !== 409) ctx.progress.update(`${ctx.region}: created ${what}`)
}

/**
 * Read-modify-write of an IAM policy, the etag guarding the write. Regions are set up side by
 * side and share the service account's policy, so a conflict (409, or 412 from Cloud Storage) is
 * expected: the whole read-modify-write is retried with backoff, as Google asks
 * (https://cloud.google.com/iam/docs/policies#etag).
 */
async function ensureBinding(read: () => Promise<IamPolicy>, write: (policy: IamPolicy) => Promise<unknown>, role: string, members: string[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    let policy = await read()
    let changed = false
    for (const member of members) {
      const next = withBinding(policy, role, member)
      policy = next.policy
      changed ||= next.changed
    }
    if (!changed) return
    try {
      await write(policy)
      return
    } catch (error) {
      if (!(error instanceof PolicyConflict) || attempt >= 5) throw error
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt * Math.random()))
    }
  }
}

/** A policy written over a newer one (stale etag). */
class PolicyConflict extends ExternalError {}

/** Makes (or converges) the region's key, bucket and Job identity; returns what the record keeps. */
export async function ensureGcpBackupSite(ctx: GcpSiteContext): Promise<BackupSiteHandle> {
  const {kms, iam, storage} = ctx.endpoints
  const {keyRing, key} = gcpBackupKeyName(ctx.project, ctx.envName, ctx.region)
  const ringParent = keyRing.slice(0, keyRing.lastIndexOf('/keyRings/'))
  await ensureResource(ctx, `${kms}/v1/${keyRing}`, `${kms}/v1/${ringParent}/keyRings?keyRingId=${encodeURIComponent(keyRing.split('/').pop()!)}`, {}, `key ring ${keyRing}`)
  await ensureResource(
    ctx,
    `${kms}/v1/${key}`,
    `${kms}/v1/${keyRing}/cryptoKeys?cryptoKeyId=${encodeURIComponent(key.split('/').pop()!)}`,
    {purpose: 'ENCRYPT_DECRYPT', labels: {'mygate-environment': ctx.envName, 'mygate-purpose': 'backups'}},
    `Cloud KMS key ${key}`,
  )
  const email = backupServiceAccountEmail(ctx.project, ctx.envName)
  await ensureResource(
    ctx,
    `${iam}/v1/projects/${ctx.project}/serviceAccounts/${email}`,
    `${iam}/v1/projects/${ctx.project}/serviceAccounts`,
    {accountId: gcpBackupServiceAccountId(ctx.envName), serviceAccount: {displayName: `mygate backups of ${ctx.envName}`}},
    `service account ${email}`,
  )
  const agent = (await call(ctx, 'GET', `${storage}/storage/v1/projects/${ctx.project}/serviceAccount`)).data as {email_address: string}
  // Before the bucket: GCS refuses a default key its service agent cannot use.
  await ensureBinding(
    async () => (await call(ctx, 'POST', `${kms}/v1/${key}:getIamPolicy`, {})).data as IamPolicy,
    (policy) => call(ctx, 'POST', `${kms}/v1/${key}:setIamPolicy`, {policy}),
    'roles/cloudkms.cryptoKeyEncrypterDecrypter',
    [`serviceAccount:${agent.email_address}`, `serviceAccount:${email}`],
  )
  const bucket = backupBucketName(ctx.envName, ctx.region)
  await GcsObjectStore.ensure({project: ctx.project, region: ctx.region, bucket, kmsKeyName: key, endpoint: storage, accessToken: ctx.accessToken})
  ctx.progress.update(`${ctx.region}: backup bucket ${bucket} (versioned, CMEK)`)
  await ensureBinding(
    async () => (await call(ctx, 'GET', `${storage}/storage/v1/b/${bucket}/iam`)).data as IamPolicy,
    (policy) => call(ctx, 'PUT', `${storage}/storage/v1/b/${bucket}/iam`, policy),
    'roles/storage.objectAdmin',
    [`serviceAccount:${email}`],
  )
  await ensureBinding(
    async () => (await call(ctx, 'POST', `${iam}/v1/projects/${ctx.project}/serviceAccounts/${email}:getIamPolicy`, {})).data as IamPolicy,
    (policy) => call(ctx, 'POST', `${iam}/v1/projects/${ctx.project}/serviceAccounts/${email}:setIamPolicy`, {policy}),
    'roles/iam.workloadIdentityUser',
    [workloadIdentityMember(ctx.project)],
  )
  return {bucket, encryptionKey: key, serviceAccountAnnotations: {[GCP_SA_ANNOTATION]: email}}
}

/**
 * env destroy's part for a region's backups: kept by default (reported as kept). With
 * `deleteBackups`: every object generation, the bucket, and every version of the key scheduled
 * for destruction (Cloud KMS never deletes a key or key ring, only its versions' material, after
 * the key's scheduled-destruction period: 30 days unless set otherwise).
 */
export async function settleGcpBackupSite(ctx: GcpSiteContext, deleteBackups: boolean, report: DestroyReport): Promise<void> {
  const {kms, storage} = ctx.endpoints
  const bucket = backupBucketName(ctx.envName, ctx.region)
  const {key} = gcpBackupKeyName(ctx.project, ctx.envName, ctx.region)
  try {
    const exists = (await call(ctx, 'GET', `${storage}/storage/v1/b/${bucket}`, undefined, [404])).status !== 404
    const keyExists = (await call(ctx, 'GET', `${kms}/v1/${key}`, undefined, [404])).status !== 404
    if (!deleteBackups) {
      if (exists) report.kept!.push({resource: `backup bucket gs://${bucket}`, reason: 'backups outlive the environment (pass --delete-backups to delete them)'})
      if (keyExists) report.kept!.push({resource: `Cloud KMS key ${key}`, reason: 'it decrypts the kept backups'})
      return
    }
    if (exists) {
      let deleted = 0
      let pageToken: string | undefined
      do {
        const query = new URLSearchParams({versions: 'true', maxResults: '1000', ...(pageToken ? {pageToken} : {})})
        const page = (await call(ctx, 'GET', `${storage}/storage/v1/b/${bucket}/o?${query}`)).data as {items?: Array<{name: string; generation: string}>; nextPageToken?: string}
        for (const item of page.items ?? []) {
          await call(ctx, 'DELETE', `${storage}/storage/v1/b/${bucket}/o/${encodeURIComponent(item.name)}?generation=${item.generation}`, undefined, [404])
          deleted++
        }
        pageToken = page.nextPageToken
      } while (pageToken)
      await call(ctx, 'DELETE', `${storage}/storage/v1/b/${bucket}`)
      report.removed.push(`backup bucket gs://${bucket} (${deleted} object generations)`)
    }
    if (keyExists) {
      const versions = (await call(ctx, 'GET', `${kms}/v1/${key}/cryptoKeyVersions?filter=${encodeURIComponent('state=ENABLED OR state=DISABLED')}`)).data as {cryptoKeyVersions?: Array<{name: string}>}
      for (const version of versions.cryptoKeyVersions ?? []) await call(ctx, 'POST', `${kms}/v1/${version.name}:destroy`, {})
      report.removed.push(`Cloud KMS key ${key} (its versions scheduled for destruction; Cloud KMS keeps the key's name)`)
    }
  } catch (error) {
    report.leftBehind.push({resource: `backup bucket gs://${bucket} and key ${key}`, reason: (error as Error).message})
  }
}
