/**
 * How long a failover waits for MongoDB to elect, derived from the replica set's own settings
 * (rs.conf().settings, reported by the status operation) instead of fixed numbers, so a set with
 * a short election time-out moves quickly and one with the defaults is given the time it needs.
 * Pure; database-moves.ts uses it.
 *
 * MongoDB's published rules (https://www.mongodb.com/docs/manual/core/replica-set-elections/ and
 * the Replication Architecture Guide, src/mongo/db/repl/README.md "Heartbeats"):
 * - a secondary of higher priority than the primary calls a priority takeover after
 *   `(priority rank + 1) * electionTimeoutMillis`, the rank being how many members have a strictly
 *   higher priority, plus a random offset of up to 15 % of the time-out
 *   (replElectionTimeoutOffsetLimitFraction);
 * - it learns of the new config and of the primary's optime through heartbeats, one every
 *   `heartbeatIntervalMillis`.
 *
 * Worked example, the defaults (10 s, 2 s), the target's member first in priority (rank 0):
 *   takeover wait = 1 * 10 s * 1.15 + 2 s = 13.5 s
 * and with settings of 1 s / 200 ms: 1.35 s.
 */

export interface ElectionSettings {
  electionTimeoutMillis?: number
  heartbeatIntervalMillis?: number
}

/** MongoDB's defaults for a config without settings (replica set configuration reference). */
export const ELECTION_DEFAULTS = {electionTimeoutMillis: 10_000, heartbeatIntervalMillis: 2000} as const

/** replElectionTimeoutOffsetLimitFraction: the random part of an election time-out. */
export const ELECTION_OFFSET_FRACTION = 0.15

function positive(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback
}

/** The longest a caught-up secondary of this priority rank takes to call its priority takeover. */
export function takeoverWaitMs(settings: ElectionSettings | undefined, rank = 0): number {
  const timeout = positive(settings?.electionTimeoutMillis, ELECTION_DEFAULTS.electionTimeoutMillis)
  const heartbeat = positive(settings?.heartbeatIntervalMillis, ELECTION_DEFAULTS.heartbeatIntervalMillis)
  return Math.ceil((Math.max(0, Math.floor(rank)) + 1) * timeout * (1 + ELECTION_OFFSET_FRACTION) + heartbeat)
}

/**
 * The longest an election without a primary takes (after a step-down that found no handoff, or a
 * forced reconfig of several survivors): one election time-out with its offset, a heartbeat to
 * notice, and the same again for a second round (a split vote's retry).
 *   defaults -> 2 * (11.5 s + 2 s) = 27 s
 */
export function electionWaitMs(settings: ElectionSettings | undefined): number {
  return 2 * takeoverWaitMs(settings, 0)
}

/** The priority rank of a member in a member list: how many have a strictly higher priority. */
export function priorityRank(members: ReadonlyArray<{host: string; priority?: number}>, host: string): number {
  const own = members.find((m) => m.host.toLowerCase() === host.toLowerCase())?.priority ?? 1
  return members.filter((m) => (m.priority ?? 1) > own).length
}

/**
 * Whether a priority takeover can only win with the current primary's own vote: the voters other
 * than the primary are fewer than a majority. MongoDB's voter rule refuses a candidate whose last
 * applied optime is older than the voter's ("candidate's data is staler than mine"), and a primary
 * taking writes is always ahead of its secondaries, so such a takeover fails its dry run for as
 * long as writes flow. A switchover then steps the primary down at once (rs.stepDown hands the
 * election to the caught-up member of highest priority) instead of waiting out a takeover that
 * will not come.
 *   dev, one member per region: voters a-0 (primary), b-0 -> majority 2, others 1 -> true
 *   staging, two per region:     voters a-0 (primary), a-1, b-0, b-1 -> majority 3, others 3 -> false
 */
export function takeoverNeedsPrimaryVote(members: ReadonlyArray<{host: string; votes?: number}>, primaryHost: string): boolean {
  const voters = members.filter((m) => (m.votes ?? 1) > 0)
  const majority = Math.floor(voters.length / 2) + 1
  const others = voters.filter((m) => m.host.toLowerCase() !== primaryHost.toLowerCase()).length
  return others < majority
}
