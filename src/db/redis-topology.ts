import type {ServiceDescriptor} from '../catalog/types.js'
import {NAMESPACES, type EnvironmentSpec} from '../config/types.js'

/**
 * Where Redis runs and who replicates from whom: one pure function of the environment, used by the
 * renderer (each region's StatefulSet and its per-member Service), `db status` (which members to
 * ask) and the failover (which replica to promote).
 *
 * - One region: the region's `redis` StatefulSet, `redis-0` as the primary (hosts through the
 *   headless Service, `redis-0.redis.mygate-data.svc.cluster.local:6379`).
 * - Two regions: the primary region as above, and ONE replica in the secondary region
 *   (`replicaof` the primary). Every member is named the way MongoDB's members are
 *   (src/db/topology.ts): a Service per member, `redis-REGION-i.mygate-data.svc.clusterset.local`
 *   (Kubernetes Multi-Cluster Services, KEP-1645), so the replica reaches the primary across
 *   clusters by one name, and the failover promotes the replica by its own.
 *
 * Replication follows Redis' documented model (https://redis.io/docs/latest/operate/oss_and_stack/management/replication/):
 * the replica authenticates to the primary with `masterauth` (the same generated password as
 * `requirepass`), is read-only, and becomes a primary with `REPLICAOF NO ONE`.
 *
 * Worked example, regions r1 / r2: r1 runs `redis` (tier replicas; pod 0 is the primary, member
 * Service `redis-r1-0`), r2 runs `redis` with 1 replica started with
 * `--replicaof redis-r1-0.mygate-data.svc.clusterset.local 6379` (member Service `redis-r2-0`).
 */

export interface RedisMember {
  /** `host:port`. */
  host: string
  region: string
  pod: string
  /** The per-member Service of a two-region environment (undefined in one region). */
  memberService?: string
  role: 'primary' | 'replica'
}

export interface RedisTopology {
  service: string
  port: number
  primaryRegion: string
  primary: RedisMember
  /** Primary first. */
  members: RedisMember[]
  /** Replicas per region: the primary region's tier count, 1 in the secondary region. */
  replicasByRegion: Record<string, number>
}

/** Redis in the secondary region: one replica (the "one replica in the secondary region"). */
export const SECONDARY_REGION_REDIS_REPLICAS = 1

export function redisTopology(redis: ServiceDescriptor, env: Pick<EnvironmentSpec, 'tier' | 'regions'>): RedisTopology {
  const {primary, secondary} = env.regions
  const port = redis.port
  const member = (region: string, ordinal: number, role: RedisMember['role']): RedisMember => {
    const pod = `${redis.name}-${ordinal}`
    if (!secondary) return {host: `${pod}.${redis.name}.${NAMESPACES.data}.svc.cluster.local:${port}`, region, pod, role}
    const memberService = `${redis.name}-${region}-${ordinal}`
    return {host: `${memberService}.${NAMESPACES.data}.svc.clusterset.local:${port}`, region, pod, memberService, role}
  }
  const primaryMember = member(primary, 0, 'primary')
  const members = [primaryMember]
  const replicasByRegion: Record<string, number> = {[primary]: redis.tiers[env.tier].replicas}
  if (secondary) {
    for (let i = 0; i < SECONDARY_REGION_REDIS_REPLICAS; i++) members.push(member(secondary, i, 'replica'))
    replicasByRegion[secondary] = SECONDARY_REGION_REDIS_REPLICAS
  }
  return {service: redis.name, port, primaryRegion: primary, primary: primaryMember, members, replicasByRegion}
}

/** `host:port` -> [host, port]. */
export function splitHost(hostPort: string): [string, string] {
  const at = hostPort.lastIndexOf(':')
  return [hostPort.slice(0, at), hostPort.slice(at + 1)]
}

/**
 * redis-server's arguments for a member of `region` (documented configuration directives as
 * command-line options, https://redis.io/docs/latest/operate/oss_and_stack/management/config/):
 * the password from the generated Secret through the container's env (`$(REDIS_PASSWORD)`, expanded
 * by the kubelet: nothing secret is in the manifest), `masterauth` so a replica (or a promoted
 * primary's future replicas) can authenticate, and `--replicaof` in the secondary region.
 */
export function redisServerArgs(topology: RedisTopology, region: string, passwordEnv: string | undefined): string[] {
  const args = ['redis-server', '--port', String(topology.port), '--appendonly', 'yes', '--dir', '/data']
  if (passwordEnv) args.push('--requirepass', `$(${passwordEnv})`, '--masterauth', `$(${passwordEnv})`)
  if (region !== topology.primaryRegion) {
    const [host, port] = splitHost(topology.primary.host)
    args.push('--replicaof', host, port, '--replica-read-only', 'yes')
  }
  return args
}
