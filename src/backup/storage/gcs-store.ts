import {createHash, randomBytes} from 'node:crypto'

import {ExternalError, NotFoundError} from '../../errors.js'
import {toAsyncIterable, type Body, type ListOptions, type ListPage, type ObjectInfo, type ObjectStore, type PutOptions} from './object-store.js'

/**
 * A region's backup bucket on Google Cloud Storage, over the JSON API
 * (https://cloud.google.com/storage/docs/json_api/v1) with plain fetch: the few calls needed do
 * not justify a second Google SDK, and the access token comes from Application Default
 * Credentials through the auth client @google-cloud/container already carries, as the Secret
 * Manager store does.
 *
 * The bucket: location = the region, object versioning on, default customer-managed encryption
 * key (`encryption.defaultKmsKeyName`, a Cloud KMS key in the same location, which GCS requires),
 * public access prevention enforced with uniform bucket-level access, and one lifecycle rule that
 * deletes only noncurrent versions (`isLive: false`, `daysSinceNoncurrentTime`).
 *
 * Uploads are multipart (metadata part, then the media streamed with chunked encoding) naming
 * `kmsKeyName`; the SHA-256 measured on the way in is then patched into the object's custom
 * metadata (a metadata patch bumps the metageneration, not the generation: no new version).
 * Transient failures (429, 5xx) are retried with exponential backoff for calls whose body can be
 * replayed; an upload is not (its stream is consumed), the caller re-runs it.
 */

export interface GcsStoreOptions {
  project: string
  region: string
  bucket: string
  /** projects/P/locations/REGION/keyRings/R/cryptoKeys/K: the region's key (created by env create). */
  kmsKeyName: string
  noncurrentDays?: number
  /** Default https://storage.googleapis.com; tests point it at a local fake. */
  endpoint?: string
  /** Default: an OAuth2 access token from Application Default Credentials. */
  accessToken?: () => Promise<string>
  /** Attempts for replayable calls. Default 5. */
  maxAttempts?: number
}

async function defaultAccessToken(): Promise<string> {
  const {ClusterManagerClient} = await import('@google-cloud/container')
  const client = new ClusterManagerClient()
  try {
    const token = await client.auth.getAccessToken()
    if (!token) throw new Error('Could not load the default credentials')
    return token
  } finally {
    await client.close()
  }
}

interface GcsObjectResource {
  name: string
  size: string
  updated: string
  generation: string
  metadata?: Record<string, string>
  kmsKeyName?: string
}

const SHA256_KEY = 'mygate-sha256'

export class GcsObjectStore implements ObjectStore {
  readonly kind = 'gcs' as const
  readonly location: string
  readonly bucket: string
  readonly region: string
  readonly encryptionKeyId: string
  private readonly endpoint: string
  private readonly token: () => Promise<string>

  private constructor(private readonly options: GcsStoreOptions) {
    this.bucket = options.bucket
    this.region = options.region
    this.encryptionKeyId = options.kmsKeyName
    this.location = `gs://${options.bucket}`
    this.endpoint = (options.endpoint ?? 'https://storage.googleapis.com').replace(/\/$/, '')
    this.token = options.accessToken ?? defaultAccessToken
  }

  /** Creates the bucket, or converges an existing one to the settings above. */
  static async ensure(options: GcsStoreOptions): Promise<GcsObjectStore> {
    const store = new GcsObjectStore(options)
    const settings = {
      versioning: {enabled: true},
      encryption: {defaultKmsKeyName: options.kmsKeyName},
      iamConfiguration: {publicAccessPrevention: 'enforced', uniformBucketLevelAccess: {enabled: true}},
      lifecycle: {rule: [{action: {type: 'Delete'}, condition: {isLive: false, daysSinceNoncurrentTime: options.noncurrentDays ?? 30}}]},
    }
    // Read first: an existing bucket is patched only where it differs, so a re-run writes nothing.
    const current = await store.call('GET', `/storage/v1/b/${encodeURIComponent(options.bucket)}`, undefined, [404])
    if (current.status === 404) {
      await current.body?.cancel()
      const created = await store.call('POST', `/storage/v1/b?project=${encodeURIComponent(options.project)}`, {name: options.bucket, location: options.region, ...settings}, [409])
      if (created.status !== 409) return store
    } else if (bucketHolds((await current.json()) as Record<string, unknown>, settings)) {
      return store
    }
    await store.call('PATCH', `/storage/v1/b/${encodeURIComponent(options.bucket)}`, settings)
    return store
  }

