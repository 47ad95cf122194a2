import type {ServiceDescriptor} from '../catalog/types.js'
import {NAMESPACES, type EnvironmentSpec} from '../config/types.js'

/**
 * Where Redis runs and who replicates from whom: one pure function of the environment and of the
 * region that serves, used by the renderer (each region's StatefulSet, its replication ConfigMap,
 * the per-member Services), `db status` (which members to ask, who should follow whom) and the
 * failover (which member to promote, which to demote).
 *
 * Replication follows Redis' documented model
 * (https://redis.io/docs/latest/operate/oss_and_stack/management/replication/): one master takes
 * the writes; replicas connect to it (`replicaof HOST PORT`), authenticate with `masterauth` (the
 * same generated password as `requirepass`), are read-only (`replica-read-only yes`: a write gets
 * `READONLY You can't write against a read only replica.`), and a replica becomes a master with
 * `REPLICAOF NO ONE`. Redis has no election of its own (that is Sentinel's or Cluster's job), so
 * the role of each member is mygate's decision:
 *
 * - the ACTIVE region's ordinal 0 is the master; its other ordinals follow it by its in-cluster
 *   name (`redis-0.redis.mygate-data.svc.cluster.local`);
 * - the other region's members (one) follow the active master by its cluster-set name
 *   (`redis-ACTIVE-0.mygate-data.svc.clusterset.local`, a Service per member, Kubernetes
 *   Multi-Cluster Services KEP-1645, as MongoDB's members in src/db/topology.ts).
 *
 * Sizes do not follow the active region: the configured primary region runs the tier's count and
 * the secondary one replica, whichever serves, so a failover changes roles and never a StatefulSet
 * (as MongoDB's members, src/env/plan.ts). The role reaches a pod through its region's ConfigMap
 * (templates/redis/replication/entrypoint.sh reads it at start, see {@link redisRoleData}), so a
 * restarted pod takes the role the environment has now, not the one it was created with.
 *
 * Worked example, regions r1 / r2, prod (3), r2 active after a failover: r2's `redis-0` is the
 * master; r1's `redis-0`, `redis-1`, `redis-2` follow `redis-r2-0.mygate-data.svc.clusterset.local`.
 */

export interface RedisMember {
  /** `host:port` by which mygate (and any cluster of the environment) reaches the member. */
  host: string
  /** `host:port` inside its own cluster (the StatefulSet's headless name). */
  localHost: string
  region: string
  pod: string
  ordinal: number
  /** The per-member Service of a two-region environment (undefined in one region). */
  memberService?: string
  role: 'primary' | 'replica'
  /** A replica's master, `host:port`, as it is started with (`replicaof`). */
  follows?: string
}

export interface RedisTopology {
  service: string
  port: number
  /** The configured primary region (sizes). */
  primaryRegion: string
  /** The region whose ordinal 0 is the master. */
  activeRegion: string
  primary: RedisMember
  /** Primary first, then the active region's replicas, then the other region's. */
  members: RedisMember[]
  /** Members per region: the configured primary region's tier count, 1 in the secondary region. */
  replicasByRegion: Record<string, number>
}

/** Redis in the secondary region: one replica (the "one replica in the secondary region"). */
export const SECONDARY_REGION_REDIS_REPLICAS = 1

/** The ordinal that is the master in the active region. */
export const PRIMARY_ORDINAL = 0

export function redisTopology(redis: ServiceDescriptor, env: Pick<EnvironmentSpec, 'tier' | 'regions'>, activeRegion = env.regions.primary): RedisTopology {
  const {primary, secondary} = env.regions
  const active = activeRegion === secondary ? secondary : primary
  const port = redis.port
  const replicasByRegion: Record<string, number> = {[primary]: redis.tiers[env.tier].replicas}
  if (secondary) replicasByRegion[secondary] = SECONDARY_REGION_REDIS_REPLICAS
  const member = (region: string, ordinal: number): Omit<RedisMember, 'role' | 'follows'> => {
    const pod = `${redis.name}-${ordinal}`
    const localHost = `${pod}.${redis.name}.${NAMESPACES.data}.svc.cluster.local:${port}`
    if (!secondary) return {host: localHost, localHost, region, pod, ordinal}
    const memberService = `${redis.name}-${region}-${ordinal}`
    return {host: `${memberService}.${NAMESPACES.data}.svc.clusterset.local:${port}`, localHost, region, pod, ordinal, memberService}
  }
  const master: RedisMember = {...member(active, PRIMARY_ORDINAL), role: 'primary'}
  const members = [master]
  for (const region of [active, ...[primary, secondary].filter((r): r is string => r !== undefined && r !== active)]) {
    for (let ordinal = 0; ordinal < replicasByRegion[region]; ordinal++) {
      if (region === active && ordinal === PRIMARY_ORDINAL) continue
      members.push({...member(region, ordinal), role: 'replica', follows: region === active ? master.localHost : master.host})
    }
  }
  return {service: redis.name, port, primaryRegion: primary, activeRegion: active, primary: master, members, replicasByRegion}
}

/** `host:port` -> [host, port]. */
export function splitHost(hostPort: string): [string, string] {
  const at = hostPort.lastIndexOf(':')
  return [hostPort.slice(0, at), hostPort.slice(at + 1)]
}

/**
 * What a region's members read at start (the `redis-replication` ConfigMap, keys below): which
 * ordinal of the region is the master (`none` outside the active region) and the master every
 * other member follows. templates/redis/replication/entrypoint.sh turns it into `--replicaof`.
 */
export interface RedisRoleData {
  'primary-ordinal': string
  'primary-host': string
  'primary-port': string
}

export const NO_PRIMARY_ORDINAL = 'none'

export function redisRoleData(topology: RedisTopology, region: string): RedisRoleData {
  const inActive = region === topology.activeRegion
  const [host, port] = splitHost(inActive ? topology.primary.localHost : topology.primary.host)
  return {'primary-ordinal': inActive ? String(PRIMARY_ORDINAL) : NO_PRIMARY_ORDINAL, 'primary-host': host, 'primary-port': port}
}

/**
 * redis-server's arguments, the same for every member of every region (documented configuration
 * directives as command-line options, https://redis.io/docs/latest/operate/oss_and_stack/management/config/):
 * the password from the generated Secret through the container's env (`$(REDIS_PASSWORD)`, expanded
 * by the kubelet: nothing secret is in the manifest), `masterauth` so any member can authenticate to
 * whichever master it follows, `replica-read-only yes` (the default, stated: a replica refuses
 * writes). `--replicaof` is added by the entrypoint from the role ConfigMap ({@link redisRoleData}).
 */
export function redisServerArgs(topology: RedisTopology, passwordEnv: string | undefined): string[] {
  const args = ['redis-server', '--port', String(topology.port), '--appendonly', 'yes', '--dir', '/data', '--replica-read-only', 'yes']
  if (passwordEnv) args.push('--requirepass', `$(${passwordEnv})`, '--masterauth', `$(${passwordEnv})`)
  return args
}
