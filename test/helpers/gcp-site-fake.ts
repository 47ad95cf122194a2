import {type IncomingMessage, type ServerResponse, createServer} from 'node:http'

/**
 * A local fake of the Cloud KMS v1 and IAM v1 REST calls the GCP backup site makes, served under
 * /kms and /iam of one server: key rings and crypto keys (get, create, list versions, destroy a
 * version), service accounts (get, create, delete), and getIamPolicy/setIamPolicy on keys and
 * service accounts. As strict as the real APIs where the provider could trip: creating what exists
 * is 409, an unknown resource is 404, a setIamPolicy with a stale etag is 409
 * (https://cloud.google.com/iam/docs/policies#etag), a service account id outside 6-30
 * characters is 400, a request without a bearer token is 401.
 */

export interface IamPolicyState {
  bindings: Array<{role: string; members: string[]}>
  etag: string
}

export interface GcpSiteFake {
  endpoints: {kms: string; iam: string}
  keyRings: Set<string>
  /** key name -> its versions' states. */
  keys: Map<string, {labels: Record<string, string>; versions: string[]}>
  /** email -> service account. */
  serviceAccounts: Map<string, {accountId: string; displayName: string}>
  /** resource name -> policy. */
  policies: Map<string, IamPolicyState>
  /** "METHOD path" of every request. */
  requests: string[]
  stop(): Promise<void>
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  return text ? (JSON.parse(text) as Record<string, unknown>) : {}
}

function send(res: ServerResponse, status: number, body: unknown = {}): void {
  res.writeHead(status, {'content-type': 'application/json'})
  res.end(JSON.stringify(body))
}

const fail = (res: ServerResponse, status: number, message: string) => send(res, status, {error: {code: status, message}})

