import {createHash} from 'node:crypto'
import {Readable} from 'node:stream'

import type {S3Client} from '@aws-sdk/client-s3'
import type {KMSClient} from '@aws-sdk/client-kms'

import {NotFoundError} from '../../errors.js'
import {DEFAULT_MAX_ATTEMPTS, type AwsClientConfig} from '../../providers/aws/clients.js'
import {awsFailure, isAwsError} from '../../providers/aws/errors.js'
import {silenceNodeVersionWarning} from '../../providers/aws/sdk-warning.js'
import {toAsyncIterable, type Body, type ListOptions, type ListPage, type ObjectInfo, type ObjectStore, type PutOptions} from './object-store.js'

/**
 * A region's backup bucket on S3. The bucket is versioned, encrypted by default with the region's
 * KMS key (SSE-KMS, found or created by alias, e.g. alias/mygate-prod-ap-south-1; KMS keys are
 * regional, which is why cross-region copies re-encrypt), has all public access blocked, and a
 * lifecycle rule that only expires noncurrent versions (and abandoned multipart uploads): current
 * objects live until mygate's retention deletes them.
 *
 * Uploads stream through @aws-sdk/lib-storage (multipart, parts of 8 MiB, so an archive of unknown
 * length is never held whole); the SHA-256 computed on the way in is stored as the object tag
 * `sha256` (user metadata is sent before the body, so it cannot carry a hash of it; a tag can be
 * set after without a new version). Transient errors: the SDK's standard retry strategy with
 * DEFAULT_MAX_ATTEMPTS.
 */

export interface S3StoreOptions {
  region: string
  bucket: string
  /** The region's KMS key alias, `alias/...`. */
  kmsKeyAlias: string
  /** Days a noncurrent version is kept before the lifecycle rule expires it. Default 30. */
  noncurrentDays?: number
  client?: AwsClientConfig
}

const PART_BYTES = 8 * 1024 * 1024
const SHA256_TAG = 'sha256'
const LIFECYCLE_RULE_ID = 'mygate-expire-noncurrent-versions'

/**
 * An endpoint other than AWS's (moto, MinIO), given in the client config or through the SDK's own
 * AWS_ENDPOINT_URL(_S3) variables: such endpoints want path-style bucket addressing.
 */
export function usesCustomEndpoint(config: AwsClientConfig, env: NodeJS.ProcessEnv = process.env): boolean {
  return config.endpoint !== undefined || Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL)
}

async function clients(region: string, config: AwsClientConfig = {}): Promise<{s3: S3Client; kms: KMSClient; s3sdk: typeof import('@aws-sdk/client-s3'); kmssdk: typeof import('@aws-sdk/client-kms')}> {
  silenceNodeVersionWarning()
  const [s3sdk, kmssdk] = await Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/client-kms')])
  const settings = {maxAttempts: DEFAULT_MAX_ATTEMPTS, ...config, region}
  return {
    // Path-style addressing works with every endpoint (moto, MinIO) and with real S3.
    s3: new s3sdk.S3Client({...(settings as NonNullable<ConstructorParameters<typeof s3sdk.S3Client>[0]>), forcePathStyle: usesCustomEndpoint(config)}),
    kms: new kmssdk.KMSClient(settings as NonNullable<ConstructorParameters<typeof kmssdk.KMSClient>[0]>),
    s3sdk,
    kmssdk,
  }
}

