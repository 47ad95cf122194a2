import type {Cluster} from '@aws-sdk/client-eks'

import {S3ObjectStore, usesCustomEndpoint} from '../../backup/storage/s3-store.js'
import {awsBackupKeyAlias, backupBucketName, type BackupSiteHandle} from '../../backup/site/site-names.js'
import {BACKUP_SERVICE_ACCOUNT} from '../../backup/jobs/transfer.js'
import {NAMESPACES} from '../../config/types.js'
import {ConflictError, ExternalError} from '../../errors.js'
import type {DestroyReport} from '../types.js'
import type {AwsClientConfig} from './clients.js'
import type {RegionContext} from './context.js'
import {awsFailure, awsMessage, isAwsError} from './errors.js'
import {TAG, isOwnedBy, partitionOf, tagList, tagRecord} from './names.js'
import {boundedName} from '../naming.js'

/**
 * A region's backup site on AWS: the bucket and its KMS key (S3ObjectStore.ensure: versioning,
 * default SSE-KMS, noncurrent-only lifecycle, public access blocked), and the identity backup Jobs
 * use, IAM Roles for Service Accounts (https://docs.aws.amazon.com/eks/latest/userguide/iam-roles-for-service-accounts.html):
 * an IAM OIDC provider for the cluster's issuer, a role only the `mygate-backup` ServiceAccount of
 * the data namespace may assume through it, and an inline policy limited to that bucket and key.
 * Everything is read first and written only when it differs, so a re-run changes nothing.
 */

/** The audience EKS's pod identity webhook requests tokens for. */
const STS_AUDIENCE = 'sts.amazonaws.com'
const POLICY_NAME = 'mygate-backup-bucket'
export const ROLE_ARN_ANNOTATION = 'eks.amazonaws.com/role-arn'

export function backupRoleName(envName: string, region: string): string {
  return boundedName(`mygate-${envName}-${region}-backup`, 64)
}

/** The ServiceAccount subject the role trusts: `system:serviceaccount:NAMESPACE:NAME`. */
export const BACKUP_SUBJECT = `system:serviceaccount:${NAMESPACES.data}:${BACKUP_SERVICE_ACCOUNT}`

/** Pure: the trust policy of the backup role (web identity from the cluster's issuer, one subject). */
export function backupTrustPolicy(oidcProviderArn: string, issuerHost: string): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: {Federated: oidcProviderArn},
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {StringEquals: {[`${issuerHost}:sub`]: BACKUP_SUBJECT, [`${issuerHost}:aud`]: STS_AUDIENCE}},
      },
    ],
  }
}

/**
 * Pure: least privilege for backup Jobs: list the one bucket, read, write and delete its objects
 * (and their tags, where the store keeps the SHA-256), use the one key for SSE-KMS.
 */