export async function startGcpSiteFake(): Promise<GcpSiteFake> {
  const fake: Omit<GcpSiteFake, 'endpoints' | 'stop'> = {keyRings: new Set(), keys: new Map(), serviceAccounts: new Map(), policies: new Map(), requests: []}
  let etags = 0

  function policyEndpoints(res: ServerResponse, resource: string, verb: string, body: Record<string, unknown>): void {
    const current = fake.policies.get(resource) ?? {bindings: [], etag: 'ACAB'}
    if (verb === 'getIamPolicy') return send(res, 200, current.bindings.length > 0 ? current : {etag: current.etag})
    const next = body.policy as {bindings?: IamPolicyState['bindings']; etag?: string} | undefined
    if (!next) return fail(res, 400, 'setIamPolicy needs a policy')
    if (next.etag !== undefined && next.etag !== current.etag) return fail(res, 409, 'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.')
    const stored = {bindings: next.bindings ?? [], etag: `E${++etags}`}
    fake.policies.set(resource, stored)
    return send(res, 200, stored)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake')
    const path = decodeURIComponent(url.pathname)
    fake.requests.push(`${req.method} ${path}`)
    if (!/^Bearer \S+/.test(req.headers.authorization ?? '')) return fail(res, 401, 'Request is missing required authentication credential.')
    const body = req.method === 'GET' || req.method === 'DELETE' ? {} : await readJson(req)

    let m = /^\/kms\/v1\/(projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/:]+):(getIamPolicy|setIamPolicy)$/.exec(path)
    if (m && req.method === 'POST') {
      if (!fake.keys.has(m[1])) return fail(res, 404, `${m[1]} not found.`)
      return policyEndpoints(res, m[1], m[2], body)
    }
    m = /^\/kms\/v1\/(projects\/[^/]+\/locations\/[^/]+)\/keyRings$/.exec(path)
    if (m && req.method === 'POST') {
      const name = `${m[1]}/keyRings/${url.searchParams.get('keyRingId')}`
      if (fake.keyRings.has(name)) return fail(res, 409, `KeyRing ${name} already exists.`)
      fake.keyRings.add(name)
      return send(res, 200, {name})
    }
    m = /^\/kms\/v1\/(projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+)$/.exec(path)
    if (m && req.method === 'GET') return fake.keyRings.has(m[1]) ? send(res, 200, {name: m[1]}) : fail(res, 404, `KeyRing ${m[1]} not found.`)
    m = /^\/kms\/v1\/(projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+)\/cryptoKeys$/.exec(path)
    if (m && req.method === 'POST') {
      if (!fake.keyRings.has(m[1])) return fail(res, 404, `KeyRing ${m[1]} not found.`)
      const name = `${m[1]}/cryptoKeys/${url.searchParams.get('cryptoKeyId')}`
      if (fake.keys.has(name)) return fail(res, 409, `CryptoKey ${name} already exists.`)
      if (body.purpose !== 'ENCRYPT_DECRYPT') return fail(res, 400, 'purpose must be ENCRYPT_DECRYPT for a key GCS can use')
      fake.keys.set(name, {labels: (body.labels as Record<string, string>) ?? {}, versions: ['ENABLED']})
      return send(res, 200, {name, purpose: body.purpose})
    }
    m = /^\/kms\/v1\/(projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/:]+)$/.exec(path)
    if (m && req.method === 'GET') {
      const key = fake.keys.get(m[1])
      return key ? send(res, 200, {name: m[1], labels: key.labels}) : fail(res, 404, `CryptoKey ${m[1]} not found.`)
    }
    m = /^\/kms\/v1\/(projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/:]+)\/cryptoKeyVersions$/.exec(path)
    if (m && req.method === 'GET') {
      const key = fake.keys.get(m[1])
      if (!key) return fail(res, 404, `CryptoKey ${m[1]} not found.`)
      const live = key.versions.map((state, i) => ({name: `${m![1]}/cryptoKeyVersions/${i + 1}`, state})).filter((v) => v.state === 'ENABLED' || v.state === 'DISABLED')
      return send(res, 200, live.length > 0 ? {cryptoKeyVersions: live} : {})
    }
    m = /^\/kms\/v1\/(projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/:]+)\/cryptoKeyVersions\/(\d+):destroy$/.exec(path)
    if (m && req.method === 'POST') {
      const key = fake.keys.get(m[1])
      const index = Number(m[2]) - 1
      if (!key || key.versions[index] === undefined) return fail(res, 404, 'CryptoKeyVersion not found.')
      key.versions[index] = 'DESTROY_SCHEDULED'
      return send(res, 200, {name: `${m[1]}/cryptoKeyVersions/${m[2]}`, state: 'DESTROY_SCHEDULED'})
    }

    m = /^\/iam\/v1\/projects\/([^/]+)\/serviceAccounts$/.exec(path)
    if (m && req.method === 'POST') {
      const accountId = String(body.accountId ?? '')
      if (!/^[a-z]([-a-z0-9]{4,28}[a-z0-9])$/.test(accountId)) return fail(res, 400, `Invalid account id ${accountId}: 6-30 characters, lower case letters, digits and hyphens.`)
      const email = `${accountId}@${m[1]}.iam.gserviceaccount.com`
      if (fake.serviceAccounts.has(email)) return fail(res, 409, `Service account ${accountId} already exists within project projects/${m[1]}.`)
      fake.serviceAccounts.set(email, {accountId, displayName: String((body.serviceAccount as {displayName?: string} | undefined)?.displayName ?? '')})
      return send(res, 200, {email, name: `projects/${m[1]}/serviceAccounts/${email}`})
    }
    m = /^\/iam\/v1\/projects\/([^/]+)\/serviceAccounts\/([^/:]+):(getIamPolicy|setIamPolicy)$/.exec(path)
    if (m && req.method === 'POST') {
      if (!fake.serviceAccounts.has(m[2])) return fail(res, 404, `Service account ${m[2]} does not exist.`)
      return policyEndpoints(res, `serviceAccounts/${m[2]}`, m[3], body)
    }
    m = /^\/iam\/v1\/projects\/([^/]+)\/serviceAccounts\/([^/:]+)$/.exec(path)
    if (m) {
      const account = fake.serviceAccounts.get(m[2])
      if (!account) return fail(res, 404, `Service account ${m[2]} does not exist.`)
      if (req.method === 'DELETE') {
        fake.serviceAccounts.delete(m[2])
        fake.policies.delete(`serviceAccounts/${m[2]}`)
        return send(res, 200, {})
      }
      return send(res, 200, {email: m[2], ...account})
    }
    fail(res, 404, `the fake does not serve ${req.method} ${path}`)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => fail(res, 500, (error as Error).message))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  return {
    ...fake,
    endpoints: {kms: `${base}/kms`, iam: `${base}/iam`},
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