  /** Opens an existing bucket without changing it; NotFoundError when there is none. */
  static async open(options: GcsStoreOptions): Promise<GcsObjectStore> {
    const store = new GcsObjectStore(options)
    const response = await store.call('GET', `/storage/v1/b/${encodeURIComponent(options.bucket)}`, undefined, [404])
    await response.body?.cancel()
    if (response.status === 404) throw new NotFoundError(`backup bucket gs://${options.bucket} does not exist`)
    return store
  }

  private objectPath(key: string): string {
    return `/storage/v1/b/${encodeURIComponent(this.bucket)}/o/${encodeURIComponent(key)}`
  }

  /** One JSON API call with retries on 429/5xx; statuses in `allowed` are returned, not thrown. */
  private async call(method: string, path: string, body?: unknown, allowed: number[] = []): Promise<Response> {
    const attempts = this.options.maxAttempts ?? 5
    for (let attempt = 1; ; attempt++) {
      let response: Response
      try {
        response = await fetch(this.endpoint + path, {
          method,
          headers: {authorization: `Bearer ${await this.token()}`, ...(body === undefined ? {} : {'content-type': 'application/json'})},
          body: body === undefined ? undefined : JSON.stringify(body),
        })
      } catch (error) {
        if (attempt < attempts) {
          await backoff(attempt)
          continue
        }
        throw new ExternalError(`GCS ${method} ${this.location} failed: ${(error as Error).message}`, {cause: error, hint: 'check the network and Google Cloud status, then re-run'})
      }
      if (response.ok || allowed.includes(response.status)) return response
      if ((response.status === 429 || response.status >= 500) && attempt < attempts) {
        await response.body?.cancel()
        await backoff(attempt)
        continue
      }
      throw await gcsFailure(method, this.location, response)
    }
  }

  async put(key: string, body: Body, options: PutOptions = {}): Promise<ObjectInfo> {
    const hash = createHash('sha256')
    let size = 0
    const boundary = `mygate-${randomBytes(12).toString('hex')}`
    const resource = {name: key, metadata: options.metadata ?? {}, kmsKeyName: this.options.kmsKeyName, contentType: options.contentType ?? 'application/octet-stream'}
    const source = toAsyncIterable(body)
    async function* multipart(): AsyncGenerator<Uint8Array> {
      yield Buffer.from(`--${boundary}\r\ncontent-type: application/json; charset=UTF-8\r\n\r\n${JSON.stringify(resource)}\r\n--${boundary}\r\ncontent-type: ${resource.contentType}\r\n\r\n`)
      for await (const chunk of source) {
        hash.update(chunk)
        size += chunk.length
        yield chunk
      }
      yield Buffer.from(`\r\n--${boundary}--\r\n`)
    }
    let response: Response
    try {
      response = await fetch(`${this.endpoint}/upload/storage/v1/b/${encodeURIComponent(this.bucket)}/o?uploadType=multipart`, {
        method: 'POST',
        headers: {authorization: `Bearer ${await this.token()}`, 'content-type': `multipart/related; boundary=${boundary}`},
        body: ReadableStream.from(multipart()),
        duplex: 'half',
      } as RequestInit)
    } catch (error) {
      throw new ExternalError(`GCS upload of ${this.location}/${key} failed: ${(error as Error).message}`, {cause: error, hint: 're-run the backup (uploads are not retried: their stream is consumed)'})
    }
    if (!response.ok) throw await gcsFailure('upload', `${this.location}/${key}`, response)
    const uploaded = (await response.json()) as GcsObjectResource
    const sha256 = hash.digest('hex')
    await this.call('PATCH', `${this.objectPath(key)}?ifGenerationMatch=${uploaded.generation}`, {metadata: {[SHA256_KEY]: sha256}})
    return {key, size, sha256, metadata: {...options.metadata}, lastModified: new Date(uploaded.updated), versionId: uploaded.generation, encryptionKeyId: stripKeyVersion(uploaded.kmsKeyName) ?? this.encryptionKeyId}
  }

