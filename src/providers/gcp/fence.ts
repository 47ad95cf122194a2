import {NAMESPACES} from '../../config/types.js'
import type {CloudFencePart} from '../cloud-failover.js'
import {boundedName} from '../naming.js'
import type {NetworkPlan} from './address-plan.js'
import type {ComputeClient} from './compute.js'

/**
 * The cloud fence of a region on GCP (forced failover, its cluster API does not answer), through
 * the Compute Engine v1 API:
 *
 * - a deny firewall rule `mygate-ENV-LOCATION-fence` on the environment's network: INGRESS, deny
 *   all protocols, from 0.0.0.0/0, to the region's node and Pod ranges (address-plan.ts), at
 *   priority 0. VPC firewall rules are evaluated by priority, lowest number first, and a deny wins
 *   over an allow of the same priority (Google's "VPC firewall rules" overview), so it overrides
 *   every allow GKE and the load balancers' health checks have, members and apps alike.
 * - the gateway's backend removed: GKE Ingress makes one backend service per Service port, whose
 *   description names the Service (`"kubernetes.io/service-name":"mygate/gateway"`), with one
 *   network endpoint group per zone as backends. The backends in the region's zones are removed
 *   (`backendServices.patch` with the remaining list and the fingerprint read with it), so the
 *   load balancer sends nothing there.
 *
 * Each backend removed is recorded whole before it is removed, so lifting the fence puts back
 * exactly what was there; the firewall rule is deleted. Both read first: a rule already there,
 * or a backend already gone (or back), is not an error.
 */

export const FENCE_PRIORITY = 0

export function fenceFirewallName(envName: string, location: string): string {
  return boundedName(`mygate-${envName}-${location}-fence`, 63)
}

interface BackendService {
  name?: string
  description?: string
  fingerprint?: string
  backends?: Array<Record<string, unknown> & {group?: string}>
}

/** Pure: the deny rule that fences one location of the environment's network. */
export function denyFirewallPart(envName: string, project: string, network: NetworkPlan, location: string): Extract<CloudFencePart, {kind: 'deny-firewall'}> {
  const subnetwork = network.subnetworks.find((candidate) => candidate.location === location)
  if (!subnetwork) throw new Error(`location ${location} has no subnetwork in the network plan`)
  return {
    kind: 'deny-firewall',
    name: fenceFirewallName(envName, location),
    network: `projects/${project}/global/networks/${network.name}`,
    destinationRanges: [subnetwork.ranges.nodes, subnetwork.ranges.pods],
    priority: FENCE_PRIORITY,
  }
}

/** The firewall insert body for a deny part. */
export function denyFirewallBody(part: Extract<CloudFencePart, {kind: 'deny-firewall'}>, envName: string): Record<string, unknown> {
  return {
    name: part.name,
    description: `mygate environment ${envName}: failover fence (deny all ingress to the lost region)`,
    network: part.network,
    direction: 'INGRESS',
    priority: part.priority,
    denied: [{IPProtocol: 'all'}],
    sourceRanges: ['0.0.0.0/0'],
    destinationRanges: part.destinationRanges,
  }
}

/** Pure: whether a backend service serves the gateway (GKE Ingress writes the Service into its description). */
export function servesGateway(service: BackendService): boolean {
  try {
    return (JSON.parse(service.description ?? '') as Record<string, unknown>)['kubernetes.io/service-name'] === `${NAMESPACES.apps}/gateway`
  } catch {
    return false
  }
}

/** Pure: whether a backend's group (a zonal NEG or instance group URL) lies in the region. */
export function groupInRegion(group: string | undefined, region: string): boolean {
  const zone = group?.match(/\/zones\/([^/]+)\//)?.[1]
  return zone !== undefined && (zone === region || zone.startsWith(`${region}-`))
}

async function backendServices(compute: ComputeClient): Promise<BackendService[]> {
  const list = await compute.get<{items?: BackendService[]}>('global/backendServices', 'listing backend services')
  return list?.items ?? []
}

export async function planGcpFence(compute: ComputeClient, deny: Extract<CloudFencePart, {kind: 'deny-firewall'}>, region: string): Promise<CloudFencePart[]> {
  const parts: CloudFencePart[] = [deny]
  for (const service of (await backendServices(compute)).filter(servesGateway)) {
    for (const backend of service.backends ?? []) {
      if (groupInRegion(backend.group, region)) parts.push({kind: 'backend', backendService: service.name ?? '', group: backend.group ?? '', backend})
    }
  }
  return parts
}

type BackendPart = Extract<CloudFencePart, {kind: 'backend'}>

/** Rewrites each backend service named by the parts with `change` applied to its backends. */
async function patchBackends(compute: ComputeClient, parts: readonly BackendPart[], change: (backends: NonNullable<BackendService['backends']>, mine: BackendPart[]) => NonNullable<BackendService['backends']>): Promise<void> {
  for (const name of new Set(parts.map((part) => part.backendService))) {
    const path = `global/backendServices/${name}`
    const service = await compute.get<BackendService>(path, `reading backend service ${name}`)
    if (!service) continue
    const before = service.backends ?? []
    const after = change(before, parts.filter((part) => part.backendService === name))
    if (after.length === before.length && after.every((backend, i) => backend.group === before[i].group)) continue
    await compute.patch(path, {backends: after, fingerprint: service.fingerprint}, `changing the backends of ${name}`)
  }
}

export async function closeGcpFence(compute: ComputeClient, envName: string, parts: readonly CloudFencePart[]): Promise<void> {
  for (const part of parts) {
    if (part.kind === 'deny-firewall') await compute.insert('global/firewalls', denyFirewallBody(part, envName), `creating firewall rule ${part.name}`)
  }
  const backends = parts.filter((part): part is BackendPart => part.kind === 'backend')
  await patchBackends(compute, backends, (list, mine) => list.filter((backend) => !mine.some((part) => part.group === backend.group)))
}

export async function openGcpFence(compute: ComputeClient, parts: readonly CloudFencePart[]): Promise<void> {
  const backends = parts.filter((part): part is BackendPart => part.kind === 'backend')
  await patchBackends(compute, backends, (list, mine) => [...list, ...mine.filter((part) => !list.some((backend) => backend.group === part.group)).map((part) => part.backend)])
  for (const part of parts) {
    if (part.kind === 'deny-firewall') await compute.remove(`global/firewalls/${part.name}`, `deleting firewall rule ${part.name}`)
  }
}
