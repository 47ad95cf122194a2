import {createHash, randomBytes} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {mkdir, open, readdir, readFile, rename, rm, stat} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

import {writeFileAtomic} from '../../atomic-file.js'
import {ConflictError, NotFoundError, UsageError} from '../../errors.js'
import {KEY_BYTES, openSealedStream, sealStream} from './sealed-chunks.js'

/**
 * The local provider's object store: buckets as directories under
 * $MYGATE_HOME/local/object-store/, read and written by the CLI and by the local control plane's
 * simulated Jobs alike (hence a leaf module). It behaves like a versioned cloud bucket:
 *
 *   BUCKET/bucket.json             {name, region, keyId, createdAt, versioning: "Enabled"}
 *   BUCKET/bucket.key              the AES-256 key, hex, mode 0600 (the bucket's "KMS key")
 *   BUCKET/objects/KEY/VERSION.obj the object's bytes, sealed (sealed-chunks.ts)
 *   BUCKET/objects/KEY/VERSION.json {size, sha256, metadata, lastModified, deleteMarker}
 *
 * KEY is the object key percent-encoded into one path segment; VERSION sorts by time, so the
 * newest version is the current one. A delete adds a delete marker and keeps the data as a
 * noncurrent version, as S3 and GCS do with versioning on. Every file is written to a temp file
 * and renamed into place, and a version's .json (which makes it visible) is written after its
 * .obj, so a crash never shows a half-written object.
 */

export interface LocalBucketInfo {
  name: string
  region: string
  /** Identifies the bucket's key (not the key): `local:BUCKET:` and the first 16 hex digits of its SHA-256. */
  keyId: string
  createdAt: string
  versioning: 'Enabled'
}

export interface LocalObjectVersion {
  key: string
  versionId: string
  size: number
  /** SHA-256 of the plaintext, hex, computed while it was written. */
  sha256: string
  metadata: Record<string, string>
  lastModified: string
  deleteMarker: boolean
}

export interface LocalListPage {
  objects: LocalObjectVersion[]
  /** Pass back as `after` for the next page; absent on the last page. */
  nextToken?: string
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

/** Where the local object store's buckets live. */
export function localObjectStoreRoot(mygateHome: string): string {
  return join(mygateHome, 'local', 'object-store')
}

function encodeKey(key: string): string {
  // One path segment per key; "." and ".." must not be file names.
  return encodeURIComponent(key).replace(/\./g, '%2E')
}

function newVersionId(): string {
  // Sorts by time (ms, then a counter within the ms), then random, as a string.
  const now = Date.now()
  if (now === lastMs) counter++
  else {
    lastMs = now
    counter = 0
  }
  return `${now.toString(16).padStart(12, '0')}${counter.toString(16).padStart(4, '0')}${randomBytes(4).toString('hex')}`
}
let lastMs = 0
let counter = 0

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
}