  async get(key: string): Promise<AsyncIterable<Uint8Array>> {
    const response = await this.call('GET', `${this.objectPath(key)}?alt=media`, undefined, [404])
    if (response.status === 404) {
      await response.body?.cancel()
      throw new NotFoundError(`${this.location}/${key} does not exist`)
    }
    return response.body as unknown as AsyncIterable<Uint8Array>
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const response = await this.call('GET', this.objectPath(key), undefined, [404])
    if (response.status === 404) {
      await response.body?.cancel()
      return undefined
    }
    const o = (await response.json()) as GcsObjectResource
    const {[SHA256_KEY]: sha256 = '', ...metadata} = o.metadata ?? {}
    return {key, size: Number(o.size), sha256, metadata, lastModified: new Date(o.updated), versionId: o.generation, encryptionKeyId: stripKeyVersion(o.kmsKeyName)}
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListPage> {
    const query = new URLSearchParams({prefix, maxResults: String(options.pageSize ?? 1000)})
    if (options.pageToken) query.set('pageToken', options.pageToken)
    const response = await this.call('GET', `/storage/v1/b/${encodeURIComponent(this.bucket)}/o?${query}`)
    const answer = (await response.json()) as {items?: GcsObjectResource[]; nextPageToken?: string}
    return {
      objects: (answer.items ?? []).map((o) => ({key: o.name, size: Number(o.size), lastModified: new Date(o.updated)})),
      nextPageToken: answer.nextPageToken,
    }
  }

  async delete(key: string): Promise<void> {
    // Without a generation, a versioned bucket makes the live version noncurrent and keeps it.
    const response = await this.call('DELETE', this.objectPath(key), undefined, [404])
    await response.body?.cancel()
  }
}

/** True when every setting mygate asks for is already what the bucket resource says (extra fields ignored). */
function bucketHolds(resource: Record<string, unknown>, wanted: Record<string, unknown>): boolean {
  const holds = (have: unknown, want: unknown): boolean => {
    if (Array.isArray(want)) return Array.isArray(have) && have.length === want.length && want.every((w, i) => holds(have[i], w))
    if (want !== null && typeof want === 'object') return have !== null && typeof have === 'object' && Object.entries(want).every(([k, w]) => holds((have as Record<string, unknown>)[k], w))
    return have === want
  }
  return holds(resource, wanted)
}

/** GCS reports the key version used (`.../cryptoKeyVersions/N`); the key is the id we record. */
function stripKeyVersion(name: string | undefined): string | undefined {
  return name?.replace(/\/cryptoKeyVersions\/[^/]+$/, '')
}

async function backoff(attempt: number): Promise<void> {
  const ms = Math.min(8000, 200 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2)
  await new Promise((resolve) => setTimeout(resolve, ms))
}

async function gcsFailure(action: string, target: string, response: Response): Promise<ExternalError> {
  let message = response.statusText
  try {
    const body = (await response.json()) as {error?: {message?: string}}
    message = body.error?.message ?? message
  } catch {
    // Not JSON: the status line says enough.
  }
  return new ExternalError(`GCS ${action} ${target} failed: HTTP ${response.status} ${message}`, {hint: 'check the bucket in the Google Cloud console or with `gcloud storage`, then re-run'})
}
