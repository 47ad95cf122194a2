import {ConflictError, UsageError} from '../../errors.js'
import type {ContentHashes} from '../../formats/content-hash/content-hash.js'

/**
 * `backup restore` as a resumable state machine: the run is stored in the cluster after every
 * step (restore-store.ts), and a re-run of the same command reads it first and continues from the
 * first step not done. Pure: every decision here is a function of the stored run and the request.
 *
 * Steps, in order (a `--no-switch` run stops after `prove` and records):
 *
 *   restore-beside  a new replica set `<db>-r<short id>` beside the live one, the backup restored into it
 *   prove           its counts and hashes equal the catalog entry's (or the point-in-time expectation)
 *   confirm         production: the typed name (asked here, after the proof, never without a terminal)
 *   stop-writes     the service's Deployments scaled to 0 in every region, their replicas recorded
 *   switch          the service's connection Secret names the restored set (members and set name)
 *   restart         the Deployments back at their recorded replicas: new pods read the new Secret
 *   resume-writes   the service's pods ready again, writing to the restored set
 *   record          the run is marked succeeded; the old set is kept (and when it may be scaled down)
 *
 * The live database is only changed from `switch` on. Before it, an interrupted run leaves the
 * live data untouched, and `--abandon` removes the half-made set. From `switch` on, abandoning
 * would leave the service pointing at a set nobody tracks: the run can only be resumed (and then
 * undone). `stop-writes` is before that line but scales the service down, so abandoning after it
 * scales the service back up first.
 *
 * Worked example: a run killed during restore-beside (steps: restore-beside running, the rest
 * pending) -> the re-run resumes at restore-beside, whose I/O finds the set and the Job it
 * created and waits for them; `--abandon` instead removes the set and deletes the run.
 */

export const RESTORE_STEPS = ['restore-beside', 'prove', 'confirm', 'stop-writes', 'switch', 'restart', 'resume-writes', 'record'] as const
export type RestoreStepKind = (typeof RESTORE_STEPS)[number]
export const NO_SWITCH_STEPS: readonly RestoreStepKind[] = ['restore-beside', 'prove', 'record']

/** The first step that changes what the live service reads: from here on, --abandon is refused. */
const POINT_OF_NO_ABANDON: RestoreStepKind = 'switch'

export type RestoreStepStatus = 'pending' | 'running' | 'done' | 'failed'
export type RestoreOutcome = 'running' | 'succeeded' | 'failed' | 'undone'

export interface RestoreStepRecord {
  kind: RestoreStepKind
  status: RestoreStepStatus
  startedAt?: string
  finishedAt?: string
  detail?: string
}

/** What the run restores, decided once (by the first run) and kept: a resume never re-plans. */
export interface RestoreRequest {
  environment: string
  service: string
  /** The mongodb descriptor (`visitors-db`): the live set's name. */
  database: string
  backupId: string
  /** mongorestore --oplogLimit (exclusive) for a point-in-time restore. */
  oplogLimit?: string
  /** The newest operation the restore can have applied (point in time), for the result. */
  lastAppliedAtMost?: string
  /** `--no-switch`: restore beside the live set and stop. */
  switch: boolean
  /** `--from-env OLD`: the backup is OLD's (read from OLD's backup site). */
  fromEnvironment?: string
}

export interface StoppedDeployment {
  region: string
  name: string
  /** Replicas before the stop: what `restart` puts back. */
  replicas: number
}