/** The region's KMS key ARN, found by alias or created with it. */
async function ensureKmsKey(kms: KMSClient, sdk: typeof import('@aws-sdk/client-kms'), alias: string, region: string): Promise<string> {
  try {
    const found = await kms.send(new sdk.DescribeKeyCommand({KeyId: alias}))
    return found.KeyMetadata!.Arn!
  } catch (error) {
    if (!isAwsError(error, 'NotFoundException')) throw awsFailure(`KMS DescribeKey ${alias}`, error)
  }
  try {
    const created = await kms.send(new sdk.CreateKeyCommand({Description: `mygate backups in ${region}`, KeyUsage: 'ENCRYPT_DECRYPT', Tags: [{TagKey: 'mygate.dev/purpose', TagValue: 'backups'}]}))
    await kms.send(new sdk.CreateAliasCommand({AliasName: alias, TargetKeyId: created.KeyMetadata!.KeyId!}))
    return created.KeyMetadata!.Arn!
  } catch (error) {
    throw awsFailure(`KMS CreateKey ${alias}`, error)
  }
}

export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3' as const
  readonly location: string

  private constructor(
    readonly bucket: string,
    readonly region: string,
    /** The KMS key ARN every object is encrypted with. */
    readonly encryptionKeyId: string,
    private readonly s3: S3Client,
    private readonly sdk: typeof import('@aws-sdk/client-s3'),
  ) {
    this.location = `s3://${bucket}`
  }

  /**
   * Creates (or converges) the bucket and its key: versioning, default SSE-KMS, public access
   * block, noncurrent-only lifecycle. Each setting is read first and written only when it
   * differs, so a re-run reads and changes nothing.
   */
  static async ensure(options: S3StoreOptions): Promise<S3ObjectStore> {
    const {s3, kms, s3sdk: sdk, kmssdk} = await clients(options.region, options.client)
    const keyArn = await ensureKmsKey(kms, kmssdk, options.kmsKeyAlias, options.region)
    kms.destroy()
    const Bucket = options.bucket
    const noncurrentDays = options.noncurrentDays ?? 30
    /** Reads the setting first and writes it only when it differs: a re-run changes nothing. */
    const converge = async (what: string, holds: () => Promise<boolean>, put: () => Promise<unknown>, absent: string[]) => {
      try {
        let ok = false
        try {
          ok = await holds()
        } catch (error) {
          if (!isAwsError(error, ...absent)) throw error
        }
        if (!ok) await put()
      } catch (error) {
        throw awsFailure(`S3 ${what} ${Bucket}`, error)
      }
    }
    let exists = true
    try {
      await s3.send(new sdk.HeadBucketCommand({Bucket}))
    } catch (error) {
      if (!isAwsError(error, 'NotFound', 'NoSuchBucket')) throw awsFailure(`S3 HeadBucket ${Bucket}`, error)
      exists = false
    }
    if (!exists) {
      try {
        await s3.send(new sdk.CreateBucketCommand({Bucket, ...(options.region === 'us-east-1' ? {} : {CreateBucketConfiguration: {LocationConstraint: options.region as never}})}))
      } catch (error) {
        if (!isAwsError(error, 'BucketAlreadyOwnedByYou')) throw awsFailure(`S3 CreateBucket ${Bucket}`, error)
      }
    }
    const block = {BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}
    await converge(
      'PutPublicAccessBlock',
      async () => {
        const current = (await s3.send(new sdk.GetPublicAccessBlockCommand({Bucket}))).PublicAccessBlockConfiguration
        return Object.entries(block).every(([k, v]) => current?.[k as keyof typeof block] === v)
      },
      () => s3.send(new sdk.PutPublicAccessBlockCommand({Bucket, PublicAccessBlockConfiguration: block})),
      ['NoSuchPublicAccessBlockConfiguration'],
    )
    await converge(
      'PutBucketVersioning',
      async () => (await s3.send(new sdk.GetBucketVersioningCommand({Bucket}))).Status === 'Enabled',
      () => s3.send(new sdk.PutBucketVersioningCommand({Bucket, VersioningConfiguration: {Status: 'Enabled'}})),
      [],
    )
    await converge(
      'PutBucketEncryption',
      async () => {
        const rules = (await s3.send(new sdk.GetBucketEncryptionCommand({Bucket}))).ServerSideEncryptionConfiguration?.Rules ?? []
        const byDefault = rules[0]?.ApplyServerSideEncryptionByDefault
        return rules.length === 1 && byDefault?.SSEAlgorithm === 'aws:kms' && byDefault.KMSMasterKeyID === keyArn
      },
      () =>
        s3.send(
          new sdk.PutBucketEncryptionCommand({
            Bucket,
            ServerSideEncryptionConfiguration: {Rules: [{ApplyServerSideEncryptionByDefault: {SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn}, BucketKeyEnabled: true}]},
          }),
        ),
      ['ServerSideEncryptionConfigurationNotFoundError'],
    )
    await converge(
      'PutBucketLifecycleConfiguration',
      async () => {
        const rules = (await s3.send(new sdk.GetBucketLifecycleConfigurationCommand({Bucket}))).Rules ?? []
        const rule = rules[0]
        return (
          rules.length === 1 &&
          rule.ID === LIFECYCLE_RULE_ID &&
          rule.Status === 'Enabled' &&
          rule.Expiration === undefined &&
          rule.NoncurrentVersionExpiration?.NoncurrentDays === noncurrentDays &&
          rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation === 7
        )
      },
      () =>
        s3.send(
          new sdk.PutBucketLifecycleConfigurationCommand({
            Bucket,
            LifecycleConfiguration: {
              Rules: [
                {
                  ID: LIFECYCLE_RULE_ID,
                  Status: 'Enabled',
                  Filter: {Prefix: ''},
                  // Only noncurrent versions expire: retention of current backups is mygate's decision.
                  NoncurrentVersionExpiration: {NoncurrentDays: noncurrentDays},
                  AbortIncompleteMultipartUpload: {DaysAfterInitiation: 7},
                },
              ],
            },
          }),
        ),
      ['NoSuchLifecycleConfiguration'],
    )
    return new S3ObjectStore(Bucket, options.region, keyArn, s3, sdk)
  }

  /**
   * Opens an existing bucket without changing it (commands reading or writing backups; env create
   * made it). NotFoundError when the bucket or its key alias does not exist.
   */
  static async open(options: Pick<S3StoreOptions, 'region' | 'bucket' | 'kmsKeyAlias' | 'client'>): Promise<S3ObjectStore> {
    const {s3, kms, s3sdk: sdk, kmssdk} = await clients(options.region, options.client)
    try {
      try {
        await s3.send(new sdk.HeadBucketCommand({Bucket: options.bucket}))
      } catch (error) {
        if (isAwsError(error, 'NotFound', 'NoSuchBucket')) throw new NotFoundError(`backup bucket s3://${options.bucket} does not exist in ${options.region}`, {cause: error})
        throw awsFailure(`S3 HeadBucket ${options.bucket}`, error)
      }
      let keyArn: string
      try {
        keyArn = (await kms.send(new kmssdk.DescribeKeyCommand({KeyId: options.kmsKeyAlias}))).KeyMetadata!.Arn!
      } catch (error) {
        if (isAwsError(error, 'NotFoundException')) throw new NotFoundError(`KMS key ${options.kmsKeyAlias} does not exist in ${options.region}`, {cause: error})
        throw awsFailure(`KMS DescribeKey ${options.kmsKeyAlias}`, error)
      }
      return new S3ObjectStore(options.bucket, options.region, keyArn, s3, sdk)
    } catch (error) {
      s3.destroy()
      throw error
    } finally {
      kms.destroy()
    }
  }

  async put(key: string, body: Body, options: PutOptions = {}): Promise<ObjectInfo> {
    const {Upload} = await import('@aws-sdk/lib-storage')
    const hash = createHash('sha256')
    let size = 0
    const source = toAsyncIterable(body)
    async function* measured(): AsyncGenerator<Uint8Array> {
      for await (const chunk of source) {
        hash.update(chunk)
        size += chunk.length
        yield chunk
      }
    }
    let versionId: string | undefined
    try {
      const upload = new Upload({
        client: this.s3,
        partSize: PART_BYTES,
        queueSize: 2,
        leavePartsOnError: false,
        params: {
          Bucket: this.bucket,
          Key: key,
          Body: Readable.from(measured(), {objectMode: false}),
          ServerSideEncryption: 'aws:kms',
          SSEKMSKeyId: this.encryptionKeyId,
          Metadata: options.metadata,
          ContentType: options.contentType,
        },
      })
      const done = await upload.done()
      versionId = done.VersionId
      const sha256 = hash.digest('hex')
      await this.s3.send(new this.sdk.PutObjectTaggingCommand({Bucket: this.bucket, Key: key, VersionId: versionId, Tagging: {TagSet: [{Key: SHA256_TAG, Value: sha256}]}}))
      return {key, size, sha256, metadata: {...options.metadata}, lastModified: new Date(), versionId, encryptionKeyId: this.encryptionKeyId}
    } catch (error) {
      throw awsFailure(`S3 upload of ${this.location}/${key}`, error)
    }
  }

  async get(key: string): Promise<AsyncIterable<Uint8Array>> {
    try {
      const answer = await this.s3.send(new this.sdk.GetObjectCommand({Bucket: this.bucket, Key: key}))
      return answer.Body as unknown as AsyncIterable<Uint8Array>
    } catch (error) {
      if (isAwsError(error, 'NoSuchKey', 'NotFound')) throw new NotFoundError(`${this.location}/${key} does not exist`, {cause: error})
      throw awsFailure(`S3 GetObject ${this.location}/${key}`, error)
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    let answer
    try {
      answer = await this.s3.send(new this.sdk.HeadObjectCommand({Bucket: this.bucket, Key: key}))
    } catch (error) {
      // HEAD has no body: a missing key (or a delete marker) comes back as a bare 404 "NotFound".
      if (isAwsError(error, 'NotFound', 'NoSuchKey')) return undefined
      throw awsFailure(`S3 HeadObject ${this.location}/${key}`, error)
    }
    const sha256 = await this.sha256Tag(key, answer.VersionId)
    return {
      key,
      size: answer.ContentLength ?? 0,
      sha256,
      metadata: answer.Metadata ?? {},
      lastModified: answer.LastModified ?? new Date(0),
      versionId: answer.VersionId,
      encryptionKeyId: answer.SSEKMSKeyId,
    }
  }

  private async sha256Tag(key: string, versionId: string | undefined): Promise<string> {
    try {
      const tags = await this.s3.send(new this.sdk.GetObjectTaggingCommand({Bucket: this.bucket, Key: key, VersionId: versionId}))
      return tags.TagSet?.find((t) => t.Key === SHA256_TAG)?.Value ?? ''
    } catch (error) {
      throw awsFailure(`S3 GetObjectTagging ${this.location}/${key}`, error)
    }
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListPage> {
    try {
      const answer = await this.s3.send(new this.sdk.ListObjectsV2Command({Bucket: this.bucket, Prefix: prefix, MaxKeys: options.pageSize ?? 1000, ContinuationToken: options.pageToken}))
      return {
        objects: (answer.Contents ?? []).map((o) => ({key: o.Key!, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0)})),
        nextPageToken: answer.IsTruncated ? answer.NextContinuationToken : undefined,
      }
    } catch (error) {
      throw awsFailure(`S3 ListObjectsV2 ${this.location}/${prefix}`, error)
    }
  }

  async delete(key: string): Promise<void> {
    try {
      // Without a VersionId, a versioned bucket adds a delete marker and keeps the data.
      await this.s3.send(new this.sdk.DeleteObjectCommand({Bucket: this.bucket, Key: key}))
    } catch (error) {
      throw awsFailure(`S3 DeleteObject ${this.location}/${key}`, error)
    }
  }

  destroy(): void {
    this.s3.destroy()
  }
}
