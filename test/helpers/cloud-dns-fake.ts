import {type IncomingMessage, type ServerResponse, createServer} from 'node:http'

import type {AuthorizedRequest} from '../../src/providers/gcp/compute.js'

/**
 * A local fake of the Cloud DNS v1 REST API (https://cloud.google.com/dns/docs/reference/rest/v1)
 * for the resources mygate uses: managedZones (create, get, list by dnsName, delete), resourceRecordSets (list),
 * changes (create, get). On 127.0.0.1 and a free port; `stop()` closes it.
 *
 * As strict as the real API where mygate's requests could trip:
 * - a zone name is 1-63 characters of lowercase letters, digits and dashes, starting with a letter;
 *   `dnsName` ends with a dot; a private zone names at least one network; a taken name is 409
 *   alreadyExists; a new zone holds its SOA and NS record sets;
 * - a zone that holds record sets other than SOA and NS cannot be deleted (400 containerNotEmpty);
 * - a change is atomic: every deletion must match an existing record set exactly (name, type, ttl,
 *   rrdatas) or the whole change fails with 412 conditionNotMet; an addition whose name and type
 *   exist after the deletions is 409 alreadyExists; names end with a dot and lie inside the zone;
 *   an A record's rrdatas are IPv4 addresses; a CNAME has one target and no other record set of
 *   its name; a record set has rrdatas or a routing policy, not both; a weighted round robin
 *   policy (`wrr`, the one routing policy modelled) has items with a non-negative weight and
 *   rrdatas; TXT strings are quoted;
 * - a change is `pending` for `pendingReads` reads of it, then `done`.
 */

export interface FakeRecordSet {
  name: string
  type: string
  ttl?: number
  rrdatas?: string[]
  routingPolicy?: unknown
}

export interface FakeZone {
  name: string
  dnsName: string
  description?: string
  visibility?: string
  privateVisibilityConfig?: {networks?: Array<{networkUrl: string}>}
  labels?: Record<string, string>
  id: string
  records: FakeRecordSet[]
}

export interface CloudDnsFake {
  /** Base URL of the v1 API: pass as `endpoint`. */
  endpoint: string
  /** An AuthorizedRequest that talks to the fake over real HTTP (no credentials needed). */
  request: AuthorizedRequest
  zones: Map<string, FakeZone>
  /** Every change request, in order (their bodies as sent). */
  changes: Array<{zone: string; additions: FakeRecordSet[]; deletions: FakeRecordSet[]}>
  /** How many reads a change stays pending (default 1). */
  pendingReads: number
  stop(): Promise<void>
}

const ZONE_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/

function googleError(response: ServerResponse, code: number, reason: string, message: string): void {
  response.writeHead(code, {'content-type': 'application/json'})
  response.end(JSON.stringify({error: {code, message, errors: [{domain: 'global', reason, message}]}}))
}

function send(response: ServerResponse, body: unknown): void {
  response.writeHead(200, {'content-type': 'application/json'})
  response.end(JSON.stringify(body))
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  return text ? JSON.parse(text) : undefined
}

function sameSet(a: FakeRecordSet, b: FakeRecordSet): boolean {
  return a.name === b.name && a.type === b.type && Number(a.ttl) === Number(b.ttl) && JSON.stringify(a.rrdatas ?? []) === JSON.stringify(b.rrdatas ?? []) && JSON.stringify(a.routingPolicy ?? null) === JSON.stringify(b.routingPolicy ?? null)
}

