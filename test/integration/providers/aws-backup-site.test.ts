import {execa} from 'execa'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {S3ObjectStore} from '../../../src/backup/storage/s3-store.js'
import {createAwsProvider} from '../../../src/providers/aws/index.js'
import type {ClusterHandle, ClusterProvider} from '../../../src/providers/types.js'
import {testEnvironment} from '../../helpers/builders.js'
import {type MotoServer, findOnPath, startMoto} from '../../helpers/moto.js'

/**
 * The backup site env create makes on AWS, against moto and read back with the real aws CLI: the
 * region's bucket (versioning on, a lifecycle rule that expires only noncurrent versions, default
 * SSE-KMS with the region's key found by alias), the IRSA role of the backup Jobs (trusting the
 * cluster's OIDC issuer for system:serviceaccount:mygate-data:mygate-backup only, an inline policy
 * on that bucket and key only); a re-run changes nothing; destroy keeps bucket and key unless
 * deleteBackups, which deletes every object version and the bucket and schedules the key's deletion.
 */
const REGION = 'eu-west-1'
const BUCKET = `mygate-bsite-${REGION}-backups`
const ALIAS = `alias/mygate-bsite-${REGION}-backups`
const ROLE = `mygate-bsite-${REGION}-backup`

let moto: MotoServer
let home: string
let provider: ClusterProvider
/** The AWS commands the provider's clients sent (the SDK's logger middleware names each). */
const commands: string[] = []
const env = testEnvironment({name: 'bsite', provider: 'aws', tier: 'staging', regions: {primary: REGION}})
const progress = {update() {}}

