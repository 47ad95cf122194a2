import {describe, expect, test} from 'vitest'

import {backupBucketPolicy} from '../../../src/providers/aws/backup-site.js'
import {restoreGrantPolicy, restoreGrantPolicyName} from '../../../src/providers/aws/restore-grant.js'

type Statement = {Sid: string; Effect: string; Action: string[]; Resource: string}

describe('the grant a restore from another environment adds to the backup role (aws)', () => {
  test.each<[string, string, string]>([
    ['us-east-1', 'arn:aws:s3:::mygate-old-us-east-1-backups', 'arn:aws:kms:us-east-1:123456789012:key/old'],
    ['cn-north-1', 'arn:aws-cn:s3:::mygate-old-cn-north-1-backups', 'arn:aws-cn:kms:cn-north-1:123456789012:key/old'],
  ])('%s: list and read OLD\'s bucket, decrypt with OLD\'s key, nothing more', (region, bucketArn, keyArn) => {
    const policy = restoreGrantPolicy(`mygate-old-${region}-backups`, keyArn, region) as {Statement: Statement[]}
    expect(policy.Statement.map((s) => [s.Effect, s.Action, s.Resource])).toEqual([
      ['Allow', ['s3:ListBucket', 's3:GetBucketLocation'], bucketArn],
      ['Allow', ['s3:GetObject', 's3:GetObjectTagging'], `${bucketArn}/*`],
      ['Allow', ['kms:Decrypt', 'kms:DescribeKey'], keyArn],
    ])
    // Read-only, unlike the role's own bucket policy: no write, no delete, no encryption.
    const actions = policy.Statement.flatMap((s) => s.Action)
    for (const write of ['s3:PutObject', 's3:DeleteObject', 'kms:Encrypt', 'kms:GenerateDataKey']) expect(actions).not.toContain(write)
    const own = backupBucketPolicy(`mygate-new-${region}-backups`, keyArn, region) as {Statement: Statement[]}
    expect(own.Statement.flatMap((s) => s.Action)).toContain('s3:PutObject')
  })

  test.each<[string, string]>([
    ['old', 'mygate-restore-from-old'],
    ['x'.repeat(200), `mygate-restore-from-${'x'.repeat(99)}`],
  ])('policy name for %s', (env, name) => {
    const got = restoreGrantPolicyName(env)
    expect(got.length).toBeLessThanOrEqual(128)
    expect(got.startsWith(name.slice(0, 100))).toBe(true)
    if (env === 'old') expect(got).toBe(name)
  })
})