/** Why an addition is invalid in `zone`, or undefined. */
function invalidAddition(zone: FakeZone, set: FakeRecordSet): string | undefined {
  if (!set.name?.endsWith('.')) return `Invalid value for 'entity.change.additions[].name': '${set.name}' (a fully qualified name ends with a dot)`
  if (set.name !== zone.dnsName && !set.name.endsWith(`.${zone.dnsName}`)) return `The resource record set name '${set.name}' is not within the zone '${zone.dnsName}'`
  if (!set.type) return 'a record set needs a type'
  const hasData = (set.rrdatas ?? []).length > 0
  if (hasData === (set.routingPolicy !== undefined)) return `record set ${set.name} ${set.type} needs either rrdatas or a routingPolicy`
  const wrr = (set.routingPolicy as {wrr?: {items?: Array<{weight?: number; rrdatas?: string[]}>}} | undefined)?.wrr
  if (set.routingPolicy !== undefined) {
    if (!wrr || (wrr.items ?? []).length === 0) return `record set ${set.name}: only a non-empty wrr routing policy is part of this fake`
    if (wrr.items!.some((item) => typeof item.weight !== 'number' || item.weight < 0 || (item.rrdatas ?? []).length === 0)) return `record set ${set.name}: a wrr item has a non-negative weight and rrdatas`
    if (set.type === 'A' && !wrr.items!.every((item) => item.rrdatas!.every((ip) => IPV4.test(ip)))) return `Invalid value for A record ${set.name} in its routing policy`
  }
  if (set.type === 'TXT' && !(set.rrdatas ?? []).every((text) => /^".*"$/.test(text))) return `a TXT record's strings are quoted: ${set.rrdatas?.join(' ')}`
  if (set.type === 'A' && !(set.rrdatas ?? []).every((ip) => IPV4.test(ip))) return `Invalid value for A record ${set.name}: ${set.rrdatas?.join(', ')}`
  if (set.type === 'CNAME' && hasData && ((set.rrdatas ?? []).length !== 1 || !set.rrdatas![0].endsWith('.'))) return `a CNAME has exactly one fully qualified target: ${set.rrdatas?.join(', ')}`
  return undefined
}

