import {createHash} from 'node:crypto'

import {NotFoundError} from '../../errors.js'
import {toAsyncIterable, type Body, type ListOptions, type ListPage, type ObjectInfo, type ObjectStore, type PutOptions} from './object-store.js'

interface Version {
  info: ObjectInfo
  bytes: Buffer
}

/**
 * A versioned in-memory store for unit tests of the layers above. Overrides replace any method
 * (to inject a failure), and `corrupt()` flips a stored byte to stand for damage at rest.
 */
export class MemoryObjectStore implements ObjectStore {
  readonly kind = 'memory' as const
  readonly location: string
  /** Every version of every key, oldest first; a delete marker is `undefined`. */
  readonly versions = new Map<string, Array<Version | undefined>>()
  private clock = 0

  constructor(
    readonly bucket = 'test-bucket',
    readonly region = 'test-region',
    readonly encryptionKeyId = `memory:${bucket}`,
    overrides: Partial<Pick<ObjectStore, 'put' | 'get' | 'head' | 'list' | 'delete'>> = {},
  ) {
    this.location = `memory://${bucket}`
    Object.assign(this, overrides)
  }

  async put(key: string, body: Body, options: PutOptions = {}): Promise<ObjectInfo> {
    const chunks: Buffer[] = []
    for await (const chunk of toAsyncIterable(body)) chunks.push(Buffer.from(chunk))
    const bytes = Buffer.concat(chunks)
    const list = this.versions.get(key) ?? []
    const info: ObjectInfo = {
      key,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      metadata: {...options.metadata},
      // A logical clock keeps "newer" unambiguous within a millisecond.
      lastModified: new Date(Date.UTC(2026, 0, 1) + ++this.clock),
      versionId: String(this.clock),
      encryptionKeyId: this.encryptionKeyId,
    }
    list.push({info, bytes})
    this.versions.set(key, list)
    return info
  }

  private current(key: string): Version | undefined {
    const list = this.versions.get(key)
    return list?.[list.length - 1]
  }

  async get(key: string): Promise<AsyncIterable<Uint8Array>> {
    const version = this.current(key)
    if (!version) throw new NotFoundError(`${this.location}/${key} does not exist`)
    const bytes = Buffer.from(version.bytes)
    return (async function* () {
      // Small pieces, so readers that assume one chunk are caught.
      for (let i = 0; i < bytes.length; i += 4096) yield bytes.subarray(i, i + 4096)
    })()
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    return this.current(key)?.info
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListPage> {
    const pageSize = options.pageSize ?? 1000
    const keys = [...this.versions.keys()].filter((k) => k.startsWith(prefix) && this.current(k) && (options.pageToken === undefined || k > options.pageToken)).sort()
    const page = keys.slice(0, pageSize)
    return {
      objects: page.map((k) => {
        const {info} = this.current(k)!
        return {key: k, size: info.size, lastModified: info.lastModified}
      }),
      nextPageToken: keys.length > pageSize ? page[page.length - 1] : undefined,
    }
  }

  async delete(key: string): Promise<void> {
    if (this.current(key)) this.versions.get(key)!.push(undefined)
  }

  /** Flips one byte of the current version (damage at rest), without changing its recorded SHA-256. */
  corrupt(key: string, offset = 0): void {
    const version = this.current(key)
    if (!version) throw new Error(`no ${key} to corrupt`)
    version.bytes[offset % version.bytes.length] ^= 0xff
  }
}
