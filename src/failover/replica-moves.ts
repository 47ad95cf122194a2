import type {MemberSpec} from '../db/operations.js'
import {PRIMARY_REGION_PRIORITY, SECONDARY_REGION_PRIORITY, topologyWithActive, type ReplicaSetTopology} from '../db/topology.js'

/**
 * The member configs a failover moves a replica set through. Pure; database-moves.ts runs them.
 *
 * The vote layout (src/db/topology.ts) gives the active region a strict majority of the votes and
 * the PRIMARY's priority. Moving the PRIMARY to region T in a planned switchover takes two
 * reconfigs, so the primary is never made unelectable while it is primary (MongoDB refuses that):
 *
 * 1. transitional: every member that votes in the current layout OR in T's layout votes (never
 *    more than 7: the two layouts together are at most 4 + 3), T's voters get the active
 *    priority, the others the standby one. MongoDB's priority takeover then elects a member of T
 *    by itself (a secondary with a higher priority calls an election once caught up,
 *    https://www.mongodb.com/docs/manual/core/replica-set-elections/#member-priority).
 * 2. final: T's layout (T as the active region). The new primary is one of T's voters in both
 *    configs, so it stays electable.
 *
 * Worked example, dev (one member per region), from a to b:
 *   current       a-0 votes 1 priority 2, b-0 votes 0 priority 0
 *   transitional  a-0 votes 1 priority 1, b-0 votes 1 priority 2   (b-0 takes over)
 *   final         b-0 votes 1 priority 2, a-0 votes 0 priority 0
 *
 * A forced failover keeps only the survivors: T's members in T's layout, forced (the lost
 * region's members come back REMOVED, never as a second primary).
 */

export {topologyWithActive}

function specOf(member: {host: string; priority: number; votes: number}): MemberSpec {
  return {host: member.host, priority: member.priority, votes: member.votes}
}

export function transitionalMembers(from: ReplicaSetTopology, to: ReplicaSetTopology): MemberSpec[] {
  const votesIn = (t: ReplicaSetTopology, host: string) => t.members.find((m) => m.host === host)?.votes ?? 0
  return to.members.map((member) => {
    const votes = votesIn(from, member.host) > 0 || member.votes > 0 ? 1 : 0
    const priority = votes === 0 ? 0 : member.region === to.primaryRegion ? PRIMARY_REGION_PRIORITY : SECONDARY_REGION_PRIORITY
    return {host: member.host, priority, votes}
  })
}

export function finalMembers(to: ReplicaSetTopology): MemberSpec[] {
  return to.members.map(specOf)
}

/** The survivors a forced reconfiguration keeps: the target region's members, in its layout. */
export function survivorMembers(to: ReplicaSetTopology): MemberSpec[] {
  return to.members.filter((m) => m.region === to.primaryRegion).map(specOf)
}

/** The region a member host belongs to, from the topology (undefined for a host it does not know). */
export function regionOfHost(topology: ReplicaSetTopology, host: string): string | undefined {
  return topology.members.find((m) => m.host.toLowerCase() === host.toLowerCase())?.region
}

/** True when the members' priorities and votes already match `desired` (order does not matter). */
export function sameMembers(actual: ReadonlyArray<{host: string; priority: number; votes: number}>, desired: readonly MemberSpec[]): boolean {
  if (actual.length !== desired.length) return false
  const byHost = new Map(actual.map((m) => [m.host.toLowerCase(), m]))
  return desired.every((d) => {
    const m = byHost.get(d.host.toLowerCase())
    return m !== undefined && m.priority === (d.priority ?? 1) && m.votes === (d.votes ?? 1)
  })
}
