import {type IncomingMessage, type ServerResponse, createServer} from 'node:http'

/**
 * A local fake of the Cloud Storage JSON API calls the GCS backup store makes
 * (https://cloud.google.com/storage/docs/json_api/v1): buckets.insert/patch/get, objects insert
 * (uploadType=multipart), get (metadata and alt=media), list (prefix, maxResults, pageToken),
 * patch (custom metadata), delete, and rewrite. Versioned like the real thing: every upload is a
 * new generation, a delete of a versioned bucket's object leaves it noncurrent. For the backup
 * site: the project's service agent (projects.serviceAccount.get), bucket IAM policies (getIamPolicy,
 * setIamPolicy with etags), listing with versions=true, deleting one generation, and deleting a
 * bucket (409 while any generation is left, as GCS does).
 *
 * As strict as GCS where the store's requests could trip: a request without a bearer token is
 * 401; an upload to a missing bucket is 404; a Cloud KMS key outside the bucket's location is
 * refused (400), since GCS requires the key in the bucket's location; ifGenerationMatch is honoured.
 */

export interface FakeGcsObject {
  name: string
  generation: number
  metageneration: number
  live: boolean
  bytes: Buffer
  metadata: Record<string, string>
  kmsKeyName: string
  contentType: string
  updated: string
}

export interface FakeGcsBucket {
  name: string
  location: string
  project: string
  settings: Record<string, unknown>
  objects: FakeGcsObject[]
  iam?: {bindings: Array<{role: string; members: string[]}>; etag: string}
}

export interface GcsFake {
  endpoint: string
  buckets: Map<string, FakeGcsBucket>
  /** Requests seen, "METHOD path". */
  requests: string[]
  stop(): Promise<void>
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  res.writeHead(status, {'content-type': 'application/json'})
  res.end(body === undefined ? '' : JSON.stringify(body))
}

function fail(res: ServerResponse, status: number, message: string): void {
  send(res, status, {error: {code: status, message}})
}

let generationClock = 1_700_000_000_000_000

function resource(bucket: FakeGcsBucket, o: FakeGcsObject): Record<string, unknown> {
  return {
    kind: 'storage#object',
    bucket: bucket.name,
    name: o.name,
    size: String(o.bytes.length),
    generation: String(o.generation),
    metageneration: String(o.metageneration),
    updated: o.updated,
    contentType: o.contentType,
    metadata: o.metadata,
    // GCS reports the key version that encrypted the object.
    kmsKeyName: `${o.kmsKeyName}/cryptoKeyVersions/1`,
  }
}

/** The location segment of projects/P/locations/L/keyRings/R/cryptoKeys/K. */
function keyLocation(kmsKeyName: string): string | undefined {
  return /^projects\/[^/]+\/locations\/([^/]+)\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/.exec(kmsKeyName)?.[1]
}

function parseMultipart(body: Buffer, contentType: string): {meta: Record<string, unknown>; media: Buffer} | undefined {
  const boundary = /boundary=([^;]+)/.exec(contentType)?.[1]
  if (!boundary) return undefined
  const open = Buffer.from(`--${boundary}\r\n`)
  const close = Buffer.from(`\r\n--${boundary}--`)
  const first = body.indexOf(open)
  const metaStart = body.indexOf('\r\n\r\n', first) + 4
  const metaEnd = body.indexOf(Buffer.from(`\r\n--${boundary}\r\n`), metaStart)
  const mediaStart = body.indexOf('\r\n\r\n', metaEnd + 2) + 4
  const mediaEnd = body.lastIndexOf(close)
  if (first < 0 || metaEnd < 0 || mediaEnd < mediaStart) return undefined
  return {meta: JSON.parse(body.subarray(metaStart, metaEnd).toString('utf8')) as Record<string, unknown>, media: body.subarray(mediaStart, mediaEnd)}
}

