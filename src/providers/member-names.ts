import {NAMESPACES, type EnvironmentSpec} from '../config/types.js'

/**
 * The names the replica-set members of a two-region environment use for each other
 * (`MEMBER.mygate-data.svc.clusterset.local`, src/db/topology.ts and src/db/redis-topology.ts),
 * made to resolve on the clouds. Locally the daemon's clusters answer them (a cluster set,
 * KEP-1645); on aws and gcp nothing in Kubernetes does, so mygate keeps a private DNS zone for the
 * domain, visible only to the environment's networks, with one record per member pointing at its
 * load balancer (src/providers/member-load-balancer.ts):
 *
 * - aws: a Route 53 private hosted zone associated with both regions' VPCs (aws/private-zone.ts);
 * - gcp: a Cloud DNS private managed zone on the network both clusters share (gcp/member-zone.ts).
 *
 * The cluster DNS of both clouds forwards names outside `cluster.local` to the VPC's resolver,
 * which answers private zones (the provider modules cite the documentation). This module is the
 * pure part: which records a set of load-balancer addresses asks for, and what changes turn the
 * zone's records into them.
 */

/** The zone's domain: only the data namespace's names, so no other clusterset name is shadowed. */
export const MEMBER_ZONE_DOMAIN = `${NAMESPACES.data}.svc.clusterset.local`

/** Short: a member's load balancer rarely changes address, but when it does the set must follow quickly. */
export const MEMBER_RECORD_TTL_SECONDS = 60

/** What a member Service's load balancer was given (`status.loadBalancer.ingress[0]`). */
export interface MemberAddress {
  /** The per-member Service name (`billing-db-r1-0`). */
  service: string
  region: string
  /** The load balancer's hostname (aws NLB) or IP (gcp internal load balancer). */
  address: string
}

/** One record of the zone: names are fully qualified with the trailing dot, as both DNS APIs return them. */
export interface MemberRecord {
  name: string
  type: 'A' | 'CNAME'
  /** An IPv4 address (A) or a fully qualified hostname with the trailing dot (CNAME). */
  value: string
}

export interface MemberRecordChanges {
  /** Records to write (created or changed). */
  upsert: MemberRecord[]
  /** Records to delete: members no longer in the topology, or a name whose record type changes. */
  remove: MemberRecord[]
}

/** What `env create` reports of the member names. */
export interface MemberZoneResult {
  /** The zone as the provider names it (Route 53 id, Cloud DNS zone name). */
  zone: string
  domain: string
  created: boolean
  /** The names written or deleted by this run (empty when the zone was already in shape). */
  changed: string[]
  records: MemberRecord[]
}

/** A provider's private zone for the member names. */
export interface MemberZone {
  /**
   * Creates the zone when it is missing (visible to the environment's networks) and makes its
   * records those of `addresses`: changed addresses are rewritten, members no longer there deleted.
   */
  ensure(addresses: MemberAddress[]): Promise<MemberZoneResult>
  /** The records, the zone absent: undefined. */
  read(): Promise<MemberRecord[] | undefined>
  /** Deletes the records and the zone (only a zone mygate made for this environment). Idempotent. */
  remove(): Promise<string[]>
  close(): Promise<void>
}

export function fqdn(name: string): string {
  return name.endsWith('.') ? name : `${name}.`
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/

/**
 * The record of one member: an A record for an IP, a CNAME for a hostname.
 *
 * @example memberRecord({service: 'billing-db-r1-0', region: 'r1', address: '10.10.0.7'})
 *   // {name: 'billing-db-r1-0.mygate-data.svc.clusterset.local.', type: 'A', value: '10.10.0.7'}
 * @example memberRecord({service: 'redis-r2-0', region: 'r2', address: 'k8s-x.elb.eu-west-1.amazonaws.com'})
 *   // {name: 'redis-r2-0.mygate-data.svc.clusterset.local.', type: 'CNAME', value: 'k8s-x.elb.eu-west-1.amazonaws.com.'}
 */
export function memberRecord(address: MemberAddress): MemberRecord {
  const name = fqdn(`${address.service}.${MEMBER_ZONE_DOMAIN}`)
  const ip = IPV4.exec(address.address)
  if (ip && ip.slice(1).every((part) => Number(part) <= 255)) return {name, type: 'A', value: address.address}
  return {name, type: 'CNAME', value: fqdn(address.address)}
}

/**
 * The changes that turn `existing` (the zone's A and CNAME records; SOA and NS are the zone's own
 * and never passed here) into the records of `desired`. A name whose type changes is deleted and
 * written again: both APIs refuse a CNAME beside another record of the same name.
 */
export function planMemberRecordChanges(desired: MemberRecord[], existing: MemberRecord[]): MemberRecordChanges {
  const changes: MemberRecordChanges = {upsert: [], remove: []}
  for (const record of existing) {
    const wanted = desired.find((d) => d.name === record.name)
    if (!wanted || wanted.type !== record.type) changes.remove.push(record)
  }
  for (const record of desired) {
    const current = existing.find((e) => e.name === record.name && e.type === record.type)
    if (!current || current.value !== record.value) changes.upsert.push(record)
  }
  return changes
}

/** Whether the environment's members need the private zone: two regions on a cloud (where members sit behind load balancers). */
export function needsMemberZone(env: Pick<EnvironmentSpec, 'provider' | 'regions'>): boolean {
  return env.regions.secondary !== undefined && (env.provider === 'aws' || env.provider === 'gcp')
}

/** The marker that says mygate made a zone for this environment (zone comment / description). */
export function memberZoneDescription(envName: string): string {
  return `mygate environment ${envName}: replica-set member names`
}

export interface OpenMemberZoneOptions {
  aws?: import('./aws/private-zone.js').Route53MemberZoneOptions
  gcp?: import('./gcp/member-zone.js').CloudDnsMemberZoneOptions
  processEnv?: NodeJS.ProcessEnv
}

/** The provider's zone; its SDK or REST client loads only here. */
export async function openMemberZone(env: EnvironmentSpec, options: OpenMemberZoneOptions = {}): Promise<MemberZone> {
  switch (env.provider) {
    case 'aws': {
      const {openRoute53MemberZone} = await import('./aws/private-zone.js')
      return openRoute53MemberZone(env, options.aws)
    }
    case 'gcp': {
      const {openCloudDnsMemberZone} = await import('./gcp/member-zone.js')
      return openCloudDnsMemberZone(env, {processEnv: options.processEnv, ...options.gcp})
    }
    default:
      throw new Error(`provider ${env.provider} keeps no member zone: its clusters resolve the member names themselves`)
  }
}