export function backupBucketPolicy(bucket: string, keyArn: string, region: string): Record<string, unknown> {
  const s3 = `arn:${partitionOf(region)}:s3:::${bucket}`
  return {
    Version: '2012-10-17',
    Statement: [
      {Sid: 'ListTheBucket', Effect: 'Allow', Action: ['s3:ListBucket', 's3:GetBucketLocation'], Resource: s3},
      {Sid: 'ObjectsOfTheBucket', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:GetObjectTagging', 's3:PutObjectTagging'], Resource: `${s3}/*`},
      {Sid: 'TheBucketKey', Effect: 'Allow', Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'], Resource: keyArn},
    ],
  }
}

/** Makes (or converges) the region's bucket, key and Job identity; returns what the record keeps. */
export async function ensureAwsBackupSite(ctx: RegionContext, cluster: Cluster, clientConfig?: AwsClientConfig): Promise<BackupSiteHandle> {
  const bucket = backupBucketName(ctx.env.name, ctx.region)
  const store = await S3ObjectStore.ensure({region: ctx.region, bucket, kmsKeyAlias: awsBackupKeyAlias(ctx.env.name, ctx.region), client: clientConfig})
  store.destroy()
  ctx.progress.update(`${ctx.region}: backup bucket ${bucket} (versioned, SSE-KMS)`)
  const issuer = cluster.identity?.oidc?.issuer
  if (!issuer) {
    throw new ExternalError(`EKS cluster ${ctx.clusterName} reports no OIDC issuer, so backup Jobs cannot get an IAM role`, {
      hint: `re-run \`mygate env create ${ctx.env.name}\` once the cluster is ACTIVE`,
    })
  }
  const issuerHost = issuer.replace(/^https:\/\//, '')
  try {
    const providerArn = await ensureOidcProvider(ctx, issuerHost)
    const roleArn = await ensureBackupRole(ctx, backupTrustPolicy(providerArn, issuerHost), backupBucketPolicy(bucket, store.encryptionKeyId, ctx.region))
    return {bucket, encryptionKey: store.encryptionKeyId, serviceAccountAnnotations: {[ROLE_ARN_ANNOTATION]: roleArn}}
  } catch (error) {
    if (error instanceof ConflictError) throw error
    throw awsFailure(`setting up the backup identity of ${ctx.clusterName}`, error)
  }
}

async function ensureOidcProvider(ctx: RegionContext, issuerHost: string): Promise<string> {
  const {iam, sdk} = ctx.clients
  const listed = await iam.send(new sdk.iam.ListOpenIDConnectProvidersCommand({}))
  const found = listed.OpenIDConnectProviderList?.find((p) => p.Arn?.endsWith(`:oidc-provider/${issuerHost}`))
  if (found?.Arn) return found.Arn
  try {
    // No thumbprint: IAM obtains and trusts the issuer's certificate chain itself for EKS issuers
    // (CreateOpenIDConnectProvider, ThumbprintList is optional since 2023).
    const created = await iam.send(
      new sdk.iam.CreateOpenIDConnectProviderCommand({Url: `https://${issuerHost}`, ClientIDList: [STS_AUDIENCE], Tags: tagList({...ctx.tags, [TAG.component]: 'oidc-provider'})}),
    )
    ctx.progress.update(`${ctx.region}: created IAM OIDC provider for ${ctx.clusterName}`)
    return created.OpenIDConnectProviderArn!
  } catch (error) {
    if (!isAwsError(error, 'EntityAlreadyExists', 'EntityAlreadyExistsException')) throw error
    const again = await iam.send(new sdk.iam.ListOpenIDConnectProvidersCommand({}))
    return again.OpenIDConnectProviderList!.find((p) => p.Arn?.endsWith(`:oidc-provider/${issuerHost}`))!.Arn!
  }
}

/** IAM returns policy documents URL-encoded; compare them as data. */
function samePolicy(encoded: string | undefined, desired: Record<string, unknown>): boolean {
  if (!encoded) return false
  try {
    return JSON.stringify(JSON.parse(decodeURIComponent(encoded))) === JSON.stringify(desired)
  } catch {
    return false
  }
}

async function ensureBackupRole(ctx: RegionContext, trust: Record<string, unknown>, policy: Record<string, unknown>): Promise<string> {
  const {iam, sdk} = ctx.clients
  const RoleName = backupRoleName(ctx.env.name, ctx.region)
  let role
  try {
    role = (await iam.send(new sdk.iam.GetRoleCommand({RoleName}))).Role
  } catch (error) {
    if (!isAwsError(error, 'NoSuchEntity', 'NoSuchEntityException')) throw error
  }
  if (role && !isOwnedBy(tagRecord(role.Tags), ctx.env.name)) {
    throw new ConflictError(`IAM role ${RoleName} exists but was not created by mygate for environment ${ctx.env.name}`, {hint: 'delete that role, or use another environment name'})
  }
  if (!role) {
    role = (
      await iam.send(
        new sdk.iam.CreateRoleCommand({
          RoleName,
          AssumeRolePolicyDocument: JSON.stringify(trust),
          Description: `mygate backup Jobs of ${ctx.clusterName} (IRSA)`,
          Tags: tagList({...ctx.tags, [TAG.component]: 'backup-role'}),
        }),
      )
    ).Role!
    ctx.progress.update(`${ctx.region}: created IAM role ${RoleName} for backup Jobs`)
  } else if (!samePolicy(role.AssumeRolePolicyDocument, trust)) {
    // A re-created cluster has a new issuer: the role must trust that one.
    await iam.send(new sdk.iam.UpdateAssumeRolePolicyCommand({RoleName, PolicyDocument: JSON.stringify(trust)}))
  }
  let current: string | undefined
  try {
    current = (await iam.send(new sdk.iam.GetRolePolicyCommand({RoleName, PolicyName: POLICY_NAME}))).PolicyDocument
  } catch (error) {
    if (!isAwsError(error, 'NoSuchEntity', 'NoSuchEntityException')) throw error
  }
  if (!samePolicy(current, policy)) await iam.send(new sdk.iam.PutRolePolicyCommand({RoleName, PolicyName: POLICY_NAME, PolicyDocument: JSON.stringify(policy)}))
  return role.Arn!
}

/** Removes the backup role and the cluster's OIDC provider (both die with the cluster; the bucket and key do not). */
export async function destroyBackupIdentity(ctx: RegionContext, report: DestroyReport): Promise<void> {
  const {iam, sdk} = ctx.clients
  const RoleName = backupRoleName(ctx.env.name, ctx.region)
  try {
    const role = (await iam.send(new sdk.iam.GetRoleCommand({RoleName}))).Role
    if (isOwnedBy(tagRecord(role?.Tags), ctx.env.name)) {
      const inline = await iam.send(new sdk.iam.ListRolePoliciesCommand({RoleName}))
      for (const PolicyName of inline.PolicyNames ?? []) await iam.send(new sdk.iam.DeleteRolePolicyCommand({RoleName, PolicyName}))
      await iam.send(new sdk.iam.DeleteRoleCommand({RoleName}))
      report.removed.push(`IAM role ${RoleName}`)
    }
  } catch (error) {
    if (!isAwsError(error, 'NoSuchEntity', 'NoSuchEntityException')) report.leftBehind.push({resource: `IAM role ${RoleName}`, reason: awsMessage(error)})
  }
  try {
    const listed = await iam.send(new sdk.iam.ListOpenIDConnectProvidersCommand({}))
    for (const {Arn} of listed.OpenIDConnectProviderList ?? []) {
      // IAM is global and the regions are destroyed at once: a provider listed a moment ago may be
      // gone by now (the other region's, deleted by its own destroy). Gone is what we want.
      try {
        const found = await iam.send(new sdk.iam.GetOpenIDConnectProviderCommand({OpenIDConnectProviderArn: Arn}))
        const tags = tagRecord(found.Tags)
        if (!isOwnedBy(tags, ctx.env.name) || tags[TAG.region] !== ctx.region) continue
        await iam.send(new sdk.iam.DeleteOpenIDConnectProviderCommand({OpenIDConnectProviderArn: Arn}))
        report.removed.push(`IAM OIDC provider of ${ctx.clusterName}`)
      } catch (error) {
        if (!isAwsError(error, 'NoSuchEntity', 'NoSuchEntityException')) throw error
      }
    }
  } catch (error) {
    report.leftBehind.push({resource: `IAM OIDC provider of ${ctx.clusterName}`, reason: awsMessage(error)})
  }
}

/** KMS's shortest waiting period before a key is deleted (ScheduleKeyDeletion PendingWindowInDays: 7-30). */
export const KMS_MIN_PENDING_DAYS = 7

/**
 * env destroy's part for a region's backups. Kept by default (reported as kept, naming the bucket
 * and key). With `deleteBackups`: every object version and delete marker, then the bucket, then
 * the key alias and the key, scheduled for deletion after KMS's 7-day minimum (a key cannot be
 * deleted at once; until then `aws kms cancel-key-deletion` brings it back).
 */
export async function settleAwsBackupSite(envName: string, region: string, deleteBackups: boolean, report: DestroyReport, clientConfig: AwsClientConfig = {}): Promise<void> {
  const [s3sdk, kmssdk] = await Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/client-kms')])
  const settings = {...clientConfig, region}
  const s3 = new s3sdk.S3Client({...(settings as NonNullable<ConstructorParameters<typeof s3sdk.S3Client>[0]>), forcePathStyle: usesCustomEndpoint(clientConfig)})
  const kms = new kmssdk.KMSClient(settings as NonNullable<ConstructorParameters<typeof kmssdk.KMSClient>[0]>)
  const Bucket = backupBucketName(envName, region)
  const alias = awsBackupKeyAlias(envName, region)
  try {
    let exists = true
    try {
      await s3.send(new s3sdk.HeadBucketCommand({Bucket}))
    } catch (error) {
      if (!isAwsError(error, 'NotFound', 'NoSuchBucket')) throw error
      exists = false
    }
    let keyId: string | undefined
    try {
      const key = (await kms.send(new kmssdk.DescribeKeyCommand({KeyId: alias}))).KeyMetadata
      if (key?.KeyState !== 'PendingDeletion') keyId = key?.KeyId
    } catch (error) {
      if (!isAwsError(error, 'NotFoundException')) throw error
    }
    if (!deleteBackups) {
      if (exists) report.kept!.push({resource: `backup bucket s3://${Bucket}`, reason: 'backups outlive the environment (pass --delete-backups to delete them)'})
      if (keyId) report.kept!.push({resource: `KMS key ${alias} in ${region}`, reason: 'it decrypts the kept backups'})
      return
    }
    if (exists) {
      const versions = await deleteEveryVersion(s3, s3sdk, Bucket)
      await s3.send(new s3sdk.DeleteBucketCommand({Bucket}))
      report.removed.push(`backup bucket s3://${Bucket} (${versions} object versions)`)
    }
    if (keyId) {
      await kms.send(new kmssdk.DeleteAliasCommand({AliasName: alias}))
      await kms.send(new kmssdk.ScheduleKeyDeletionCommand({KeyId: keyId, PendingWindowInDays: KMS_MIN_PENDING_DAYS}))
      report.removed.push(`KMS key ${alias} in ${region} (deletion scheduled in ${KMS_MIN_PENDING_DAYS} days, the AWS minimum)`)
    }
  } catch (error) {
    report.leftBehind.push({resource: `backup bucket s3://${Bucket} and key ${alias}`, reason: awsMessage(error)})
  } finally {
    s3.destroy()
    kms.destroy()
  }
}

/** Deletes every version and delete marker of a versioned bucket (a plain delete would only hide them). */
async function deleteEveryVersion(s3: import('@aws-sdk/client-s3').S3Client, sdk: typeof import('@aws-sdk/client-s3'), Bucket: string): Promise<number> {
  let deleted = 0
  let KeyMarker: string | undefined
  let VersionIdMarker: string | undefined
  for (;;) {
    const page = await s3.send(new sdk.ListObjectVersionsCommand({Bucket, KeyMarker, VersionIdMarker}))
    const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({Key: v.Key!, VersionId: v.VersionId}))
    if (objects.length > 0) {
      const answer = await s3.send(new sdk.DeleteObjectsCommand({Bucket, Delete: {Objects: objects, Quiet: true}}))
      if (answer.Errors?.length) throw new ExternalError(`S3 refused to delete ${answer.Errors.length} object versions of ${Bucket}: ${answer.Errors[0].Code} ${answer.Errors[0].Message}`)
      deleted += objects.length
    }
    if (!page.IsTruncated) return deleted
    KeyMarker = page.NextKeyMarker
    VersionIdMarker = page.NextVersionIdMarker
  }
}
