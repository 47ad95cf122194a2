import {ExternalError, TimeoutError} from '../../errors.js'
import type {AuthorizedRequest} from './compute.js'

/**
 * The few Cloud DNS v1 REST calls mygate makes (https://cloud.google.com/dns/docs/reference/rest/v1):
 * managedZones get / create / delete, resourceRecordSets list, changes create / get. Plain REST
 * through an authorized request, like compute.ts: no generated client to load for six calls.
 *
 * A change (`changes.create`) applies its `deletions` and `additions` atomically, and a deletion
 * must match the record set exactly (name, type, ttl, rrdatas): Cloud DNS refuses the whole change
 * otherwise (412 conditionNotMet), and refuses an addition whose name and type exist (409
 * alreadyExists). So every writer here reads the current record set first and deletes it as read.
 */

export const DEFAULT_CLOUD_DNS_ENDPOINT = 'https://dns.googleapis.com/dns/v1'

export interface ResourceRecordSet {
  /** Fully qualified, with the trailing dot. */
  name: string
  type: string
  ttl?: number
  rrdatas?: string[]
  /** Routing policies (weighted round robin, failover) replace rrdatas. */
  routingPolicy?: unknown
}

export interface ManagedZone {
  name: string
  dnsName: string
  description?: string
  visibility?: 'public' | 'private'
  privateVisibilityConfig?: {networks?: Array<{networkUrl: string}>}
  labels?: Record<string, string>
}

export interface CloudDnsChange {
  id?: string
  status?: 'pending' | 'done'
}

export interface CloudDnsClient {
  getZone(zone: string): Promise<ManagedZone | undefined>
  /** The project's zones whose dnsName is `dnsName` (fully qualified). */
  listZones(dnsName: string): Promise<ManagedZone[]>
  /** False when a zone of that name already existed (409). */
  createZone(zone: ManagedZone): Promise<boolean>
  /** False when it was already gone (404). */
  deleteZone(zone: string): Promise<boolean>
  /** Every record set of the zone, or those of one name. */
  listRecords(zone: string, name?: string): Promise<ResourceRecordSet[]>
  /** One atomic change; waits until Cloud DNS reports it done. Nothing to change: no call. */
  change(zone: string, change: {additions?: ResourceRecordSet[]; deletions?: ResourceRecordSet[]}): Promise<void>
}

export interface CloudDnsClientOptions {
  request: AuthorizedRequest
  project: string
  /** Base URL of the v1 API. Default {@link DEFAULT_CLOUD_DNS_ENDPOINT}. */
  endpoint?: string
  /** How often a pending change is read again (default 1 s) and for how long (default 5 minutes). */
  pollIntervalMs?: number
  timeoutMs?: number
}

interface GoogleErrorBody {
  error?: {code?: number; message?: string; errors?: Array<{reason?: string}>}
}

export function cloudDnsFailure(action: string, status: number, body: unknown): ExternalError {
  const error = (body as GoogleErrorBody | undefined)?.error
  const reason = error?.errors?.[0]?.reason
  const denied = status === 401 || status === 403
  return new ExternalError(`Cloud DNS ${action} failed: HTTP ${status}${reason ? ` ${reason}` : ''}: ${error?.message ?? 'no message'}`, {
    hint: denied
      ? 'enable the Cloud DNS API (gcloud services enable dns.googleapis.com) and grant the caller roles/dns.admin'
      : 'check the zone with `gcloud dns managed-zones describe`, then re-run (mygate converges)',
    details: {status, reason},
  })
}

