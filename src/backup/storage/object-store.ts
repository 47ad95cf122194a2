/**
 * One interface for the places backups live: an S3 bucket, a GCS bucket, the local provider's
 * encrypted store, or an in-memory fake in tests. One store is one bucket in one region; the
 * bucket is versioned, encrypted at rest with the region's key, and expires only noncurrent
 * versions (retention is mygate's decision, not the bucket's).
 */

/** An object as head() and put() describe it. */
export interface ObjectInfo {
  key: string
  size: number
  /**
   * SHA-256 of the object's bytes, hex, computed by the store while they went in (kept with the
   * object: user metadata, a tag or the local version record, depending on the store).
   */
  sha256: string
  /** User metadata given to put() (string keys and values; keys lowercase). */
  metadata: Record<string, string>
  lastModified: Date
  versionId?: string
  /** The key that encrypts it at rest: a KMS key ARN, a Cloud KMS key name, a local key id. */
  encryptionKeyId?: string
}

/** An object as a listing shows it (no metadata: S3 and GCS listings do not carry it cheaply). */
export interface ListedObject {
  key: string
  size: number
  lastModified: Date
}

export interface ListPage {
  objects: ListedObject[]
  /** Pass as `pageToken` for the next page; absent on the last page. */
  nextPageToken?: string
}

export interface ListOptions {
  pageToken?: string
  /** At most this many objects per page (the store may return fewer). Default 1000. */
  pageSize?: number
}

export interface PutOptions {
  metadata?: Record<string, string>
  contentType?: string
}

export type Body = AsyncIterable<Uint8Array> | Uint8Array

export interface ObjectStore {
  readonly kind: 'local' | 's3' | 'gcs' | 'memory'
  /** The bucket's name. */
  readonly bucket: string
  readonly region: string
  /** A URL-like name for messages: s3://bucket, gs://bucket, local://bucket, memory://bucket. */
  readonly location: string

  /** Streams the body in (never holding it whole); resolves once the object is durably stored. */
  put(key: string, body: Body, options?: PutOptions): Promise<ObjectInfo>
  /** The object's bytes as a stream. NotFoundError if there is no current version. */
  get(key: string): Promise<AsyncIterable<Uint8Array>>
  /** The object's description, or undefined if it does not exist (the only error read as "absent"). */
  head(key: string): Promise<ObjectInfo | undefined>
  /** Current objects whose key starts with prefix, in key order, one page. */
  list(prefix: string, options?: ListOptions): Promise<ListPage>
  /** Removes the current version (the bucket keeps it as noncurrent). Absent keys are fine. */
  delete(key: string): Promise<void>
}

export function toAsyncIterable(body: Body): AsyncIterable<Uint8Array> {
  if (body instanceof Uint8Array) {
    return (async function* () {
      yield body
    })()
  }
  return body
}

/** Every object under a prefix, following pages. */
export async function* listAll(store: ObjectStore, prefix: string, pageSize?: number): AsyncGenerator<ListedObject> {
  let pageToken: string | undefined
  do {
    const page = await store.list(prefix, {pageToken, pageSize})
    yield* page.objects
    pageToken = page.nextPageToken
  } while (pageToken !== undefined)
}

/** Reads a whole (small) object: catalog entries, never archives. */
export async function readSmallObject(store: ObjectStore, key: string): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of await store.get(key)) chunks.push(Buffer.from(chunk))
  return Buffer.concat(chunks)
}
