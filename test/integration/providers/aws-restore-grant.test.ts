import {CreateRoleCommand, GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand, PutRolePolicyCommand} from '@aws-sdk/client-iam'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {S3ObjectStore} from '../../../src/backup/storage/s3-store.js'
import {awsBackupKeyAlias, backupBucketName} from '../../../src/backup/site/site-names.js'
import {backupBucketPolicy, backupRoleName} from '../../../src/providers/aws/backup-site.js'
import {grantAwsRestoreRead, restoreGrantPolicy} from '../../../src/providers/aws/restore-grant.js'
import {type MotoServer, startMoto} from '../../helpers/moto.js'

/**
 * The grant of a restore from another environment, on moto: OLD's bucket and key exist (kept by
 * its destroy), NEW's backup role has its own inline policy; during the restore the role holds
 * the read-only grant on OLD's bucket and key, and after it only its own policy, unchanged.
 */
describe('grantAwsRestoreRead (moto)', () => {
  let moto: MotoServer
  let iam: IAMClient
  let oldStore: S3ObjectStore
  const region = 'us-east-1'
  const role = backupRoleName('new', region)
  const ownPolicy = backupBucketPolicy(backupBucketName('new', region), 'arn:aws:kms:us-east-1:123456789012:key/new', region)
  const policies = async () => (await iam.send(new ListRolePoliciesCommand({RoleName: role}))).PolicyNames?.sort()
  const policy = async (PolicyName: string) => JSON.parse(decodeURIComponent((await iam.send(new GetRolePolicyCommand({RoleName: role, PolicyName}))).PolicyDocument as string)) as unknown

  beforeAll(async () => {
    moto = await startMoto()
    const client = {endpoint: moto.endpoint, credentials: moto.credentials}
    oldStore = await S3ObjectStore.ensure({region, bucket: backupBucketName('old', region), kmsKeyAlias: awsBackupKeyAlias('old', region), client})
    iam = new IAMClient({region, ...client})
    await iam.send(new CreateRoleCommand({RoleName: role, AssumeRolePolicyDocument: JSON.stringify({Version: '2012-10-17', Statement: []})}))
    await iam.send(new PutRolePolicyCommand({RoleName: role, PolicyName: 'mygate-backup-bucket', PolicyDocument: JSON.stringify(ownPolicy)}))
  }, 60_000)
  afterAll(async () => {
    oldStore?.destroy()
    iam?.destroy()
    await moto?.stop()
  })

  test('granted for the restore, removed after it; the role\'s own policy untouched', async () => {
    const clientConfig = {endpoint: moto.endpoint, credentials: moto.credentials}
    expect(oldStore.encryptionKeyId).toMatch(/^arn:aws:kms:us-east-1:\d+:key\//)
    const grant = await grantAwsRestoreRead({environment: 'new', region, fromEnv: 'old', bucket: oldStore.bucket, keyArn: oldStore.encryptionKeyId, clientConfig})
    expect(grant.description).toContain(`IAM role ${role} may read s3://mygate-old-us-east-1-backups`)
    expect(await policies()).toEqual(['mygate-backup-bucket', 'mygate-restore-from-old'])
    expect(await policy('mygate-restore-from-old')).toEqual(restoreGrantPolicy('mygate-old-us-east-1-backups', oldStore.encryptionKeyId, region))

    await grant.revoke()
    expect(await policies()).toEqual(['mygate-backup-bucket'])
    expect(await policy('mygate-backup-bucket')).toEqual(ownPolicy)
    // A second revoke (a re-run's finally) is fine.
    await expect(grant.revoke()).resolves.toBeUndefined()
  }, 60_000)

  test('NEW without a backup role: one clear error naming the role', async () => {
    await expect(grantAwsRestoreRead({environment: 'other', region, fromEnv: 'old', bucket: oldStore.bucket, keyArn: oldStore.encryptionKeyId, clientConfig: {endpoint: moto.endpoint, credentials: moto.credentials}})).rejects.toThrow(
      `IAM role ${backupRoleName('other', region)} (the backup Jobs' identity of other in us-east-1) does not exist`,
    )
  }, 60_000)
})
