import {formatDuration} from '../duration.js'
import type {FailoverMode} from './plan.js'

/**
 * Readiness checks before a failover (issue 11): each gives a verdict and the value it measured.
 * Pure: the I/O that measures lives in readiness.ts; these functions only judge.
 *
 *   target-cluster  the target region's API server answers (its own short time-out)
 *   database-lag    every database has an electable member in the target within its RPO
 *   versions        the target runs the versions the environment record says are live
 *   capacity        the target's nodes hold the full-scale requests (or can be asked for more):
 *                   judged in node-capacity.ts, where the node groups are
 *   dns             the traffic (DNS) API answers
 *   backup-age      the newest backup against the RPO: a warning, never a blocker
 *
 * A planned switchover refuses when any check fails, unless the user named it with --override.
 * A forced failover refuses only when the target itself does not answer: it is what you do when
 * things are bad, so the other checks are reported (the data-loss window among them), not gates.
 */

export const CHECK_NAMES = ['target-cluster', 'database-lag', 'versions', 'capacity', 'dns', 'backup-age'] as const
export type CheckName = (typeof CHECK_NAMES)[number]

export type CheckVerdict = 'pass' | 'fail' | 'warn' | 'skipped'

export interface CheckResult {
  check: CheckName
  verdict: CheckVerdict
  /** What was measured, for a person: "answered in 12ms", "billing-db: lag 120s > 1m". */
  measured: string
  /** Set when the user skipped a failing check with --override (recorded in the run). */
  overridden?: boolean
}

/** The checks that stop the failover: failed, not overridden, and a gate in this mode. */
export function blockingChecks(results: readonly CheckResult[], mode: FailoverMode): CheckResult[] {
  return results.filter((r) => r.verdict === 'fail' && !r.overridden && (mode === 'planned' || r.check === 'target-cluster'))
}

/** Marks the named checks as overridden (only failing ones change meaning; others keep theirs). */
export function applyOverrides(results: readonly CheckResult[], overrides: readonly CheckName[]): CheckResult[] {
  return results.map((r) => (overrides.includes(r.check) && r.verdict === 'fail' ? {...r, overridden: true} : r))
}

export function judgeTargetCluster(region: string, answer: {reachable: boolean; error?: string; elapsedMs: number}): CheckResult {
  return answer.reachable
    ? {check: 'target-cluster', verdict: 'pass', measured: `${region} answered in ${formatDuration(answer.elapsedMs)}`}
    : {check: 'target-cluster', verdict: 'fail', measured: `${region} did not answer within ${formatDuration(answer.elapsedMs)}: ${answer.error ?? 'no answer'}`}
}

/** A replica-set member as the status operation reports it (templates/mongodb/ops/README.md). */
export interface MemberStatus {
  host: string
  state: string
  health: number
  priority: number
  votes: number
  hidden?: boolean
  arbiterOnly?: boolean
  lagSeconds?: number | null
}

/** What one database looks like from the target region: its members, or why it could not be read. */
export type DatabaseObservation =
  | {database: string; rpoMs: number; members: MemberStatus[]; primary: string | null}
  | {database: string; rpoMs: number; error: string}

/**
 * A member that can become PRIMARY once the switchover's reconfig gives it a vote and priority:
 * a healthy data-bearing member (arbiters hold no data; hidden members are never elected). Its
 * current votes do not matter: in the standby layout (src/db/topology.ts) a dev-tier standby
 * member is a non-voter, and the transitional config makes it a voter with the active priority.
 */
export function isCandidate(member: MemberStatus): boolean {
  return member.health === 1 && (member.state === 'PRIMARY' || member.state === 'SECONDARY') && !member.hidden && !member.arbiterOnly
}

/**
 * The best candidate in the target region: the least lagging one. Undefined when none.
 *   members in b: SECONDARY lag 0.25s, SECONDARY lag 3s -> the first
 */
export function bestCandidate(members: readonly MemberStatus[], inTarget: (host: string) => boolean): MemberStatus | undefined {
  return members
    .filter((m) => inTarget(m.host) && isCandidate(m))
    .sort((a, b) => (a.lagSeconds ?? Number.POSITIVE_INFINITY) - (b.lagSeconds ?? Number.POSITIVE_INFINITY))[0]
}

