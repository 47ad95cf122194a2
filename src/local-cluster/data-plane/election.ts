import type {MemberConfig, ReplSetConfig} from './config.js'
import {compareOpTimes, type OpTime} from './optime.js'

/**
 * MongoDB's election rules (protocol version 1, built on Raft), as pure functions. Sources: the
 * Replica Set Elections page (https://www.mongodb.com/docs/manual/core/replica-set-elections/) and
 * the Replication Architecture Guide (src/mongo/db/repl/README.md, sections "Step Up", "Voter
 * Perspective", "Heartbeats", "Step Down").
 */

export interface VoterView {
  /** The voter's config member. */
  member: MemberConfig
  lastApplied: OpTime
  /** The term this voter last voted in (its `local.replset.election` record). */
  lastVoteTerm: number
  /** For arbiters: the priority of a healthy primary it can see, if any. */
  healthyPrimaryPriority?: number
}

export interface CandidateView {
  member: MemberConfig
  lastApplied: OpTime
}

export type VoteVerdict = {granted: true} | {granted: false; reason: string}

/**
 * Whether a voter grants its vote (README "Voter Perspective"): refused when the candidate's last
 * applied OpTime is older than the voter's, when the voter already voted in this term (real
 * elections only, not dry runs), and, for an arbiter, when it sees a healthy primary of greater or
 * equal priority. Term, config-version and set-name mismatches cannot arise here: the simulated
 * members share one config.
 */
export function voteFor(voter: VoterView, candidate: CandidateView, term: number, dryRun: boolean): VoteVerdict {
  if (voter.member.votes === 0) return {granted: false, reason: 'not a voting member'}
  if (compareOpTimes(candidate.lastApplied, voter.lastApplied) < 0) return {granted: false, reason: "candidate's data is staler than mine"}
  if (!dryRun && voter.lastVoteTerm >= term) return {granted: false, reason: `already voted for another candidate in term ${voter.lastVoteTerm}`}
  if (voter.member.arbiterOnly && voter.healthyPrimaryPriority !== undefined && voter.healthyPrimaryPriority >= candidate.member.priority) {
    return {granted: false, reason: 'can see a healthy primary of equal or greater priority'}
  }
  return {granted: true}
}

/** Votes the candidate would get (its own included when it votes) and the majority it needs. */
export function tallyVotes(config: ReplSetConfig, candidate: CandidateView, voters: readonly VoterView[], term: number, dryRun: boolean): {votes: number; needed: number; refusals: string[]} {
  let votes = candidate.member.votes > 0 ? 1 : 0
  const refusals: string[] = []
  for (const voter of voters) {
    if (voter.member._id === candidate.member._id) continue
    const verdict = voteFor(voter, candidate, term, dryRun)
    if (verdict.granted) votes++
    else refusals.push(`${voter.member.host}: ${verdict.reason}`)
  }
  return {votes, needed: Math.floor(config.members.filter((m) => m.votes > 0).length / 2) + 1, refusals}
}

/** Members with a strictly higher priority than this one (0 for the highest): the priority rank. */
export function priorityRank(config: ReplSetConfig, member: MemberConfig): number {
  return config.members.filter((m) => m.priority > member.priority).length
}

/**
 * How long a higher-priority secondary waits before a priority takeover (README "Heartbeats"):
 * `(election timeout) * (priority rank + 1)`, so the highest-priority member goes first.
 */
export function priorityTakeoverDelayMs(config: ReplSetConfig, member: MemberConfig, electionTimeoutMs: number): number {
  return electionTimeoutMs * (priorityRank(config, member) + 1)
}

/**
 * A secondary calls a priority takeover only when caught up: its last OpTime in the primary's
 * term and within `priorityTakeoverFreshnessWindowSeconds` (2 s) of the primary's
 * (TopologyCoordinator::_amIFreshEnoughForPriorityTakeover).
 */
export function freshEnoughForTakeover(candidate: OpTime, candidateWall: number, primary: OpTime, primaryWall: number, windowMs: number): boolean {
  if (candidate.t !== primary.t) return false
  return primaryWall - candidateWall <= windowMs
}

/**
 * The random part of an election time-out: up to `replElectionTimeoutOffsetLimitFraction` (0.15)
 * of it. Deterministic here (seeded per member and term) so a replay behaves the same.
 */
export function electionOffsetMs(seed: number, electionTimeoutMs: number, fraction: number): number {
  return Math.floor((seed % 1000) / 1000 * fraction * electionTimeoutMs)
}