export async function startCloudDnsFake(project: string): Promise<CloudDnsFake> {
  const zones = new Map<string, FakeZone>()
  const changeLog: CloudDnsFake['changes'] = []
  const changeReads = new Map<string, {zone: string; reads: number; body: Record<string, unknown>}>()
  let nextId = 1
  const fake = {pendingReads: 1} as CloudDnsFake

  const changeView = (id: string) => {
    const entry = changeReads.get(id)!
    return {...entry.body, id, kind: 'dns#change', status: entry.reads >= fake.pendingReads ? 'done' : 'pending'}
  }

  const server = createServer(async (request, response) => {
    try {
      const url = new URL(request.url ?? '/', 'http://fake')
      const prefix = `/dns/v1/projects/${project}/managedZones`
      if (!url.pathname.startsWith(prefix)) return googleError(response, 404, 'notFound', `no such resource ${url.pathname}`)
      const parts = url.pathname.slice(prefix.length).split('/').filter(Boolean)
      const method = request.method ?? 'GET'

      if (parts.length === 0 && method === 'GET') {
        const dnsName = url.searchParams.get('dnsName')
        const listed = [...zones.values()].filter((z) => !dnsName || z.dnsName === dnsName).map(({records: _records, ...view}) => ({...view, kind: 'dns#managedZone'}))
        return send(response, {kind: 'dns#managedZonesListResponse', managedZones: listed})
      }
      if (parts.length === 0 && method === 'POST') {
        const body = (await readBody(request)) as Partial<FakeZone>
        if (!body?.name || !ZONE_NAME.test(body.name)) return googleError(response, 400, 'invalid', `Invalid value for 'entity.managedZone.name': '${body?.name}'`)
        if (!body.dnsName?.endsWith('.')) return googleError(response, 400, 'invalid', `Invalid value for 'entity.managedZone.dnsName': '${body.dnsName}'`)
        if (body.visibility === 'private' && (body.privateVisibilityConfig?.networks ?? []).length === 0) {
          return googleError(response, 400, 'invalid', 'a private zone must be visible to at least one network')
        }
        if (zones.has(body.name)) return googleError(response, 409, 'alreadyExists', `The resource 'entity.managedZone' named '${body.name}' already exists`)
        const zone: FakeZone = {
          name: body.name,
          dnsName: body.dnsName,
          description: body.description ?? '',
          visibility: body.visibility ?? 'public',
          ...(body.privateVisibilityConfig ? {privateVisibilityConfig: body.privateVisibilityConfig} : {}),
          ...(body.labels ? {labels: body.labels} : {}),
          id: String(nextId++),
          records: [
            {name: body.dnsName, type: 'SOA', ttl: 21600, rrdatas: [`ns-gcp-private.googledomains.com. cloud-dns-hostmaster.google.com. 1 21600 3600 259200 300`]},
            {name: body.dnsName, type: 'NS', ttl: 21600, rrdatas: ['ns-gcp-private.googledomains.com.']},
          ],
        }
        zones.set(zone.name, zone)
        const {records: _records, ...view} = zone
        return send(response, {...view, kind: 'dns#managedZone'})
      }

      const zone = zones.get(parts[0] ?? '')
      if (!zone) return googleError(response, 404, 'notFound', `The 'parameters.managedZone' resource named '${parts[0]}' does not exist.`)

      if (parts.length === 1 && method === 'GET') {
        const {records: _records, ...view} = zone
        return send(response, {...view, kind: 'dns#managedZone'})
      }
      if (parts.length === 1 && method === 'DELETE') {
        if (zone.records.some((r) => r.type !== 'SOA' && r.type !== 'NS')) {
          return googleError(response, 400, 'containerNotEmpty', `The resource named '${zone.name}' cannot be deleted because it is not empty`)
        }
        zones.delete(zone.name)
        response.writeHead(204)
        return response.end()
      }
      if (parts[1] === 'rrsets' && parts.length === 2 && method === 'GET') {
        const name = url.searchParams.get('name')
        const type = url.searchParams.get('type')
        return send(response, {kind: 'dns#resourceRecordSetsListResponse', rrsets: zone.records.filter((r) => (!name || r.name === name) && (!type || r.type === type))})
      }
      if (parts[1] === 'changes' && parts.length === 2 && method === 'POST') {
        const body = ((await readBody(request)) ?? {}) as {additions?: FakeRecordSet[]; deletions?: FakeRecordSet[]}
        const additions = body.additions ?? []
        const deletions = body.deletions ?? []
        if (additions.length === 0 && deletions.length === 0) return googleError(response, 400, 'required', 'The change must have additions or deletions')
        let records = [...zone.records]
        for (const deletion of deletions) {
          const index = records.findIndex((r) => sameSet(r, deletion))
          if (index < 0) return googleError(response, 412, 'conditionNotMet', `The resource 'entity.change.deletions[${deletion.name}][${deletion.type}]' does not match the existing record set`)
          records.splice(index, 1)
        }
        for (const addition of additions) {
          const invalid = invalidAddition(zone, addition)
          if (invalid) return googleError(response, 400, 'invalid', invalid)
          if (records.some((r) => r.name === addition.name && r.type === addition.type)) {
            return googleError(response, 409, 'alreadyExists', `The resource 'entity.change.additions[${addition.name}][${addition.type}]' named '${addition.name} (${addition.type})' already exists`)
          }
          const sameName = records.filter((r) => r.name === addition.name)
          if ((addition.type === 'CNAME' && sameName.length > 0) || sameName.some((r) => r.type === 'CNAME')) {
            return googleError(response, 400, 'cnameResourceRecordSetConflict', `a CNAME cannot share the name ${addition.name} with another record set`)
          }
          records = [...records, {name: addition.name, type: addition.type, ttl: addition.ttl ?? 300, ...(addition.rrdatas ? {rrdatas: addition.rrdatas} : {}), ...(addition.routingPolicy ? {routingPolicy: addition.routingPolicy} : {})}]
        }
        zone.records = records
        changeLog.push({zone: zone.name, additions, deletions})
        const id = String(nextId++)
        changeReads.set(id, {zone: zone.name, reads: 0, body: {additions, deletions}})
        return send(response, changeView(id))
      }
      if (parts[1] === 'changes' && parts.length === 3 && method === 'GET') {
        const entry = changeReads.get(parts[2])
        if (!entry || entry.zone !== zone.name) return googleError(response, 404, 'notFound', `change ${parts[2]} not found`)
        entry.reads++
        return send(response, changeView(parts[2]))
      }
      return googleError(response, 400, 'badRequest', `${method} ${url.pathname} is not part of this fake`)
    } catch (error) {
      googleError(response, 500, 'internalError', error instanceof Error ? error.message : String(error))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  const endpoint = `http://127.0.0.1:${port}/dns/v1`

  const request: AuthorizedRequest = async ({url, method, data}) => {
    const answer = await fetch(url, {method, ...(data === undefined ? {} : {body: JSON.stringify(data), headers: {'content-type': 'application/json'}})})
    const text = await answer.text()
    return {status: answer.status, data: text ? (JSON.parse(text) as unknown) : undefined}
  }

  return Object.assign(fake, {
    endpoint,
    request,
    zones,
    changes: changeLog,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  })
}
