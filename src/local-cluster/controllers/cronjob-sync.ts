import type {KubeObject} from '../../kube/types.js'
import {type Action, sameJson} from './actions.js'
import {findCondition, parseTimestamp, timestamp} from './conditions.js'
import {CronSyntaxError, lastScheduleTime, nextScheduleTime, parseCron} from './cron-schedule.js'
import {timeZoneProblem} from './time-zone.js'
import {isJobFinished, type JobStatus} from './job-sync.js'
import {ownerRefTo} from './owner-refs.js'
import {eventAction} from './events.js'
import {CRONJOBS, JOBS} from './resources.js'

interface CronJobSpec {
  schedule?: string
  timeZone?: string
  startingDeadlineSeconds?: number
  concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace'
  suspend?: boolean
  successfulJobsHistoryLimit?: number
  failedJobsHistoryLimit?: number
  jobTemplate?: {metadata?: {labels?: Record<string, string>; annotations?: Record<string, string>}; spec?: Record<string, unknown>}
}

export interface CronJobStatus {
  active?: Array<{apiVersion: string; kind: string; name?: string; namespace?: string; uid?: string; resourceVersion?: string}>
  lastScheduleTime?: string
  lastSuccessfulTime?: string
}

export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp'

/** Upstream's job name: the CronJob's name and the scheduled time in minutes since the epoch. */
export const scheduledJobName = (cronJob: KubeObject, scheduledMs: number): string => `${cronJob.metadata.name}-${Math.floor(scheduledMs / 60_000)}`

export function buildScheduledJob(cronJob: KubeObject, scheduledMs: number): KubeObject {
  const template = ((cronJob.spec ?? {}) as CronJobSpec).jobTemplate ?? {}
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: scheduledJobName(cronJob, scheduledMs),
      namespace: cronJob.metadata.namespace,
      labels: {...template.metadata?.labels},
      annotations: {...template.metadata?.annotations, [SCHEDULED_TIMESTAMP_ANNOTATION]: new Date(scheduledMs).toISOString().replace('.000Z', 'Z')},
      ownerReferences: [ownerRefTo(cronJob)],
    },
    spec: structuredClone(template.spec ?? {}),
  }
}

const jobSucceeded = (job: KubeObject) => findCondition((job.status as JobStatus | undefined)?.conditions, 'Complete')?.status === 'True'
const finishedAt = (job: KubeObject) =>
  parseTimestamp((job.status as JobStatus | undefined)?.completionTime) ?? parseTimestamp((job.status as JobStatus | undefined)?.startTime) ?? parseTimestamp(job.metadata.creationTimestamp) ?? 0

/**
 * One pass of the CronJob controller on the controller's clock (UTC unless spec.timeZone):
 * start the most recent missed run in (lastScheduleTime or creation, now] unless suspended,
 * past startingDeadlineSeconds, or blocked by concurrencyPolicy (Forbid skips while a run is
 * active and retries; Replace deletes the active runs first); keep the last N successful and
 * failed Jobs; report active, lastScheduleTime and lastSuccessfulTime. Requeues for the next run.
 */
export function reconcileCronJob(cronJob: KubeObject, jobs: readonly KubeObject[], now: number): {actions: Action[]; status: CronJobStatus; requeueAfterMs?: number; error?: string} {
  const spec = (cronJob.spec ?? {}) as CronJobSpec
  const old = (cronJob.status ?? {}) as CronJobStatus
  const actions: Action[] = []
  const status: CronJobStatus = {...old}
  const active = jobs.filter((job) => !isJobFinished(job) && !job.metadata.deletionTimestamp)
  const deleteJob = (job: KubeObject) =>
    actions.push(
      {type: 'delete', ref: JOBS, namespace: job.metadata.namespace, name: job.metadata.name as string, uid: job.metadata.uid, propagationPolicy: 'Background'},
      eventAction(cronJob, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`, 'cronjob-controller', now),
    )

  const succeeded = jobs.filter(jobSucceeded).sort((a, b) => finishedAt(a) - finishedAt(b))
  const failed = jobs.filter((job) => isJobFinished(job) && !jobSucceeded(job)).sort((a, b) => finishedAt(a) - finishedAt(b))
  if (succeeded.length > 0) status.lastSuccessfulTime = timestamp(finishedAt(succeeded[succeeded.length - 1]))
  for (const job of succeeded.slice(0, Math.max(0, succeeded.length - (spec.successfulJobsHistoryLimit ?? 3)))) deleteJob(job)
  for (const job of failed.slice(0, Math.max(0, failed.length - (spec.failedJobsHistoryLimit ?? 1)))) deleteJob(job)

  let requeueAfterMs: number | undefined
  let error: string | undefined
  let running = active
  const zoneProblem = timeZoneProblem(spec.timeZone)
  try {
    // Upstream records an UnknownTimeZone event and starts nothing until the zone is fixed.
    if (zoneProblem) throw new CronSyntaxError(`invalid timeZone "${spec.timeZone}": ${zoneProblem}`)
    const schedule = parseCron(spec.schedule ?? '')
    const earliest = parseTimestamp(old.lastScheduleTime) ?? parseTimestamp(cronJob.metadata.creationTimestamp) ?? now
    const due = spec.suspend || cronJob.metadata.deletionTimestamp ? undefined : lastScheduleTime(schedule, earliest, now, spec.timeZone)
    const tooLate = due !== undefined && spec.startingDeadlineSeconds !== undefined && due + spec.startingDeadlineSeconds * 1000 < now
    const alreadyRan = due !== undefined && jobs.some((job) => job.metadata.name === scheduledJobName(cronJob, due))
    if (due !== undefined && !tooLate && !alreadyRan) {
      const policy = spec.concurrencyPolicy ?? 'Allow'
      if (policy === 'Forbid' && active.length > 0) {
        // Skipped, not recorded: tried again when the active run ends (or the deadline passes).
      } else {
        if (policy === 'Replace') {
          for (const job of active) deleteJob(job)
          running = []
        }
        const job = buildScheduledJob(cronJob, due)
        actions.push({type: 'create', ref: JOBS, object: job}, eventAction(cronJob, 'Normal', 'SuccessfulCreate', `Created job ${job.metadata.name}`, 'cronjob-controller', now))
        running = [...running, job]
        status.lastScheduleTime = timestamp(due).replace('.000Z', 'Z')
      }
    } else if (due !== undefined) {
      status.lastScheduleTime = timestamp(due).replace('.000Z', 'Z')
    }
    const next = nextScheduleTime(schedule, now, spec.timeZone)
    if (next !== undefined) requeueAfterMs = next - now + 1
  } catch (caught) {
    if (!(caught instanceof CronSyntaxError)) throw caught
    error = zoneProblem ? caught.message : `unparseable schedule "${spec.schedule}": ${caught.message}`
  }

  const refs = running.map((job) => ({apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, namespace: job.metadata.namespace, ...(job.metadata.uid ? {uid: job.metadata.uid} : {})}))
  if (refs.length > 0) status.active = refs
  else delete status.active
  if (!sameJson(old, status)) actions.push({type: 'updateStatus', ref: CRONJOBS, object: {...cronJob, status}})
  return {actions, status, requeueAfterMs, ...(error ? {error} : {})}
}