export interface RestoreRun {
  schemaVersion: 1
  /** rs-YYYYMMDD-HHMMSS-xxxx. */
  id: string
  request: RestoreRequest
  /** The set restored into: `<database>-r<short id>`. */
  restoredSet: string
  /** The set the service read before the switch (kept for --undo). */
  previousSet: string
  startedAt: string
  finishedAt?: string
  outcome: RestoreOutcome
  error?: string
  who: string
  steps: RestoreStepRecord[]
  /** Filled by stop-writes; read by restart (also after a kill between the two). */
  stopped?: StoppedDeployment[]
  /** Filled by restore-beside: the restored set's counts and hashes (what prove compares). */
  measured?: ContentHashes
  /** The last oplog operation the restore applied (point in time). */
  lastAppliedOp?: string
  /** Filled by prove. */
  proven?: {collections: number; documents: number}
  /** Filled by --undo's own stop (apart from the restore's, so a killed undo keeps the counts). */
  undoStopped?: StoppedDeployment[]
  /** RFC 3339: the kept old set may be scaled down from then on. */
  keepPreviousUntil?: string
  /**
   * The restored set's newest oplog entry when the switch began (writes stopped): everything
   * after it in that set's oplog is a write the service made there, what --undo counts.
   */
  switchOptime?: string
  /** Filled by --undo. */
  undo?: {at: string; writesSinceSwitch: number; detail: string; writes?: {inserts: number; updates: number; deletes: number; complete: boolean}}
}

export function restoreRunId(now: Date, random: () => number = Math.random): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
  const suffix = Math.floor(random() * 36 ** 4).toString(36).padStart(4, '0')
  return `rs-${stamp}-${suffix}`
}

/**
 * The restored set's name: the database's, `-r`, and the run id's random suffix, so two restores
 * of one database never share a set and the name (a StatefulSet's, a DNS label) stays short.
 * Example: restoredSetName('visitors-db', 'rs-20261203-091500-k3x9') -> 'visitors-db-rk3x9'.
 */
export function restoredSetName(database: string, runId: string): string {
  return `${database}-r${runId.slice(-4)}`
}

export function startRestoreRun(input: {request: RestoreRequest; previousSet: string; who: string; now: Date; id?: string}): RestoreRun {
  const id = input.id ?? restoreRunId(input.now)
  const kinds = input.request.switch ? RESTORE_STEPS : NO_SWITCH_STEPS
  return {
    schemaVersion: 1,
    id,
    request: input.request,
    restoredSet: restoredSetName(input.request.database, id),
    previousSet: input.previousSet,
    startedAt: input.now.toISOString(),
    outcome: 'running',
    who: input.who,
    steps: kinds.map((kind) => ({kind, status: 'pending'})),
  }
}

/** The first step not done: where a run (or its re-run) continues. Undefined when all are done. */
export function nextRestoreStep(run: RestoreRun): RestoreStepRecord | undefined {
  return run.steps.find((s) => s.status !== 'done')
}

function withStep(run: RestoreRun, kind: RestoreStepKind, change: (step: RestoreStepRecord) => RestoreStepRecord): RestoreRun {
  if (!run.steps.some((s) => s.kind === kind)) throw new Error(`step ${kind} is not in restore run ${run.id}`)
  return {...run, steps: run.steps.map((s) => (s.kind === kind ? change(s) : s))}
}

export function restoreStepStarted(run: RestoreRun, kind: RestoreStepKind, now: Date): RestoreRun {
  return withStep(run, kind, (s) => ({...s, status: 'running', startedAt: s.startedAt ?? now.toISOString(), finishedAt: undefined}))
}

export function restoreStepDone(run: RestoreRun, kind: RestoreStepKind, now: Date, detail?: string): RestoreRun {
  const next = withStep(run, kind, (s) => ({...s, status: 'done', finishedAt: now.toISOString(), ...(detail === undefined ? {} : {detail})}))
  return nextRestoreStep(next) === undefined ? {...next, outcome: 'succeeded', finishedAt: now.toISOString(), error: undefined} : next
}

export function restoreStepFailed(run: RestoreRun, kind: RestoreStepKind, now: Date, error: string): RestoreRun {
  const next = withStep(run, kind, (s) => ({...s, status: 'failed', finishedAt: now.toISOString(), detail: error}))
  return {...next, outcome: 'failed', error, finishedAt: now.toISOString()}
}