export async function startGcsFake(): Promise<GcsFake> {
  const buckets = new Map<string, FakeGcsBucket>()
  const requests: string[] = []

  const live = (bucket: FakeGcsBucket, name: string) => bucket.objects.find((o) => o.name === name && o.live)

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake')
    const path = url.pathname
    requests.push(`${req.method} ${path}`)
    if (!/^Bearer \S+/.test(req.headers.authorization ?? '')) return fail(res, 401, 'Anonymous caller does not have storage access')
    const body = await readBody(req)

    // projects.serviceAccount.get: the Cloud Storage service agent (it must be able to use a CMEK key).
    let site = /^\/storage\/v1\/projects\/([^/]+)\/serviceAccount$/.exec(path)
    if (site && req.method === 'GET') return send(res, 200, {kind: 'storage#serviceAccount', email_address: `service-123456789@gs-project-accounts.iam.gserviceaccount.com`})
    // buckets.getIamPolicy / setIamPolicy
    site = /^\/storage\/v1\/b\/([^/]+)\/iam$/.exec(path)
    if (site) {
      const bucket = buckets.get(decodeURIComponent(site[1]))
      if (!bucket) return fail(res, 404, 'The specified bucket does not exist.')
      const current = bucket.iam ?? {bindings: [], etag: 'CAE='}
      if (req.method === 'GET') return send(res, 200, {kind: 'storage#policy', resourceId: `projects/_/buckets/${bucket.name}`, ...current})
      if (req.method === 'PUT') {
        const next = JSON.parse(body.toString('utf8')) as {bindings?: Array<{role: string; members: string[]}>; etag?: string}
        if (next.etag !== undefined && next.etag !== current.etag) return fail(res, 412, 'At least one of the pre-conditions you specified did not hold.')
        bucket.iam = {bindings: next.bindings ?? [], etag: `${current.etag}${bucket.name.length}`}
        return send(res, 200, {kind: 'storage#policy', ...bucket.iam})
      }
    }
    // buckets.delete: only an empty bucket (no generation at all, live or noncurrent).
    site = /^\/storage\/v1\/b\/([^/]+)$/.exec(path)
    if (site && req.method === 'DELETE') {
      const bucket = buckets.get(decodeURIComponent(site[1]))
      if (!bucket) return fail(res, 404, 'The specified bucket does not exist.')
      if (bucket.objects.length > 0) return fail(res, 409, 'The bucket you tried to delete is not empty.')
      buckets.delete(bucket.name)
      res.writeHead(204)
      res.end()
      return
    }
    // objects.delete of one generation: gone for good.
    site = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(path)
    if (site && req.method === 'DELETE' && url.searchParams.has('generation')) {
      const bucket = buckets.get(decodeURIComponent(site[1]))
      if (!bucket) return fail(res, 404, 'The specified bucket does not exist.')
      const index = bucket.objects.findIndex((o) => o.name === decodeURIComponent(site![2]) && o.generation === Number(url.searchParams.get('generation')))
      if (index < 0) return fail(res, 404, 'No such object')
      bucket.objects.splice(index, 1)
      res.writeHead(204)
      res.end()
      return
    }

    // buckets.insert
    if (req.method === 'POST' && path === '/storage/v1/b') {
      const spec = JSON.parse(body.toString('utf8')) as {name: string; location: string; encryption?: {defaultKmsKeyName?: string}}
      if (buckets.has(spec.name)) return fail(res, 409, 'Your previous request to create the named bucket succeeded and you already own it.')
      const key = spec.encryption?.defaultKmsKeyName
      if (key && keyLocation(key) !== spec.location) return fail(res, 400, `Cloud KMS key ${key} is not in the bucket's location ${spec.location}`)
      const {name, location, ...settings} = spec
      buckets.set(name, {name, location, project: url.searchParams.get('project') ?? '', settings, objects: []})
      return send(res, 200, {name, location, ...settings})
    }
    let match = /^\/storage\/v1\/b\/([^/]+)$/.exec(path)
    if (match) {
      const bucket = buckets.get(decodeURIComponent(match[1]))
      if (!bucket) return fail(res, 404, 'The specified bucket does not exist.')
      if (req.method === 'PATCH') Object.assign(bucket.settings, JSON.parse(body.toString('utf8')))
      return send(res, 200, {name: bucket.name, location: bucket.location, ...bucket.settings})
    }
    // objects.insert (multipart)
    match = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(path)
    if (match && req.method === 'POST') {
      const bucket = buckets.get(decodeURIComponent(match[1]))
      if (!bucket) return fail(res, 404, 'The specified bucket does not exist.')
      if (url.searchParams.get('uploadType') !== 'multipart') return fail(res, 400, 'this fake takes uploadType=multipart')
      const parsed = parseMultipart(body, req.headers['content-type'] ?? '')
      if (!parsed) return fail(res, 400, 'malformed multipart body')
      const kmsKeyName = (parsed.meta.kmsKeyName as string | undefined) ?? ((bucket.settings.encryption as {defaultKmsKeyName?: string} | undefined)?.defaultKmsKeyName ?? '')
      if (kmsKeyName && keyLocation(kmsKeyName) !== bucket.location) return fail(res, 400, `Cloud KMS key ${kmsKeyName} is not in the bucket's location ${bucket.location}`)
      const name = parsed.meta.name as string
      const previous = live(bucket, name)
      const versioned = (bucket.settings.versioning as {enabled?: boolean} | undefined)?.enabled === true
      if (previous) {
        if (versioned) previous.live = false
        else bucket.objects.splice(bucket.objects.indexOf(previous), 1)
      }
      const object: FakeGcsObject = {
        name,
        generation: ++generationClock,
        metageneration: 1,
        live: true,
        bytes: Buffer.from(parsed.media),
        metadata: (parsed.meta.metadata as Record<string, string>) ?? {},
        kmsKeyName,
        contentType: (parsed.meta.contentType as string) ?? 'application/octet-stream',
        updated: new Date().toISOString(),
      }
      bucket.objects.push(object)
      return send(res, 200, resource(bucket, object))
    }
    // objects.list
    match = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(path)
    if (match && req.method === 'GET') {
      const bucket = buckets.get(decodeURIComponent(match[1]))
      if (!bucket) return fail(res, 404, 'The specified bucket does not exist.')
      const prefix = url.searchParams.get('prefix') ?? ''
      const max = Number(url.searchParams.get('maxResults') ?? '1000')
      const after = url.searchParams.get('pageToken')
      const versions = url.searchParams.get('versions') === 'true'
      const names = bucket.objects.filter((o) => (o.live || versions) && o.name.startsWith(prefix) && (after === null || o.name > after)).sort((a, b) => (a.name < b.name ? -1 : 1))
      const page = names.slice(0, max)
      return send(res, 200, {kind: 'storage#objects', items: page.map((o) => resource(bucket, o)), ...(names.length > max ? {nextPageToken: page[page.length - 1].name} : {})})
    }
    // objects.get / patch / delete
    match = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(path)
    if (match) {
      const bucket = buckets.get(decodeURIComponent(match[1]))
      if (!bucket) return fail(res, 404, 'The specified bucket does not exist.')
      const object = live(bucket, decodeURIComponent(match[2]))
      if (!object) return fail(res, 404, 'No such object')
      const ifGeneration = url.searchParams.get('ifGenerationMatch')
      if (ifGeneration !== null && Number(ifGeneration) !== object.generation) return fail(res, 412, 'At least one of the pre-conditions you specified did not hold.')
      if (req.method === 'GET') {
        if (url.searchParams.get('alt') === 'media') {
          res.writeHead(200, {'content-type': object.contentType})
          res.end(object.bytes)
          return
        }
        return send(res, 200, resource(bucket, object))
      }
      if (req.method === 'PATCH') {
        const patch = JSON.parse(body.toString('utf8')) as {metadata?: Record<string, string>}
        object.metadata = {...object.metadata, ...patch.metadata}
        object.metageneration++
        return send(res, 200, resource(bucket, object))
      }
      if (req.method === 'DELETE') {
        object.live = false
        if ((bucket.settings.versioning as {enabled?: boolean} | undefined)?.enabled !== true) bucket.objects.splice(bucket.objects.indexOf(object), 1)
        res.writeHead(204)
        res.end()
        return
      }
    }
    fail(res, 404, `the fake does not serve ${req.method} ${path}`)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => fail(res, 500, (error as Error).message))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    endpoint: `http://127.0.0.1:${port}`,
    buckets,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
