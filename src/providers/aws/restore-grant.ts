import {ExternalError} from '../../errors.js'
import {boundedName} from '../naming.js'
import {backupRoleName} from './backup-site.js'
import type {AwsClientConfig} from './clients.js'
import {awsFailure, isAwsError} from './errors.js'
import {partitionOf} from './names.js'

/**
 * `backup restore --from-env OLD` on AWS: the restore Job runs with NEW's backup role (IRSA), which
 * may only use NEW's bucket and key (backup-site.ts: backupBucketPolicy). For the duration of the
 * restore that role gets one more inline policy, `mygate-restore-from-OLD`: list and read OLD's
 * bucket, decrypt with OLD's KMS key, nothing else (no write, no delete, no other bucket). An
 * identity policy suffices within one account: a KMS key's default key policy delegates to IAM
 * ("Enable IAM User Permissions", https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html),
 * and mygate's keys keep it. The grant is removed when the restore ends, succeeded or not; a
 * restore killed before that leaves it until the re-run, which puts the same policy again and
 * removes it at its end. Other inline policies of the role are never touched.
 */

export function restoreGrantPolicyName(fromEnv: string): string {
  return boundedName(`mygate-restore-from-${fromEnv}`, 128)
}

/** Pure: read-only access to OLD's bucket and decryption with OLD's key. */
export function restoreGrantPolicy(bucket: string, keyArn: string, region: string): Record<string, unknown> {
  const s3 = `arn:${partitionOf(region)}:s3:::${bucket}`
  return {
    Version: '2012-10-17',
    Statement: [
      {Sid: 'ListTheOldBucket', Effect: 'Allow', Action: ['s3:ListBucket', 's3:GetBucketLocation'], Resource: s3},
      {Sid: 'ReadTheOldObjects', Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectTagging'], Resource: `${s3}/*`},
      {Sid: 'DecryptWithTheOldKey', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:DescribeKey'], Resource: keyArn},
    ],
  }
}

export interface RestoreGrant {
  /** What was granted, for the run's progress line. */
  description: string
  revoke(): Promise<void>
}

export interface AwsRestoreGrantInput {
  /** NEW: the environment restored into, whose backup role gets the grant. */
  environment: string
  region: string
  fromEnv: string
  /** OLD's bucket and its KMS key ARN (the store resolved the alias). */
  bucket: string
  keyArn: string
  clientConfig?: AwsClientConfig
}

export async function grantAwsRestoreRead(input: AwsRestoreGrantInput): Promise<RestoreGrant> {
  const iamSdk = await import('@aws-sdk/client-iam')
  const iam = new iamSdk.IAMClient({...(input.clientConfig as object), region: input.region})
  const RoleName = backupRoleName(input.environment, input.region)
  const PolicyName = restoreGrantPolicyName(input.fromEnv)
  try {
    await iam.send(new iamSdk.PutRolePolicyCommand({RoleName, PolicyName, PolicyDocument: JSON.stringify(restoreGrantPolicy(input.bucket, input.keyArn, input.region))}))
  } catch (error) {
    iam.destroy()
    if (isAwsError(error, 'NoSuchEntity', 'NoSuchEntityException')) {
      throw new ExternalError(`IAM role ${RoleName} (the backup Jobs' identity of ${input.environment} in ${input.region}) does not exist`, {hint: `re-run \`mygate env create ${input.environment}\`, then the restore`})
    }
    throw awsFailure(`granting ${RoleName} read access to s3://${input.bucket}`, error)
  }
  return {
    description: `IAM role ${RoleName} may read s3://${input.bucket} and decrypt with its key (inline policy ${PolicyName}, removed when the restore ends)`,
    async revoke() {
      try {
        await iam.send(new iamSdk.DeleteRolePolicyCommand({RoleName, PolicyName}))
      } catch (error) {
        if (!isAwsError(error, 'NoSuchEntity', 'NoSuchEntityException')) throw awsFailure(`removing ${PolicyName} from ${RoleName}`, error)
      } finally {
        iam.destroy()
      }
    },
  }
}
