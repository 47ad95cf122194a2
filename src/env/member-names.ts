import type {Catalog, ServiceDescriptor} from '../catalog/types.js'
import {NAMESPACES, type EnvironmentSpec} from '../config/types.js'
import {TimeoutError} from '../errors.js'
import type {KubeApi} from '../kube/api.js'
import type {KubeObject} from '../kube/types.js'
import {redisTopology} from '../db/redis-topology.js'
import {replicaSetTopology} from '../db/topology.js'
import {type MemberAddress, type MemberZone, type MemberZoneResult, needsMemberZone, openMemberZone, type OpenMemberZoneOptions} from '../providers/member-names.js'
import type {EnvironmentPlan} from './plan.js'

/**
 * `env create`'s Member names step (two regions on aws or gcp, before the Databases phase, whose
 * replica sets name their members `MEMBER.mygate-data.svc.clusterset.local`): apply every member
 * Service (MongoDB and Redis) in its region, wait with a bound until each has its load balancer's
 * address in `status.loadBalancer.ingress`, then make the provider's private zone hold one record
 * per member (src/providers/member-names.ts). A re-run rewrites the records whose address changed
 * (a re-created load balancer) and deletes those of members no longer in the topology.
 */

export interface EnsureMemberNamesOptions {
  env: EnvironmentSpec
  catalog: Catalog
  /** region -> client of that region's cluster. */
  clients: ReadonlyMap<string, KubeApi>
  plan: EnvironmentPlan
  /** Applies objects in a region (env create's, which counts and skips kinds not served). */
  apply: (client: KubeApi, objects: KubeObject[]) => Promise<void>
  /** Longest wait for all load-balancer addresses (default 10 minutes: an NLB takes a few). */
  addressTimeoutMs?: number
  /** How often a Service is read again while it has no address (default 2 s). */
  pollIntervalMs?: number
  onProgress?: (line: string) => void
  /** The provider's zone (tests pass one bound to moto or the Cloud DNS fake). */
  openZone?: (env: EnvironmentSpec) => Promise<MemberZone>
  zoneOptions?: OpenMemberZoneOptions
}

/** The per-member Services of the environment, by region: every MongoDB and Redis member. */
export function memberServices(env: EnvironmentSpec, services: readonly ServiceDescriptor[]): Array<{service: string; region: string}> {
  const members: Array<{service: string; region: string}> = []
  for (const service of services) {
    const topology = service.kind === 'mongodb' ? replicaSetTopology(service, env).members : service.kind === 'redis' ? redisTopology(service, env).members : []
    for (const member of topology) if (member.memberService) members.push({service: member.memberService, region: member.region})
  }
  return members
}

/** The first address of a Service's load balancer, when it has one. */
export function loadBalancerAddress(service: KubeObject | undefined): string | undefined {
  const first = ((service?.status ?? {}) as {loadBalancer?: {ingress?: Array<{hostname?: string; ip?: string}>}}).loadBalancer?.ingress?.[0]
  return first?.hostname ?? first?.ip
}

export async function ensureMemberNames(options: EnsureMemberNamesOptions): Promise<MemberZoneResult | undefined> {
  const {env} = options
  if (!needsMemberZone(env)) return undefined
  const progress = options.onProgress ?? (() => undefined)
  const members = memberServices(env, options.catalog.services)
  const names = new Set(members.map((m) => m.service))

  for (const region of options.plan.regions) {
    const objects = region.waves.flat().flatMap((entry) => entry.objects).filter((o) => o.kind === 'Service' && names.has(String(o.metadata.name)))
    await options.apply(options.clients.get(region.region)!, objects)
  }

  const addresses = await waitForAddresses(options, members)
  progress(`${addresses.length} member load balancers have addresses`)
  const zone = await (options.openZone ?? ((spec) => openMemberZone(spec, options.zoneOptions)))(env)
  try {
    const result = await zone.ensure(addresses)
    progress(`${result.domain}: ${result.created ? 'private zone created, ' : ''}${result.changed.length} record${result.changed.length === 1 ? '' : 's'} written`)
    return result
  } finally {
    await zone.close()
  }
}

async function waitForAddresses(options: EnsureMemberNamesOptions, members: Array<{service: string; region: string}>): Promise<MemberAddress[]> {
  const timeoutMs = options.addressTimeoutMs ?? 600_000
  const pollIntervalMs = options.pollIntervalMs ?? 2000
  const deadline = Date.now() + timeoutMs
  const found = new Map<string, MemberAddress>()
  for (;;) {
    for (const member of members) {
      if (found.has(member.service)) continue
      const service = await options.clients.get(member.region)!.get('v1', 'Service', member.service, NAMESPACES.data)
      const address = loadBalancerAddress(service)
      if (address) found.set(member.service, {...member, address})
    }
    if (found.size === members.length) return members.map((m) => found.get(m.service)!)
    if (Date.now() + pollIntervalMs > deadline) {
      const missing = members.filter((m) => !found.has(m.service))
      throw new TimeoutError(
        `${missing.length} member Service${missing.length === 1 ? ' has' : 's have'} no load-balancer address after ${Math.round(timeoutMs / 1000)}s: ${missing.map((m) => `${m.service} (${m.region})`).join(', ')}`,
        {
          hint:
            options.env.provider === 'aws'
              ? `is the AWS Load Balancer Controller installed? See \`kubectl describe service ${missing[0].service} -n ${NAMESPACES.data}\`; re-run \`mygate env create ${options.env.name}\` to finish`
              : `see \`kubectl describe service ${missing[0].service} -n ${NAMESPACES.data}\` for its events; re-run \`mygate env create ${options.env.name}\` to finish`,
        },
      )
    }
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs))
  }
}

/** `env destroy`: the private zone and its records (nothing when the environment keeps none). */
export async function removeMemberNames(env: EnvironmentSpec, options: {openZone?: (env: EnvironmentSpec) => Promise<MemberZone>; zoneOptions?: OpenMemberZoneOptions} = {}): Promise<string[]> {
  if (!needsMemberZone(env)) return []
  const zone = await (options.openZone ?? ((spec) => openMemberZone(spec, options.zoneOptions)))(env)
  try {
    return await zone.remove()
  } finally {
    await zone.close()
  }
}
