import {ExternalError, NotFoundError} from '../../errors.js'
import {DEFAULT_SITE_ENDPOINTS, type IamPolicy, type SiteRequest, backupServiceAccountEmail, withBinding} from './backup-site.js'

/**
 * `backup restore --from-env OLD` on GCP: the restore Job runs as NEW's backup service account
 * (Workload Identity, backup-site.ts), which holds roles only on NEW's bucket and key. For the
 * duration of the restore that account is added, as a member, to two bindings on OLD's resources:
 * - roles/storage.objectViewer in OLD's bucket IAM policy (list and read objects, nothing else;
 *   https://cloud.google.com/storage/docs/access-control/iam-roles), read and written through the
 *   JSON API's `b/BUCKET/iam` (https://cloud.google.com/storage/docs/json_api/v1/buckets/setIamPolicy);
 * - roles/cloudkms.cryptoKeyDecrypter on OLD's key in OLD's key ring of that region (the archives
 *   are CMEK-encrypted: GCS decrypts on read with the caller's permission on the key;
 *   https://cloud.google.com/storage/docs/encryption/customer-managed-keys), through Cloud KMS
 *   `:getIamPolicy`/`:setIamPolicy` (https://cloud.google.com/kms/docs/reference/rest/v1/projects.locations.keyRings.cryptoKeys/setIamPolicy).
 * Every edit is a read-modify-write guarded by the policy's etag, retried whole on a conflict
 * (409 from Cloud KMS, 412 from Cloud Storage), as Google asks (https://cloud.google.com/iam/docs/policies#etag).
 *
 * revoke() takes NEW's account out of those two bindings only: the other members of the roles
 * and every other binding stay as they are. A restore killed before revoke leaves the member in
 * place; the re-run finds it (nothing to write), reuses it, and removes it at its end. The member
 * is the grant's to remove even when it was there before (a killed run cannot be told from a
 * hand-made binding of the same role to the same account, and NEW's backup account needs no
 * standing access to another environment's backups).
 */

export const RESTORE_BUCKET_ROLE = 'roles/storage.objectViewer'
export const RESTORE_KEY_ROLE = 'roles/cloudkms.cryptoKeyDecrypter'

/** Pure: the policy without `member` in `role`'s binding (a binding left empty is dropped), and whether that changed anything. */
export function withoutBinding(policy: IamPolicy, role: string, member: string): {policy: IamPolicy; changed: boolean} {
  const binding = (policy.bindings ?? []).find((b) => b.role === role)
  if (!binding?.members.includes(member)) return {policy, changed: false}
  const bindings = (policy.bindings ?? [])
    .map((b) => (b.role === role ? {...b, members: b.members.filter((m) => m !== member)} : {...b, members: [...b.members]}))
    .filter((b) => b.members.length > 0)
  return {policy: {...policy, bindings}, changed: true}
}

export interface RestoreGrant {
  /** What was granted, for the run's progress line. */
  description: string
  revoke(): Promise<void>
}

export interface GcpRestoreGrantInput {
  /** The project of both environments (OLD's site is looked for in NEW's project: cross-env-source.ts). */
  project: string
  /** NEW: the environment restored into, whose backup service account gets the grant. */
  environment: string
  fromEnv: string
  /** OLD's bucket and its Cloud KMS key (projects/P/locations/REGION/keyRings/R/cryptoKeys/K). */
  bucket: string
  key: string
  /** An authorized JSON call (the OAuth client of Application Default Credentials). */
  request: SiteRequest
  endpoints?: Partial<{kms: string; storage: string}>
  /** Attempts of one read-modify-write against concurrent writers. Default 5. */
  maxAttempts?: number
}

/** A policy written over a newer one (stale etag). */
class PolicyConflict extends ExternalError {}

interface PolicyTarget {
  /** What the policy belongs to, for messages: `backup bucket gs://B` or `Cloud KMS key K`. */
  what: string
  read(): Promise<IamPolicy>
  write(policy: IamPolicy): Promise<void>
}

