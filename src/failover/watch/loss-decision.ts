import type {DrMode} from '../../config/types.js'

/**
 * What `failover watch` does about a lost region. Pure: the watch measures (probe.ts), this decides.
 *
 * - A region that serves no traffic (the standby of warm standby or pilot light, a region already
 *   at weight 0 in active-active) is lost to disaster recovery, not to users: nothing to move, a
 *   person must bring it back (alert, no failover command: there is nowhere to fail over from).
 * - No surviving region answers: nothing to fail over to (alert).
 * - Every database has its PRIMARY in the survivor: MongoDB elected there by itself (the survivors
 *   hold a majority of the votes), so the steps that need no human run (act).
 * - A database without a PRIMARY in the survivor whose survivors hold a majority of the votes is
 *   still electing: wait up to the election's own deadline (election-timing.ts), then alert.
 * - A database whose survivors hold no majority can only be made writable by a forced
 *   reconfiguration, which MongoDB's manual forbids unattended
 *   (https://www.mongodb.com/docs/manual/tutorial/reconfigure-replica-set-with-unavailable-members/):
 *   alert with the exact command a person runs, and never force.
 */

/** One database as the status Job in the survivor saw it. */
export interface DatabaseView {
  database: string
  /** The region of its PRIMARY, null when it has none. */
  primaryRegion: string | null
  /** Votes of the healthy members in the survivor against a majority of all votes in its config. */
  survivorVotes: number
  totalVotes: number
}

export interface LossInput {
  environment: string
  lost: string
  /** The regions DNS sends users to now (failover mode: the active one; weighted: weight > 0). */
  serving: readonly string[]
  /** The other region, when it answered the last probe. */
  survivor?: string
  /** undefined when the status could not be read in the survivor. */
  databases?: readonly DatabaseView[]
  drMode: DrMode
  /** How long the region has been declared lost, and how long MongoDB's election may take. */
  lostForMs: number
  electionGraceMs: number
}

export type LossDecision =
  | {action: 'act'; survivor: string; why: string}
  | {action: 'wait'; why: string}
  | {action: 'alert'; why: string; command?: string}

/** A strict majority of the votes: MongoDB's rule for electing and for majority writes. */
export function holdsMajority(votes: number, totalVotes: number): boolean {
  return totalVotes > 0 && votes > totalVotes / 2
}

/** The command a person runs when only a forced reconfiguration helps. */
export function forcedFailoverCommand(environment: string): string {
  return `mygate failover --env ${environment} --forced --confirm ${environment}`
}

export function decideOnLoss(input: LossInput): LossDecision {
  const {environment, lost, survivor} = input
  if (!input.serving.includes(lost)) {
    return {action: 'alert', why: `${lost} (not serving) is lost: nothing to move, but ${environment} has no region to fail over to until ${lost} is back`}
  }
  if (survivor === undefined) return {action: 'alert', why: `${lost} is lost and no other region answers: there is nothing to fail over to`}
  if (input.databases === undefined) {
    if (input.lostForMs < input.electionGraceMs) return {action: 'wait', why: `the database status in ${survivor} could not be read yet`}
    return {action: 'alert', why: `${lost} is lost and the databases' state in ${survivor} cannot be read: the watch does not act blind`, command: forcedFailoverCommand(environment)}
  }
  const elsewhere = input.databases.filter((d) => d.primaryRegion !== survivor)
  if (elsewhere.length === 0) return {action: 'act', survivor, why: `MongoDB elected every PRIMARY in ${survivor} by itself`}
  const minority = elsewhere.filter((d) => !holdsMajority(d.survivorVotes, d.totalVotes))
  if (minority.length > 0) {
    const named = minority.slice(0, 3).map((d) => `${d.database} (${d.survivorVotes} of ${d.totalVotes} votes)`)
    const names = minority.length > 3 ? [...named, `${minority.length - 3} more`] : named
    return {
      action: 'alert',
      why: `${lost} is lost and ${survivor} holds no majority of ${names.join(', ')}: only a forced reconfiguration makes ${survivor} writable, and the watch never forces`,
      command: forcedFailoverCommand(environment),
    }
  }
  if (input.lostForMs < input.electionGraceMs) return {action: 'wait', why: `MongoDB is electing in ${survivor} (${elsewhere.map((d) => d.database).join(', ')})`}
  return {
    action: 'alert',
    why: `${lost} is lost and ${elsewhere.map((d) => d.database).join(', ')} elected no PRIMARY in ${survivor} within ${Math.round(input.electionGraceMs / 1000)}s although ${survivor} holds a majority`,
    command: forcedFailoverCommand(environment),
  }
}

/** The regions users reach now, from the record and the DNS answer (weighted: weight > 0, not withdrawn). */
export function servingRegions(input: {activeRegion: string; drMode: DrMode; regions: readonly string[]; dns?: {regions: ReadonlyArray<{region: string; weight?: number; withdrawn: boolean}>}}): string[] {
  if (input.drMode !== 'active-active') return [input.activeRegion]
  if (!input.dns) return [...input.regions]
  return input.dns.regions.filter((r) => !r.withdrawn && (r.weight ?? 1) > 0).map((r) => r.region)
}