/** Streams bytes into a temp file beside `path`, fsyncs, renames into place. */
async function writeStreamAtomic(path: string, chunks: AsyncIterable<Uint8Array>): Promise<void> {
  await mkdir(dirname(path), {recursive: true})
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`)
  const handle = await open(temp, 'w', 0o600)
  try {
    for await (const chunk of chunks) await handle.write(chunk)
    await handle.sync()
  } catch (error) {
    await handle.close()
    await rm(temp, {force: true})
    throw error
  }
  await handle.close()
  await rename(temp, path)
}

export class LocalBucket {
  private constructor(
    readonly dir: string,
    readonly info: LocalBucketInfo,
    private readonly key: Buffer,
  ) {}

  /**
   * Creates the bucket with a fresh key if it does not exist (idempotent: an existing bucket in
   * the same region is opened; in another region it is a conflict, like S3's
   * BucketAlreadyOwnedByYou across regions).
   */
  static async ensure(root: string, name: string, region: string): Promise<LocalBucket> {
    if (!BUCKET_NAME.test(name)) throw new UsageError(`bucket name "${name}" is not valid`, {hint: '3-63 characters: lowercase letters, digits, dots and hyphens'})
    const dir = join(root, name)
    if (await exists(join(dir, 'bucket.json'))) {
      const bucket = await LocalBucket.open(root, name)
      if (bucket.info.region !== region) {
        throw new ConflictError(`local bucket ${name} exists in region ${bucket.info.region}, not ${region}`, {hint: 'buckets are per region: use one name per region'})
      }
      return bucket
    }
    const key = randomBytes(KEY_BYTES)
    const info: LocalBucketInfo = {
      name,
      region,
      keyId: `local:${name}:${createHash('sha256').update(key).digest('hex').slice(0, 16)}`,
      createdAt: new Date().toISOString(),
      versioning: 'Enabled',
    }
    // The key first: a bucket.json without its key would be unreadable.
    await writeFileAtomic(join(dir, 'bucket.key'), key.toString('hex') + '\n', 0o600)
    await writeFileAtomic(join(dir, 'bucket.json'), JSON.stringify(info, null, 2) + '\n')
    return new LocalBucket(dir, info, key)
  }

  static async open(root: string, name: string): Promise<LocalBucket> {
    const dir = join(root, name)
    let infoText: string
    try {
      infoText = await readFile(join(dir, 'bucket.json'), 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`local bucket ${name} does not exist`, {hint: 'buckets are created by `mygate env create`'})
      throw error
    }
    const info = JSON.parse(infoText) as LocalBucketInfo
    const key = Buffer.from((await readFile(join(dir, 'bucket.key'), 'utf8')).trim(), 'hex')
    return new LocalBucket(dir, info, key)
  }

  static async list(root: string): Promise<string[]> {
    try {
      const names = await readdir(root)
      const out: string[] = []
      for (const name of names.sort()) if (await exists(join(root, name, 'bucket.json'))) out.push(name)
      return out
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw error
    }
  }

  private keyDir(key: string): string {
    if (key === '' || key.length > 1024) throw new UsageError(`object key "${key.slice(0, 80)}" must be 1-1024 characters`)
    return join(this.dir, 'objects', encodeKey(key))
  }

  /** Writes a new version of `key` from a stream; the SHA-256 and size are computed on the way in. */
  async put(key: string, body: AsyncIterable<Uint8Array>, metadata: Record<string, string> = {}): Promise<LocalObjectVersion> {
    const dir = this.keyDir(key)
    const versionId = newVersionId()
    const hash = createHash('sha256')
    let size = 0
    async function* measured(): AsyncGenerator<Uint8Array> {
      for await (const chunk of body) {
        hash.update(chunk)
        size += chunk.length
        yield chunk
      }
    }
    await writeStreamAtomic(join(dir, `${versionId}.obj`), sealStream(this.key, measured()))
    const version: LocalObjectVersion = {key, versionId, size, sha256: hash.digest('hex'), metadata: {...metadata}, lastModified: new Date().toISOString(), deleteMarker: false}
    await writeFileAtomic(join(dir, `${versionId}.json`), JSON.stringify(version) + '\n', 0o600)
    return version
  }

  /** All versions of a key, newest first (delete markers included). */
  async versions(key: string): Promise<LocalObjectVersion[]> {
    const dir = this.keyDir(key)
    let names: string[]
    try {
      names = await readdir(dir)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw error
    }
    const ids = names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).map((n) => n.slice(0, -'.json'.length)).sort().reverse()
    const out: LocalObjectVersion[] = []
    for (const id of ids) out.push(JSON.parse(await readFile(join(dir, `${id}.json`), 'utf8')) as LocalObjectVersion)
    return out
  }

  /** The current version, or undefined if there is none or the newest is a delete marker. */
  async head(key: string): Promise<LocalObjectVersion | undefined> {
    const [newest] = await this.versions(key)
    return newest && !newest.deleteMarker ? newest : undefined
  }

  /** The plaintext of the current version (or of `versionId`), decrypted and authenticated as it streams. */
  async get(key: string, versionId?: string): Promise<{version: LocalObjectVersion; body: AsyncIterable<Buffer>}> {
    const all = await this.versions(key)
    const version = versionId === undefined ? (all[0]?.deleteMarker ? undefined : all[0]) : all.find((v) => v.versionId === versionId && !v.deleteMarker)
    if (!version) throw new NotFoundError(`object ${key} does not exist in local bucket ${this.info.name}${versionId ? ` (version ${versionId})` : ''}`)
    const path = join(this.keyDir(key), `${version.versionId}.obj`)
    return {version, body: openSealedStream(this.key, createReadStream(path, {highWaterMark: 256 * 1024}), `object ${key} in local bucket ${this.info.name}`)}
  }

  /** Adds a delete marker: the data stays as a noncurrent version. Deleting an absent key is a no-op. */
  async delete(key: string): Promise<void> {
    if (!(await this.head(key))) return
    const versionId = newVersionId()
    const marker: LocalObjectVersion = {key, versionId, size: 0, sha256: '', metadata: {}, lastModified: new Date().toISOString(), deleteMarker: true}
    await writeFileAtomic(join(this.keyDir(key), `${versionId}.json`), JSON.stringify(marker) + '\n', 0o600)
  }

  /** Current objects whose key starts with `prefix`, in key order, a page at a time. */
  async list(prefix: string, options: {after?: string; pageSize?: number} = {}): Promise<LocalListPage> {
    const pageSize = options.pageSize ?? 1000
    let names: string[]
    try {
      names = await readdir(join(this.dir, 'objects'))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {objects: []}
      throw error
    }
    const keys = names
      .map((n) => decodeURIComponent(n))
      .filter((k) => k.startsWith(prefix) && (options.after === undefined || k > options.after))
      .sort()
    const objects: LocalObjectVersion[] = []
    for (const key of keys) {
      const current = await this.head(key)
      if (!current) continue
      if (objects.length === pageSize) return {objects, nextToken: objects[objects.length - 1].key}
      objects.push(current)
    }
    return {objects}
  }
}