async function call(input: GcpRestoreGrantInput, what: string, method: 'GET' | 'POST' | 'PUT', url: string, data?: unknown): Promise<unknown> {
  const answer = await input.request({url, method, ...(data === undefined ? {} : {data})})
  if (answer.status >= 200 && answer.status < 300) return answer.data
  const message = (answer.data as {error?: {message?: string}} | undefined)?.error?.message ?? `HTTP ${answer.status}`
  if (answer.status === 404) {
    throw new NotFoundError(`${what} of ${input.fromEnv} does not exist (${message})`, {
      hint: `check --from-env ${input.fromEnv}: its backup site is made by \`mygate env create ${input.fromEnv}\` and kept by \`env destroy\` unless --delete-backups`,
    })
  }
  const Failure = method !== 'GET' && (answer.status === 409 || answer.status === 412) ? PolicyConflict : ExternalError
  throw new Failure(`GCP ${method} ${url.replace(/^https?:\/\/[^/]+/, '')} failed: ${message}`, {
    hint: `you need permission to change IAM policies of ${what} (roles/storage.admin, roles/cloudkms.admin or equivalent); then re-run the restore`,
  })
}

function bucketPolicy(input: GcpRestoreGrantInput, storage: string): PolicyTarget {
  const what = `backup bucket gs://${input.bucket}`
  const url = `${storage}/storage/v1/b/${encodeURIComponent(input.bucket)}/iam`
  return {
    what,
    read: async () => (await call(input, what, 'GET', url)) as IamPolicy,
    write: async (policy) => void (await call(input, what, 'PUT', url, policy)),
  }
}

function keyPolicy(input: GcpRestoreGrantInput, kms: string): PolicyTarget {
  const what = `Cloud KMS key ${input.key}`
  return {
    what,
    read: async () => (await call(input, what, 'POST', `${kms}/v1/${input.key}:getIamPolicy`, {})) as IamPolicy,
    write: async (policy) => void (await call(input, what, 'POST', `${kms}/v1/${input.key}:setIamPolicy`, {policy})),
  }
}

type PolicyEdit = (policy: IamPolicy) => {policy: IamPolicy; changed: boolean}

/** Read, edit, write with the etag read; a conflict retries the whole cycle with backoff. Returns whether anything was written. */
async function editPolicy(target: PolicyTarget, edit: PolicyEdit, maxAttempts: number): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const next = edit(await target.read())
    if (!next.changed) return false
    try {
      await target.write(next.policy)
      return true
    } catch (error) {
      if (!(error instanceof PolicyConflict) || attempt >= maxAttempts) throw error
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt * Math.random()))
    }
  }
}

export async function grantGcpRestoreRead(input: GcpRestoreGrantInput): Promise<RestoreGrant> {
  const {kms, storage} = {...DEFAULT_SITE_ENDPOINTS, ...input.endpoints}
  const maxAttempts = input.maxAttempts ?? 5
  const email = backupServiceAccountEmail(input.project, input.environment)
  const member = `serviceAccount:${email}`
  const grants: Array<{target: PolicyTarget; role: string}> = [
    {target: bucketPolicy(input, storage.replace(/\/$/, '')), role: RESTORE_BUCKET_ROLE},
    {target: keyPolicy(input, kms.replace(/\/$/, '')), role: RESTORE_KEY_ROLE},
  ]

  async function revoke(): Promise<void> {
    // Both are attempted: a failure on one must not leave the other granted.
    const failures: unknown[] = []
    for (const {target, role} of [...grants].reverse()) {
      try {
        await editPolicy(target, (policy) => withoutBinding(policy, role, member), maxAttempts)
      } catch (error) {
        // Gone since (OLD's backups deleted meanwhile): nothing left to revoke there.
        if (!(error instanceof NotFoundError)) failures.push(error)
      }
    }
    if (failures.length > 0) throw failures[0]
  }

  try {
    for (const {target, role} of grants) await editPolicy(target, (policy) => withBinding(policy, role, member), maxAttempts)
  } catch (error) {
    // The bucket granted and the key refused: take the bucket's grant back before speaking.
    await revoke().catch(() => undefined)
    throw error
  }
  return {
    description: `service account ${email} may read gs://${input.bucket} (${RESTORE_BUCKET_ROLE}) and decrypt with ${input.key} (${RESTORE_KEY_ROLE}) until the restore ends`,
    revoke,
  }
}