async function aws(...args: string[]): Promise<Record<string, unknown>> {
  const result = await execa(findOnPath('aws')!, [...args, '--endpoint-url', moto.endpoint, '--region', REGION, '--output', 'json'], {
    env: {AWS_ACCESS_KEY_ID: moto.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: moto.credentials.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true'},
    reject: false,
  })
  if (result.exitCode !== 0) throw new Error(`aws ${args.join(' ')} failed: ${result.stderr}`)
  return String(result.stdout).trim() === '' ? {} : (JSON.parse(String(result.stdout)) as Record<string, unknown>)
}

async function awsFails(...args: string[]): Promise<string> {
  const result = await execa(findOnPath('aws')!, [...args, '--endpoint-url', moto.endpoint, '--region', REGION, '--output', 'json'], {
    env: {AWS_ACCESS_KEY_ID: moto.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: moto.credentials.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true'},
    reject: false,
  })
  expect(result.exitCode, `aws ${args.join(' ')} should fail`).not.toBe(0)
  return String(result.stderr)
}

const decoded = (document: unknown) => (typeof document === 'string' ? JSON.parse(decodeURIComponent(document)) : document) as {Statement: Array<Record<string, unknown>>}

beforeAll(async () => {
  if (!findOnPath('aws')) throw new Error('the aws CLI is not on PATH: it is the independent check of the backup site')
  moto = await startMoto()
  home = await mkdtemp(join(tmpdir(), 'mygate-aws-backup-'))
  const logger = {debug() {}, info: (entry: {commandName?: string}) => entry.commandName && commands.push(entry.commandName), warn() {}, error() {}}
  provider = createAwsProvider({clientConfig: {endpoint: moto.endpoint, credentials: moto.credentials, logger}, waiterMinDelaySeconds: 1, waiterMaxWaitSeconds: 20, processEnv: {MYGATE_HOME: home}})
}, 60_000)
afterAll(async () => {
  await moto?.stop()
  if (home) await rm(home, {recursive: true, force: true})
})

describe('the backup site of an AWS environment (moto + aws CLI)', () => {
  let handle: ClusterHandle

  test('ensureClusters makes the bucket, its key and the IRSA role of the backup Jobs', async () => {
    ;[handle] = await provider.ensureClusters(env, progress)
    const keyArn = ((await aws('kms', 'describe-key', '--key-id', ALIAS)).KeyMetadata as {Arn: string}).Arn
    const roleArn = ((await aws('iam', 'get-role', '--role-name', ROLE)).Role as {Arn: string}).Arn
    expect(handle.backup).toEqual({bucket: BUCKET, encryptionKey: keyArn, serviceAccountAnnotations: {'eks.amazonaws.com/role-arn': roleArn}})

    expect(await aws('s3api', 'get-bucket-versioning', '--bucket', BUCKET)).toMatchObject({Status: 'Enabled'})
    const rules = (await aws('s3api', 'get-bucket-lifecycle-configuration', '--bucket', BUCKET)).Rules as Array<Record<string, unknown>>
    expect(rules).toHaveLength(1)
    expect(rules[0]).toMatchObject({Status: 'Enabled', NoncurrentVersionExpiration: {NoncurrentDays: 30}})
    // Current versions never expire by age: retention is mygate's decision.
    expect(rules[0].Expiration).toBeUndefined()
    const encryption = (await aws('s3api', 'get-bucket-encryption', '--bucket', BUCKET)).ServerSideEncryptionConfiguration as {Rules: Array<{ApplyServerSideEncryptionByDefault: Record<string, string>}>}
    expect(encryption.Rules[0].ApplyServerSideEncryptionByDefault).toEqual({SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn})

    // The role trusts the cluster's own issuer, for the one ServiceAccount, with the STS audience.
    const issuer = ((await aws('eks', 'describe-cluster', '--name', `mygate-bsite-${REGION}`)).cluster as {identity: {oidc: {issuer: string}}}).identity.oidc.issuer
    const host = issuer.replace('https://', '')
    const providers = ((await aws('iam', 'list-open-id-connect-providers')).OpenIDConnectProviderList as Array<{Arn: string}>).map((p) => p.Arn)
    expect(providers).toEqual([expect.stringMatching(new RegExp(`:oidc-provider/${host.replace(/[./]/g, '\\$&')}$`))])
    const trust = decoded(((await aws('iam', 'get-role', '--role-name', ROLE)).Role as {AssumeRolePolicyDocument: unknown}).AssumeRolePolicyDocument)
    expect(trust.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: {Federated: providers[0]},
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {StringEquals: {[`${host}:sub`]: 'system:serviceaccount:mygate-data:mygate-backup', [`${host}:aud`]: 'sts.amazonaws.com'}},
      },
    ])
    // Least privilege: that bucket and that key, nothing else.
    const policy = decoded((await aws('iam', 'get-role-policy', '--role-name', ROLE, '--policy-name', 'mygate-backup-bucket')).PolicyDocument)
    expect(policy.Statement.map((s) => s.Resource)).toEqual([`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`, keyArn])
    expect(policy.Statement.flatMap((s) => s.Action as string[]).every((action) => /^(s3|kms):/.test(action) && !action.includes('*'))).toBe(true)
  }, 120_000)

  test('a re-run reuses the key, the provider and the role', async () => {
    const before = await aws('iam', 'get-role', '--role-name', ROLE)
    commands.length = 0
    const [again] = await provider.ensureClusters(env, progress)
    expect(again.backup).toEqual(handle.backup)
    // Read first: the re-run writes nothing to S3, KMS or IAM.
    expect(commands.filter((c) => /^(Put|CreateKey|CreateAlias|CreateBucket|CreateOpenIDConnectProvider|CreateRole|UpdateAssumeRolePolicy)/.test(c))).toEqual([])
    expect(commands).toEqual(expect.arrayContaining(['GetBucketEncryptionCommand', 'GetBucketLifecycleConfigurationCommand', 'GetRolePolicyCommand']))
    const aliases = ((await aws('kms', 'list-aliases')).Aliases as Array<{AliasName: string}>).filter((a) => a.AliasName === ALIAS)
    expect(aliases).toHaveLength(1)
    expect(((await aws('kms', 'list-keys')).Keys as unknown[]).length).toBe(1)
    expect((await aws('iam', 'list-open-id-connect-providers')).OpenIDConnectProviderList).toHaveLength(1)
    expect(await aws('iam', 'get-role', '--role-name', ROLE)).toEqual(before)
  }, 120_000)

  test('destroy keeps the bucket and its key, removes the identity; --delete-backups deletes every version', async () => {
    const store = await S3ObjectStore.open({region: REGION, bucket: BUCKET, kmsKeyAlias: ALIAS, client: {endpoint: moto.endpoint, credentials: moto.credentials}})
    await store.put('visitors/a.json', Buffer.from('one'))
    await store.put('visitors/a.json', Buffer.from('two'))
    await store.delete('visitors/a.json')
    await store.put('visitors/b.json', Buffer.from('three'))
    store.destroy()

    const kept = await provider.destroyClusters(env, progress)
    expect(kept.leftBehind).toEqual([])
    expect(kept.kept?.map((k) => k.resource)).toEqual([`backup bucket s3://${BUCKET}`, `KMS key ${ALIAS} in ${REGION}`])
    expect(kept.removed).toContain(`IAM role ${ROLE}`)
    await aws('s3api', 'head-bucket', '--bucket', BUCKET)
    expect((await aws('kms', 'describe-key', '--key-id', ALIAS)).KeyMetadata).toMatchObject({KeyState: 'Enabled'})
    await awsFails('iam', 'get-role', '--role-name', ROLE)
    expect((await aws('iam', 'list-open-id-connect-providers')).OpenIDConnectProviderList).toEqual([])

    const keyId = ((await aws('kms', 'describe-key', '--key-id', ALIAS)).KeyMetadata as {KeyId: string}).KeyId
    const deleted = await provider.destroyClusters(env, progress, {deleteBackups: true})
    expect(deleted.leftBehind).toEqual([])
    expect(deleted.kept).toEqual([])
    expect(deleted.removed).toEqual(
      expect.arrayContaining([`backup bucket s3://${BUCKET} (4 object versions)`, `KMS key ${ALIAS} in ${REGION} (deletion scheduled in 7 days, the AWS minimum)`]),
    )
    expect(await awsFails('s3api', 'head-bucket', '--bucket', BUCKET)).toMatch(/404|Not Found/)
    expect((await aws('kms', 'describe-key', '--key-id', keyId)).KeyMetadata).toMatchObject({KeyState: 'PendingDeletion'})
    expect(((await aws('kms', 'list-aliases')).Aliases as Array<{AliasName: string}>).map((a) => a.AliasName)).not.toContain(ALIAS)
  }, 120_000)
})
