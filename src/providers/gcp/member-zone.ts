import type {EnvironmentSpec} from '../../config/types.js'
import {ConflictError} from '../../errors.js'
import {
  MEMBER_RECORD_TTL_SECONDS,
  MEMBER_ZONE_DOMAIN,
  fqdn,
  memberRecord,
  memberZoneDescription,
  planMemberRecordChanges,
  type MemberAddress,
  type MemberRecord,
  type MemberZone,
  type MemberZoneResult,
} from '../member-names.js'
import {boundedName} from '../naming.js'
import {planGcpNetwork} from './address-plan.js'
import {type CloudDnsClient, type ResourceRecordSet, createCloudDnsClient, googleAuthorizedRequest} from './cloud-dns.js'
import type {AuthorizedRequest} from './compute.js'
import {resolveProject} from './names.js'

/**
 * The replica-set member names of a two-region environment on GCP (src/providers/member-names.ts):
 * a Cloud DNS private managed zone for `mygate-data.svc.clusterset.local`, visible to the VPC
 * network both clusters share (gcp/network.ts), with an A record per member for its internal load
 * balancer's IP (global access, gcp/load-balancer.ts).
 *
 * Why this resolves from the pods: kube-dns answers `cluster.local` and sends other names to the
 * node's resolver, the metadata server (169.254.169.254), which is Cloud DNS for the VM's network
 * and answers the private zones authorized for that network
 * (https://cloud.google.com/kubernetes-engine/docs/how-to/kube-dns,
 * https://cloud.google.com/dns/docs/zones#create-private-zone). One network, one zone: both regions see it.
 *
 * Ownership: the zone's name is per environment (`mygate-ENV-members`) and its description says
 * mygate made it ({@link memberZoneDescription}); a zone of that name without it is not touched.
 */

export interface CloudDnsMemberZoneOptions {
  /** An authorized HTTP exchange (default: Application Default Credentials). */
  request?: AuthorizedRequest
  /** Base URL of the Cloud DNS v1 API (tests: the fake). */
  endpoint?: string
  pollIntervalMs?: number
  timeoutMs?: number
  processEnv?: NodeJS.ProcessEnv
}

/** Managed zone names: 1-63 characters, a letter first, lowercase letters, digits and dashes. */
export function memberZoneName(envName: string): string {
  return boundedName(`mygate-${envName}-members`, 63)
}

/** The form Cloud DNS keeps a private zone's network in. */
export function networkUrl(project: string, network: string): string {
  return `https://www.googleapis.com/compute/v1/projects/${project}/global/networks/${network}`
}

function toRecordSet(record: MemberRecord): ResourceRecordSet {
  return {name: record.name, type: record.type, ttl: MEMBER_RECORD_TTL_SECONDS, rrdatas: [record.value]}
}

export async function openCloudDnsMemberZone(env: EnvironmentSpec, options: CloudDnsMemberZoneOptions = {}): Promise<MemberZone> {
  const project = resolveProject(env, options.processEnv ?? process.env)
  const auth = options.request ? {request: options.request, close: async () => undefined} : await googleAuthorizedRequest()
  const dns: CloudDnsClient = createCloudDnsClient({request: auth.request, project, endpoint: options.endpoint, pollIntervalMs: options.pollIntervalMs, timeoutMs: options.timeoutMs})
  const zoneName = memberZoneName(env.name)
  const description = memberZoneDescription(env.name)
  const network = networkUrl(project, planGcpNetwork(env).name)

  /** The zone, when it is ours; a same-named zone mygate did not make is a conflict. */
  const ownZone = async () => {
    const zone = await dns.getZone(zoneName)
    if (zone && zone.description !== description) {
      throw new ConflictError(`Cloud DNS zone ${zoneName} exists in project ${project} but mygate did not make it for environment ${env.name}`, {
        hint: `delete it (gcloud dns managed-zones delete ${zoneName}) or use another environment name`,
      })
    }
    return zone
  }

  /** The zone's A and CNAME record sets (SOA and NS are the zone's own). */
  const records = async (): Promise<ResourceRecordSet[]> => (await dns.listRecords(zoneName)).filter((r) => r.type === 'A' || r.type === 'CNAME')
  const asRecord = (set: ResourceRecordSet): MemberRecord => ({name: set.name, type: set.type as 'A' | 'CNAME', value: set.rrdatas?.[0] ?? ''})

  return {
    async ensure(addresses: MemberAddress[]): Promise<MemberZoneResult> {
      let zone = await ownZone()
      let created = false
      if (!zone) {
        await dns.createZone({
          name: zoneName,
          dnsName: fqdn(MEMBER_ZONE_DOMAIN),
          description,
          visibility: 'private',
          privateVisibilityConfig: {networks: [{networkUrl: network}]},
          labels: {'mygate-environment': env.name, 'mygate-managed-by': 'mygate'},
        })
        zone = await ownZone()
        created = true
      }
      const networks = zone?.privateVisibilityConfig?.networks ?? []
      if (!networks.some((n) => n.networkUrl === network)) {
        throw new ConflictError(`Cloud DNS zone ${zoneName} is not visible to network ${planGcpNetwork(env).name}`, {
          hint: `delete the zone (gcloud dns managed-zones delete ${zoneName}) and re-run \`mygate env create ${env.name}\``,
        })
      }
      const existing = await records()
      const desired = addresses.map(memberRecord)
      const planned = planMemberRecordChanges(desired, existing.map(asRecord))
      // Deletions name the record sets exactly as read (Cloud DNS refuses any other); an upsert of
      // an existing name deletes the old set in the same change.
      const replaced = planned.upsert.flatMap((record) => existing.filter((set) => set.name === record.name && set.type === record.type))
      const removed = planned.remove.flatMap((record) => existing.filter((set) => set.name === record.name && set.type === record.type))
      await dns.change(zoneName, {deletions: [...removed, ...replaced], additions: planned.upsert.map(toRecordSet)})
      return {zone: zoneName, domain: MEMBER_ZONE_DOMAIN, created, changed: [...new Set([...planned.remove, ...planned.upsert].map((r) => r.name))], records: desired}
    },
    async read() {
      return (await ownZone()) ? (await records()).map(asRecord) : undefined
    },
    async remove() {
      if (!(await ownZone())) return []
      const existing = await records()
      // A zone that still holds records other than SOA and NS cannot be deleted.
      await dns.change(zoneName, {deletions: existing})
      await dns.deleteZone(zoneName)
      return [`Cloud DNS private zone ${zoneName} (${MEMBER_ZONE_DOMAIN}) with ${existing.length} member record${existing.length === 1 ? '' : 's'}`]
    },
    close: auth.close,
  }
}
