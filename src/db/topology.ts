import type {ServiceDescriptor} from '../catalog/types.js'
import {NAMESPACES, type EnvironmentSpec} from '../config/types.js'

/**
 * Where a database's replica-set members are and what each one's vote is: one pure function of
 * the environment, used by the renderer (per-member Services), `env create` (initiate and
 * reconfigure), `db status`, and the services' connection strings (src/secrets/mongo-uri.ts).
 *
 * Addresses (the `host` of each member in the replica-set config):
 * - one region: `NAME-i.NAME.mygate-data.svc.cluster.local:PORT` through the headless Service;
 * - two regions: every member, in both regions, as `NAME-REGION-i.mygate-data.svc.clusterset.local:PORT`,
 *   a Service per member selecting its pod (Kubernetes Multi-Cluster Services, KEP-1645), so
 *   every member resolves the same name from every cluster (MongoDB requires the config's host
 *   names to resolve the same from every member).
 *
 * Vote layout (MongoDB: at most 7 voters; a member with `votes: 0` must have `priority: 0`):
 * - the primary region's members all vote, priority 2: the PRIMARY is elected there;
 * - the secondary region gets one voter fewer than the primary region (priority 1, electable,
 *   lower than the primary region's), the rest of its members are non-voting (votes 0,
 *   priority 0) but keep a full copy of the data.
 * So the primary region alone holds a strict majority of the votes: losing the secondary region
 * leaves a writable majority; losing the primary region leaves no majority, and only a forced
 * reconfiguration (`mygate failover --forced`) makes the secondary writable.
 *
 * Worked example, prod (3 members per region), regions r1 / r2:
 * r1-0, r1-1, r1-2: priority 2, votes 1; r2-0, r2-1: priority 1, votes 1; r2-2: priority 0, votes 0.
 * 5 voters, majority 3: r1 alone has 3 (writable), r2 alone has 2 (not writable).
 */

export interface ReplicaSetMember {
  /** `host:port` as in the replica-set config. */
  host: string
  region: string
  /** The StatefulSet pod ordinal in its region. */
  ordinal: number
  /** The pod's name in its region's cluster (`NAME-i`). */
  pod: string
  /** The per-member Service of a two-region environment (undefined in one region). */
  memberService?: string
  priority: number
  votes: 0 | 1
}

export interface ReplicaSetTopology {
  /** The replica set name (`--replSet`): the database service's name. */
  set: string
  port: number
  /** The region whose members the PRIMARY is elected from. */
  primaryRegion: string
  /** Primary region first, by ordinal. */
  members: ReplicaSetMember[]
}

/** MongoDB's limit on voting members (https://www.mongodb.com/docs/manual/reference/limits/#mongodb-limit-Number-of-Voting-Members-of-a-Replica-Set). */
export const MAX_VOTERS = 7
export const PRIMARY_REGION_PRIORITY = 2
export const SECONDARY_REGION_PRIORITY = 1

/** The per-member Service name of a two-region environment: `NAME-REGION-i`. */
export function memberServiceName(database: string, region: string, ordinal: number): string {
  return `${database}-${region}-${ordinal}`
}

export function replicaSetTopology(database: ServiceDescriptor, env: Pick<EnvironmentSpec, 'tier' | 'regions'>): ReplicaSetTopology {
  const replicas = database.tiers[env.tier].replicas
  const {primary, secondary} = env.regions
  const port = database.port
  const members: ReplicaSetMember[] = []
  // One region: everyone votes (up to 7). Two: the primary region keeps a strict majority.
  const primaryVoters = Math.min(replicas, secondary ? Math.ceil(MAX_VOTERS / 2) : MAX_VOTERS)
  const secondaryVoters = secondary ? Math.min(replicas, primaryVoters - 1) : 0
  const add = (region: string, ordinal: number, priority: number, votes: 0 | 1) => {
    const pod = `${database.name}-${ordinal}`
    if (!secondary) {
      members.push({host: `${pod}.${database.name}.${NAMESPACES.data}.svc.cluster.local:${port}`, region, ordinal, pod, priority, votes})
      return
    }
    const memberService = memberServiceName(database.name, region, ordinal)
    members.push({host: `${memberService}.${NAMESPACES.data}.svc.clusterset.local:${port}`, region, ordinal, pod, memberService, priority, votes})
  }
  for (let i = 0; i < replicas; i++) {
    const votes = i < primaryVoters ? 1 : 0
    add(primary, i, votes ? PRIMARY_REGION_PRIORITY : 0, votes)
  }
  if (secondary) {
    for (let i = 0; i < replicas; i++) {
      const votes = i < secondaryVoters ? 1 : 0
      add(secondary, i, votes ? SECONDARY_REGION_PRIORITY : 0, votes)
    }
  }
  return {set: database.name, port, primaryRegion: primary, members}
}

/**
 * The layout with `active` as the region the PRIMARY is elected from: after a failover the active
 * region's members carry the primary region's priorities and votes (src/failover/replica-moves.ts),
 * and everything that (re)forms a set must keep it so, or a re-run would hand the set back.
 */
export function topologyWithActive(database: ServiceDescriptor, spec: Pick<EnvironmentSpec, 'tier' | 'regions'>, active: string): ReplicaSetTopology {
  const {primary, secondary} = spec.regions
  if (secondary === undefined || active === primary) return replicaSetTopology(database, spec)
  return replicaSetTopology(database, {tier: spec.tier, regions: {primary: active, secondary: primary}})
}

/** The members of one region. */
export function membersIn(topology: ReplicaSetTopology, region: string): ReplicaSetMember[] {
  return topology.members.filter((member) => member.region === region)
}