/** A re-run reopens a failed run at its failed step. */
export function reopenRestoreRun(run: RestoreRun): RestoreRun {
  return {...run, outcome: 'running', error: undefined, finishedAt: undefined}
}

/** True once the switch has started: the service may already read the restored set. */
export function liveTouched(run: RestoreRun): boolean {
  return run.steps.some((s) => s.kind === POINT_OF_NO_ABANDON && s.status !== 'pending')
}

/** True when a run is unfinished (running when killed, or failed): a re-run resumes it. */
export function isUnfinished(run: RestoreRun): boolean {
  return run.outcome === 'running' || run.outcome === 'failed'
}

/** Same backup, same point in time, same switch choice: a re-run of the same restore. */
export function sameRequest(a: RestoreRequest, b: RestoreRequest): boolean {
  return a.service === b.service && a.backupId === b.backupId && (a.oplogLimit ?? '') === (b.oplogLimit ?? '') && a.switch === b.switch && (a.fromEnvironment ?? '') === (b.fromEnvironment ?? '')
}

export type RerunDecision =
  /** Nothing unfinished: start a new run. */
  | {kind: 'start'}
  /** The stored run is this restore, unfinished: continue it at its next step. */
  | {kind: 'resume'; run: RestoreRun}
  | {kind: 'refuse'; error: UsageError | ConflictError}

function describeRun(run: RestoreRun): string {
  const at = run.request.oplogLimit ? ` to ${run.request.oplogLimit} (excluded)` : ''
  return `restore ${run.id} of ${run.request.service} from backup ${run.request.backupId}${at}${run.request.switch ? '' : ' (--no-switch)'}`
}

/**
 * What a `backup restore` does given the service's stored run: resume it when it is the same
 * restore (a re-run after a kill names the same backup and flags), refuse when another one is
 * unfinished (naming it and how to finish or abandon it), start otherwise.
 */
export function decideRerun(stored: RestoreRun | undefined, request: RestoreRequest): RerunDecision {
  if (stored && stored.outcome === 'succeeded' && !stored.request.switch) {
    // Its set is still there for reading; a second one would be forgotten (the record holds one run).
    return {
      kind: 'refuse',
      error: new ConflictError(`${describeRun(stored)} kept ${stored.restoredSet} beside ${stored.previousSet}; remove it before another restore of ${stored.request.service}`, {
        hint: `\`mygate backup restore --env ${stored.request.environment} --service ${stored.request.service} --abandon\` removes it`,
      }),
    }
  }
  if (!stored || !isUnfinished(stored)) return {kind: 'start'}
  if (sameRequest(stored.request, request)) return {kind: 'resume', run: reopenRestoreRun(stored)}
  const step = nextRestoreStep(stored)
  const hint = liveTouched(stored)
    ? `it has switched the service already: re-run it with the same backup to finish it (then --undo if it is not wanted)`
    : `re-run it with the same backup to finish it, or remove it with \`mygate backup restore --env ${stored.request.environment} --service ${stored.request.service} --abandon\``
  return {kind: 'refuse', error: new ConflictError(`${describeRun(stored)} is unfinished (at ${step?.kind ?? 'record'}); it must be finished or abandoned first`, {hint})}
}

export type AbandonDecision = {kind: 'abandon'; run: RestoreRun; scaleBack: boolean} | {kind: 'refuse'; error: UsageError | ConflictError}

