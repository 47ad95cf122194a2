import {isMygateError} from '../errors.js'
import type {CloudFailoverAccess, CloudFencePart} from '../providers/cloud-failover.js'

/**
 * The cloud fence (issue 11, forced failover): when the source region's cluster API does not
 * answer, the region is closed through the cloud's own APIs instead (aws: security-group rules of
 * the databases and the gateway load balancer revoked; gcp: a deny firewall rule over the region's
 * ranges and the gateway's backends removed; see providers/aws/fence.ts, providers/gcp/fence.ts).
 *
 * What is closed is recorded on the run BEFORE it is closed (through the step's checkpoint), so a
 * failover killed half-way through still knows every rule it may have revoked, and lifting the
 * fence at failback restores exactly those. A resumed step closes the union of what it recorded
 * and what is still open. What the cloud API cannot do now (it fails too) stays pending: the run's
 * pendingFence says so, and it is applied when the region returns, first (execute.ts).
 */

export interface CloudFenceRecord {
  region: string
  provider: 'aws' | 'gcp'
  /** Everything the fence closed (or was about to), enough to restore it exactly. */
  parts: CloudFencePart[]
  /** Set once every part is closed. */
  closedAt?: string
  /** Set when its data paths were opened again for the region's members to rejoin (see dataParts). */
  dataReopenedAt?: string
  /** Set when failback restored the parts. */
  liftedAt?: string
}

/**
 * The parts that carry the database members' traffic: the aws database rules, the gcp deny rule
 * (it closes every port of the region). They open again when the region is back and fenced
 * through its cluster API (writers at zero, deny-all NetworkPolicy), because its members must
 * reach the survivors to rejoin and resync before failback, and the forced configuration has
 * already taken them out of the set, so they cannot be elected. The rest (the gateway's entry)
 * stays closed until failback.
 */
export function dataParts(parts: readonly CloudFencePart[]): CloudFencePart[] {
  return parts.filter((part) => (part.kind === 'ingress-rule' && part.purpose === 'database') || part.kind === 'deny-firewall')
}

/** A stable identity of a part, to merge what was recorded with what a re-read finds. */
export function partKey(part: CloudFencePart): string {
  switch (part.kind) {
    case 'ingress-rule':
      return `rule/${part.groupId}/${part.protocol}/${part.fromPort}-${part.toPort}/${part.cidrIpv4 ?? ''}/${part.cidrIpv6 ?? ''}/${part.sourceGroupId ?? ''}/${part.prefixListId ?? ''}`
    case 'deny-firewall':
      return `firewall/${part.name}`
    case 'backend':
      return `backend/${part.backendService}/${part.group}`
  }
}

/** Pure: the recorded parts and the newly read ones, each once, recorded first. */
export function mergeParts(recorded: readonly CloudFencePart[], found: readonly CloudFencePart[]): CloudFencePart[] {
  const known = new Set(recorded.map(partKey))
  return [...recorded, ...found.filter((part) => !known.has(partKey(part)))]
}

/** Pure: "3 database rules and 2 gateway load balancer rules revoked", "deny firewall rule X, 1 backend removed". */
export function describeParts(parts: readonly CloudFencePart[]): string {
  const rules = new Map<string, number>()
  const lines: string[] = []
  for (const part of parts) if (part.kind === 'ingress-rule') rules.set(part.purpose, (rules.get(part.purpose) ?? 0) + 1)
  for (const [purpose, count] of rules) lines.push(`${count} ${purpose} ingress rule(s)`)
  for (const part of parts) if (part.kind === 'deny-firewall') lines.push(`deny firewall rule ${part.name} (priority ${part.priority})`)
  const backends = parts.filter((part) => part.kind === 'backend').length
  if (backends > 0) lines.push(`${backends} gateway backend(s)`)
  return lines.join(', ') || 'nothing open'
}

export interface CloseCloudFenceInput {
  cloud: CloudFailoverAccess
  region: string
  /** The record of an earlier attempt of the same run (a resumed step), if any. */
  previous?: CloudFenceRecord
  /** Saves the record on the run before anything is closed. */
  checkpoint: (record: CloudFenceRecord) => Promise<void>
  now: () => Date
}

/** Reads what is open, records it, closes it. Throws the cloud's error when it cannot. */
export async function closeCloudFence(input: CloseCloudFenceInput): Promise<CloudFenceRecord> {
  const {cloud, region} = input
  const recorded = input.previous?.region === region ? input.previous.parts : []
  const parts = mergeParts(recorded, await cloud.fence.plan(region))
  const pending: CloudFenceRecord = {region, provider: cloud.provider, parts}
  await input.checkpoint(pending)
  await cloud.fence.close(region, parts)
  return {...pending, closedAt: input.now().toISOString()}
}

/** Restores what a record closed, exactly. */
export async function liftCloudFence(cloud: CloudFailoverAccess, record: CloudFenceRecord, now: () => Date): Promise<CloudFenceRecord> {
  await cloud.fence.open(record.region, record.parts)
  return {...record, liftedAt: now().toISOString()}
}

/** A cloud failure as the reason a fence stays pending; anything else (a bug) is not swallowed. */
export function pendingReason(error: unknown): string {
  if (isMygateError(error) && (error.code === 'EXTERNAL' || error.code === 'TIMEOUT')) return error.message
  throw error
}