/** One line per database; the database-lag check fails when any line is a failure. */
export function judgeDatabase(observation: DatabaseObservation, targetRegion: string, inTarget: (host: string) => boolean): {ok: boolean; line: string; lagSeconds?: number} {
  const {database, rpoMs} = observation
  const rpo = formatDuration(rpoMs)
  if ('error' in observation) return {ok: false, line: `${database}: status unreadable (${observation.error})`}
  const best = bestCandidate(observation.members, inTarget)
  if (best === undefined) {
    const there = observation.members.filter((m) => inTarget(m.host))
    const why = there.length === 0 ? `no member in ${targetRegion}` : `no electable member in ${targetRegion} (${there.map((m) => `${m.host} ${m.state}`).join(', ')})`
    return {ok: false, line: `${database}: ${why}`}
  }
  const lag = best.lagSeconds ?? Number.POSITIVE_INFINITY
  const lagText = Number.isFinite(lag) ? formatDuration(lag * 1000) : 'unknown'
  if (lag * 1000 > rpoMs) return {ok: false, line: `${database}: lag ${lagText} > RPO ${rpo} (${best.host})`, lagSeconds: lag}
  return {ok: true, line: `${database}: lag ${lagText} <= RPO ${rpo}`, lagSeconds: lag}
}

export function judgeDatabases(observations: readonly DatabaseObservation[], targetRegion: string, inTarget: (host: string) => boolean): CheckResult {
  const judged = observations.map((o) => judgeDatabase(o, targetRegion, inTarget))
  const bad = judged.filter((j) => !j.ok)
  if (observations.length === 0) return {check: 'database-lag', verdict: 'pass', measured: 'no databases'}
  if (bad.length > 0) return {check: 'database-lag', verdict: 'fail', measured: bad.map((j) => j.line).join('; ')}
  const worst = Math.max(...judged.map((j) => j.lagSeconds ?? 0))
  return {check: 'database-lag', verdict: 'pass', measured: `${observations.length} databases within RPO (worst lag ${formatDuration(worst * 1000)})`}
}

/**
 * Versions parity: every workload present in the target runs the version the record says is live.
 * A workload absent from the target (pilot light) is not a mismatch: the switchover deploys it at
 * the recorded version.
 *   recorded {billing: 2.0.0}, running {billing: 1.9.0} -> fail "billing 1.9.0 (live 2.0.0)"
 */
export function judgeVersions(recorded: Record<string, string>, running: Record<string, string>): CheckResult {
  const stale = Object.entries(running)
    .filter(([service, version]) => recorded[service] !== undefined && recorded[service] !== version)
    .map(([service, version]) => `${service} ${version} (live ${recorded[service]})`)
    .sort()
  if (stale.length > 0) return {check: 'versions', verdict: 'fail', measured: `stale in target: ${stale.join(', ')}`}
  const absent = Object.keys(recorded).filter((s) => running[s] === undefined).length
  return {check: 'versions', verdict: 'pass', measured: `${Object.keys(running).length} workloads at the live versions${absent > 0 ? `, ${absent} to deploy` : ''}`}
}

export function judgeDns(answer: {ok: boolean; detail: string}): CheckResult {
  return {check: 'dns', verdict: answer.ok ? 'pass' : 'fail', measured: answer.detail}
}

/**
 * The newest backup's age against the RPO: a warning, never a blocker. Without a backup catalog
 * (issue 12 not deployed) the check is skipped with a note.
 */
export function judgeBackupAge(newest: {ageMs: number; rpoMs: number} | 'no catalog' | 'none'): CheckResult {
  if (newest === 'no catalog') return {check: 'backup-age', verdict: 'skipped', measured: 'no backup catalog in the target region yet'}
  if (newest === 'none') return {check: 'backup-age', verdict: 'warn', measured: 'no backup found in the target region'}
  const measured = `newest backup ${formatDuration(newest.ageMs)} old (RPO ${formatDuration(newest.rpoMs)})`
  return {check: 'backup-age', verdict: newest.ageMs <= newest.rpoMs ? 'pass' : 'warn', measured}
}
