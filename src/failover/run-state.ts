import type {CheckResult} from './checks.js'
import type {CloudFenceRecord} from './cloud-fence.js'
import type {FailoverPlan, StepKind} from './plan.js'

/**
 * One failover run as it is stored in the cluster (run-store.ts): the plan, the checks and what
 * each step did, with timestamps. Pure transitions: the executor records every step's start and
 * end through them, `failover resume` picks up at `nextStep`, and `measureRun` turns the
 * timestamps into RTO per phase and in total.
 *
 * RTO is measured from the run's start (the decision to fail over) to the end of verify-gateway,
 * the moment the gateway is known to serve in the new region; steps after it (shrinking the old
 * region, the record) do not count against it, but count in the total.
 */

export type StepStatus = 'pending' | 'running' | 'done' | 'failed'
export type RunOutcome = 'running' | 'succeeded' | 'failed'

export interface StepRecord {
  id: string
  kind: StepKind
  status: StepStatus
  startedAt?: string
  finishedAt?: string
  /** What the step found or did ("primary billing-db-b-0 elected", "already primary in b"). */
  detail?: string
}

export interface FailoverRun {
  schemaVersion: 1
  /** fo-YYYYMMDD-HHMMSS-xxxx: unique, sortable by start. */
  id: string
  plan: FailoverPlan
  checks: CheckResult[]
  /** Who ran it and why (issue 11 "Measured": who ran it and why). */
  who: string
  reason?: string
  startedAt: string
  finishedAt?: string
  outcome: RunOutcome
  /** Why it failed, when it did. */
  error?: string
  steps: StepRecord[]
  /** The largest replication lag of the members that took over, in seconds: the data-loss window. */
  dataLossWindowSeconds?: number
  /**
   * Forced failover: the source did not answer, so its fence waits. It is applied first when the
   * region answers again, before anything else, and failback refuses until then.
   */
  pendingFence?: {
    region: string
    since: string
    /** The cloud fence could not be closed either (its API failed): why. Applied with the rest. */
    cloud?: string
  }
  /** What the cloud fence closed in the lost region (aws, gcp), so failback restores exactly that. */
  cloudFence?: CloudFenceRecord
  /** Writes MongoDB rolled back when the old members rejoined (billing's may be payments). */
  rollbacks?: RolledBackWrites[]
  /**
   * What the run did not finish although the failover happened (it still succeeded): a forced
   * failover's new base backup that could not be taken, each line naming the command that fixes it.
   */
  warnings?: string[]
}

/**
 * Writes one member rolled back when it rejoined: MongoDB keeps the documents in
 * `dataDirectory` on that member (https://www.mongodb.com/docs/manual/core/replica-set-rollbacks/),
 * from where they can be reviewed and re-applied.
 */
export interface RolledBackWrites {
  database: string
  member: string
  entries: number
  namespaces: string[]
  at?: string
  dataDirectory?: string
  /** The optimes (SECONDS:ORDINAL) of the common point and of the last write rolled back. */
  commonPoint?: string
  lastRolledBack?: string
}

export function newRunId(now: Date, random: () => number = Math.random): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
  const suffix = Math.floor(random() * 36 ** 4).toString(36).padStart(4, '0')
  return `fo-${stamp}-${suffix}`
}

export function startRun(input: {plan: FailoverPlan; checks: CheckResult[]; who: string; reason?: string; now: Date; id?: string}): FailoverRun {
  return {
    schemaVersion: 1,
    id: input.id ?? newRunId(input.now),
    plan: input.plan,
    checks: input.checks,
    who: input.who,
    ...(input.reason === undefined ? {} : {reason: input.reason}),
    startedAt: input.now.toISOString(),
    outcome: 'running',
    steps: input.plan.steps.map((s) => ({id: s.id, kind: s.kind, status: 'pending'})),
  }
}

/** The first step not done: where a run (or its resume) continues. Undefined when all are done. */
export function nextStep(run: FailoverRun): StepRecord | undefined {
  return run.steps.find((s) => s.status !== 'done')
}

function withStep(run: FailoverRun, id: string, change: (step: StepRecord) => StepRecord): FailoverRun {
  if (!run.steps.some((s) => s.id === id)) throw new Error(`step ${id} is not in failover run ${run.id}`)
  return {...run, steps: run.steps.map((s) => (s.id === id ? change(s) : s))}
}

/** A resumed step keeps its first start time: the RTO counts from when it really began. */
export function stepStarted(run: FailoverRun, id: string, now: Date): FailoverRun {
  return withStep(run, id, (s) => ({...s, status: 'running', startedAt: s.startedAt ?? now.toISOString(), finishedAt: undefined}))
}

export function stepDone(run: FailoverRun, id: string, now: Date, detail?: string): FailoverRun {
  const next = withStep(run, id, (s) => ({...s, status: 'done', finishedAt: now.toISOString(), ...(detail === undefined ? {} : {detail})}))
  return nextStep(next) === undefined ? {...next, outcome: 'succeeded', finishedAt: now.toISOString(), error: undefined} : next
}

export function stepFailed(run: FailoverRun, id: string, now: Date, error: string): FailoverRun {
  const next = withStep(run, id, (s) => ({...s, status: 'failed', finishedAt: now.toISOString(), detail: error}))
  return {...next, outcome: 'failed', error, finishedAt: now.toISOString()}
}

/** A resume reopens a failed run at its failed step. */
export function reopen(run: FailoverRun): FailoverRun {
  return {...run, outcome: 'running', error: undefined, finishedAt: undefined}
}

export interface PhaseMeasure {
  step: string
  durationMs: number
}

export interface RunMeasures {
  phases: PhaseMeasure[]
  /** Start of the run to the gateway verified in the new region; undefined until then. */
  rtoMs?: number
  /** Start to the last step's end; undefined while running. */
  totalMs?: number
}

export function measureRun(run: FailoverRun): RunMeasures {
  const start = Date.parse(run.startedAt)
  const phases = run.steps
    .filter((s) => s.startedAt !== undefined && s.finishedAt !== undefined)
    .map((s) => ({step: s.id, durationMs: Date.parse(s.finishedAt as string) - Date.parse(s.startedAt as string)}))
  const verified = run.steps.find((s) => s.kind === 'verify-gateway' && s.status === 'done')
  return {
    phases,
    ...(verified?.finishedAt ? {rtoMs: Date.parse(verified.finishedAt) - start} : {}),
    ...(run.outcome === 'succeeded' && run.finishedAt ? {totalMs: Date.parse(run.finishedAt) - start} : {}),
  }
}