/** `--abandon`: an unfinished run that has not touched what the service reads, or a finished --no-switch one. */
export function decideAbandon(stored: RestoreRun | undefined, service: string): AbandonDecision {
  // A finished --no-switch restore switched nothing: its set is removed the same way.
  if (stored && stored.outcome === 'succeeded' && !stored.request.switch) return {kind: 'abandon', run: stored, scaleBack: false}
  if (!stored || !isUnfinished(stored)) {
    return {kind: 'refuse', error: new UsageError(`there is no unfinished restore of ${service} to abandon`, {hint: `\`mygate backup restore --env ENV --service ${service} ID\` starts one`})}
  }
  if (liveTouched(stored)) {
    return {
      kind: 'refuse',
      error: new ConflictError(`${describeRun(stored)} has already switched ${service} to ${stored.restoredSet}; abandoning it now would leave the service on an untracked set`, {
        hint: 'run the same restore again to finish it, then `--undo` to switch back',
      }),
    }
  }
  const stop = stored.steps.find((s) => s.kind === 'stop-writes')
  return {kind: 'abandon', run: stored, scaleBack: stop !== undefined && stop.status !== 'pending'}
}

export type UndoDecision = {kind: 'undo'; run: RestoreRun} | {kind: 'refuse'; error: UsageError | ConflictError}

/** `--undo`: the last run switched the service (succeeded, not undone yet). */
export function decideUndo(stored: RestoreRun | undefined, service: string): UndoDecision {
  if (!stored) return {kind: 'refuse', error: new UsageError(`${service} has no restore to undo`, {hint: '`mygate backup restore` records its runs; nothing was restored for this service'})}
  if (stored.outcome === 'undone') {
    return {kind: 'refuse', error: new UsageError(`${describeRun(stored)} was already undone at ${stored.undo?.at ?? 'an earlier run'}; ${service} reads ${stored.previousSet}`)}
  }
  if (!stored.request.switch) return {kind: 'refuse', error: new UsageError(`${describeRun(stored)} did not switch ${service}; there is nothing to undo`, {hint: `the restored set ${stored.restoredSet} can be removed with --abandon once unused`})}
  if (isUnfinished(stored)) {
    return {
      kind: 'refuse',
      error: new ConflictError(`${describeRun(stored)} is unfinished (at ${nextRestoreStep(stored)?.kind ?? 'record'})`, {
        hint: liveTouched(stored) ? 'run the same restore again to finish it, then --undo' : 'nothing was switched yet: --abandon removes it',
      }),
    }
  }
  return {kind: 'undo', run: stored}
}

/** The kept old set may be scaled down after this (default: a week after the switch). */
export function keepPreviousUntil(switchedAt: Date, keepMs = 7 * 24 * 3600_000): string {
  return new Date(switchedAt.getTime() + keepMs).toISOString()
}

export function markUndone(run: RestoreRun, now: Date, writesSinceSwitch: number, detail: string, writes?: NonNullable<RestoreRun['undo']>['writes']): RestoreRun {
  return {...run, outcome: 'undone', undo: {at: now.toISOString(), writesSinceSwitch, detail, ...(writes ? {writes} : {})}}
}

/**
 * A restored set spans both regions like the live one (restored-set.ts) wherever its member names
 * resolve without the private zone, so both regions' pods reach it after a switch. On aws and gcp
 * they would need records in the zone that `env create`'s Member names step owns and rewrites
 * (restoredSetSpansRegions says why): there the set stays in the active region, and switching a
 * two-region service to it would leave the standby region's pods naming hosts they cannot reach
 * and a failover without the data: refused (fail closed). `--no-switch` is fine.
 */
export function refuseSwitchAcrossRegions(input: {environment: string; provider: string; secondaryRegion?: string; switching: boolean; services: readonly string[]}): UsageError | undefined {
  if (!input.switching || input.secondaryRegion === undefined || (input.provider !== 'aws' && input.provider !== 'gcp')) return undefined
  return new UsageError(`${input.environment} runs in two regions on ${input.provider}, where a restored set has members in its active region only (its member names would need records in the environment's private zone): switching ${input.services.join(', ')} to it would leave ${input.secondaryRegion} unable to reach its database`, {
    hint: 'restore with --no-switch to read the data beside the live set, and copy what you need from it',
  })
}