export function createCloudDnsClient(options: CloudDnsClientOptions): CloudDnsClient {
  const base = `${(options.endpoint ?? DEFAULT_CLOUD_DNS_ENDPOINT).replace(/\/$/, '')}/projects/${options.project}/managedZones`
  const pollIntervalMs = options.pollIntervalMs ?? 1000
  const timeoutMs = options.timeoutMs ?? 300_000

  async function call(method: 'GET' | 'POST' | 'DELETE', path: string, action: string, data?: unknown) {
    try {
      return await options.request({url: `${base}${path}`, method, ...(data === undefined ? {} : {data})})
    } catch (error) {
      throw new ExternalError(`Cloud DNS ${action} failed: ${error instanceof Error ? error.message : String(error)}`, {
        hint: 'check the network connection and credentials, then re-run',
        cause: error,
      })
    }
  }

  return {
    async getZone(zone) {
      const answer = await call('GET', `/${zone}`, `reading zone ${zone}`)
      if (answer.status === 404) return undefined
      if (answer.status !== 200) throw cloudDnsFailure(`reading zone ${zone}`, answer.status, answer.data)
      return answer.data as ManagedZone
    },
    async listZones(dnsName) {
      const zones: ManagedZone[] = []
      let pageToken: string | undefined
      do {
        const query = new URLSearchParams({dnsName, ...(pageToken ? {pageToken} : {})}).toString()
        const answer = await call('GET', `?${query}`, `listing the zones for ${dnsName}`)
        if (answer.status !== 200) throw cloudDnsFailure(`listing the zones for ${dnsName}`, answer.status, answer.data)
        const page = answer.data as {managedZones?: ManagedZone[]; nextPageToken?: string}
        zones.push(...(page.managedZones ?? []))
        pageToken = page.nextPageToken
      } while (pageToken)
      return zones
    },
    async createZone(zone) {
      const answer = await call('POST', '', `creating zone ${zone.name}`, zone)
      if (answer.status === 409) return false
      if (answer.status !== 200) throw cloudDnsFailure(`creating zone ${zone.name}`, answer.status, answer.data)
      return true
    },
    async deleteZone(zone) {
      const answer = await call('DELETE', `/${zone}`, `deleting zone ${zone}`)
      if (answer.status === 404) return false
      if (answer.status !== 200 && answer.status !== 204) throw cloudDnsFailure(`deleting zone ${zone}`, answer.status, answer.data)
      return true
    },
    async listRecords(zone, name) {
      const records: ResourceRecordSet[] = []
      let pageToken: string | undefined
      do {
        const query = new URLSearchParams({...(name ? {name} : {}), ...(pageToken ? {pageToken} : {})}).toString()
        const answer = await call('GET', `/${zone}/rrsets${query ? `?${query}` : ''}`, `listing the records of ${zone}`)
        if (answer.status !== 200) throw cloudDnsFailure(`listing the records of ${zone}`, answer.status, answer.data)
        const page = answer.data as {rrsets?: ResourceRecordSet[]; nextPageToken?: string}
        records.push(...(page.rrsets ?? []))
        pageToken = page.nextPageToken
      } while (pageToken)
      return records
    },
    async change(zone, change) {
      if ((change.additions ?? []).length === 0 && (change.deletions ?? []).length === 0) return
      const action = `changing the records of ${zone}`
      const answer = await call('POST', `/${zone}/changes`, action, change)
      if (answer.status !== 200) throw cloudDnsFailure(action, answer.status, answer.data)
      let current = answer.data as CloudDnsChange
      const deadline = Date.now() + timeoutMs
      while (current.status !== 'done') {
        if (Date.now() + pollIntervalMs > deadline) {
          throw new TimeoutError(`Cloud DNS change ${current.id} of zone ${zone} is not done after ${Math.round(timeoutMs / 1000)}s`, {
            hint: `see \`gcloud dns record-sets changes describe ${current.id} --zone ${zone}\`, then re-run`,
          })
        }
        await new Promise((resolve) => setTimeout(resolve, pollIntervalMs))
        const read = await call('GET', `/${zone}/changes/${current.id}`, `reading change ${current.id}`)
        if (read.status !== 200) throw cloudDnsFailure(`reading change ${current.id}`, read.status, read.data)
        current = read.data as CloudDnsChange
      }
    },
  }
}

/**
 * An authorized request with Application Default Credentials, through the auth client the GKE
 * library already carries (the same credentials and scopes the GCP provider uses).
 */
export async function googleAuthorizedRequest(): Promise<{request: AuthorizedRequest; close: () => Promise<void>}> {
  const {ClusterManagerClient} = await import('@google-cloud/container')
  const holder = new ClusterManagerClient()
  const request: AuthorizedRequest = async ({url, method, data}) => {
    const auth = await holder.auth.getClient()
    const answer = await auth.request({url, method, data, responseType: 'json', validateStatus: () => true})
    return {status: answer.status, data: answer.data}
  }
  return {request, close: () => holder.close().catch(() => undefined)}
}
