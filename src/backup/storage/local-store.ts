import {LocalBucket, localObjectStoreRoot, type LocalObjectVersion} from '../../formats/local-object-store/bucket.js'
import {toAsyncIterable, type Body, type ListOptions, type ListPage, type ObjectInfo, type ObjectStore, type PutOptions} from './object-store.js'

/** The local provider's bucket for a region, behind the ObjectStore interface. */
export class LocalObjectStore implements ObjectStore {
  readonly kind = 'local' as const

  private constructor(private readonly bucketHandle: LocalBucket) {}

  /** Opens (creating if needed, with its key) the bucket under $MYGATE_HOME/local/object-store. */
  static async ensure(options: {mygateHome: string; bucket: string; region: string}): Promise<LocalObjectStore> {
    return new LocalObjectStore(await LocalBucket.ensure(localObjectStoreRoot(options.mygateHome), options.bucket, options.region))
  }

  /** Opens an existing bucket; NotFoundError if there is none. */
  static async open(options: {mygateHome: string; bucket: string}): Promise<LocalObjectStore> {
    return new LocalObjectStore(await LocalBucket.open(localObjectStoreRoot(options.mygateHome), options.bucket))
  }

  get bucket(): string {
    return this.bucketHandle.info.name
  }

  get region(): string {
    return this.bucketHandle.info.region
  }

  get location(): string {
    return `local://${this.bucket}`
  }

  get encryptionKeyId(): string {
    return this.bucketHandle.info.keyId
  }

  private info(version: LocalObjectVersion): ObjectInfo {
    return {
      key: version.key,
      size: version.size,
      sha256: version.sha256,
      metadata: version.metadata,
      lastModified: new Date(version.lastModified),
      versionId: version.versionId,
      encryptionKeyId: this.bucketHandle.info.keyId,
    }
  }

  async put(key: string, body: Body, options: PutOptions = {}): Promise<ObjectInfo> {
    return this.info(await this.bucketHandle.put(key, toAsyncIterable(body), options.metadata))
  }

  async get(key: string): Promise<AsyncIterable<Uint8Array>> {
    return (await this.bucketHandle.get(key)).body
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const version = await this.bucketHandle.head(key)
    return version ? this.info(version) : undefined
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListPage> {
    const page = await this.bucketHandle.list(prefix, {after: options.pageToken, pageSize: options.pageSize})
    return {
      objects: page.objects.map((v) => ({key: v.key, size: v.size, lastModified: new Date(v.lastModified)})),
      nextPageToken: page.nextToken,
    }
  }

  async delete(key: string): Promise<void> {
    await this.bucketHandle.delete(key)
  }
}
