import type {KubeObject} from '../../kube/types.js'
import {OMIT} from '../../render/template-engine.js'
import {DATA_NAMESPACE, renderDumpJob, renderOne} from '../jobs/job-values.js'
import {renderOplogSliceJob} from '../jobs/slice-job-values.js'
import type {ArchiveLocation} from '../jobs/transfer.js'
import {databaseNameOf} from '../operations/backup-targets.js'
import {toolsSecretName} from '../operations/create-backup.js'
import {renderVerifyJob} from '../verify/verify-job.js'
import type {DatabaseSchedule, ScheduleOverride} from './schedule-plan.js'

/**
 * The CronJobs of the backup schedules (pure; templates/backup/backup-cronjob.yaml around the
 * dump and oplog slice Jobs). Each run writes under a key named after its own Job, which the
 * pod learns through the downward API (`metadata.labels['batch.kubernetes.io/job-name']`, set on
 * a Job's pods since Kubernetes 1.27) and the kubelet expands as `$(JOB_NAME)` in the command:
 *
 *   backups/SERVICE/scheduled/JOB/archive.gz            a base backup run
 *   backups/SERVICE/scheduled-oplog/JOB/slice.bson.gz   an oplog slice run
 *
 * mygate catalogs them (ingest-scheduled.ts): the entry is computed from the object alone.
 */
export const SCHEDULE_LABEL = 'mygate.dev/backup-schedule'
export const OVERRIDE_ANNOTATION = 'mygate.dev/schedule-override'
export const JOB_NAME_ENV = 'JOB_NAME'

export function scheduledBaseKey(service: string, job = `$(${JOB_NAME_ENV})`): string {
  return `backups/${service}/scheduled/${job}/archive.gz`
}

export function scheduledSliceKey(service: string, job = `$(${JOB_NAME_ENV})`): string {
  return `backups/${service}/scheduled-oplog/${job}/slice.bson.gz`
}

export function baseCronJobName(database: string): string {
  return `${database}-backup`
}

export function sliceCronJobName(database: string): string {
  return `${database}-oplog-slice`
}

export function verifyCronJobName(database: string): string {
  return `${database}-verify`
}

export interface CronJobsInput {
  schedules: DatabaseSchedule[]
  /** The active region (recorded on the CronJobs, so a listing shows where they run). */
  region: string
  locate(key: string): ArchiveLocation
  /**
   * The replica set a database's service reads now (default: the database's own): after a
   * restore's switch the restored set (src/backup/restore/live-set.ts), so scheduled base
   * backups and oplog slices dump the data the service writes, with that set's tools Secret and
   * labelled so its NetworkPolicy admits them.
   */
  setOf?(database: string): string
  image?: string
  sizeLimit?: string
}

export function renderBackupCronJobs(input: CronJobsInput): KubeObject[] {
  const out: KubeObject[] = []
  for (const s of input.schedules) {
    const set = input.setOf?.(s.database) ?? s.database
    const common = {image: input.image ?? 'mongo:7.0', database: s.database, toolsSecret: toolsSecretName(set), sizeLimit: input.sizeLimit ?? '10Gi', ...(set === s.database ? {} : {targetSet: set})}
    if (s.base) {
      const job = withJobNameEnv(renderDumpJob({...common, backupId: `${s.database}-scheduled`, location: input.locate(scheduledBaseKey(s.service))}))
      const override: ScheduleOverride | undefined = s.base.overridden ? {schedule: s.base.schedule, ...(s.base.timeZone ? {timeZone: s.base.timeZone} : {})} : undefined
      out.push(cronJob(baseCronJobName(s.database), s, 'base', s.base.schedule, s.base.timeZone, job, input.region, override))
    }
    // Twice the interval: each run overlaps the previous one, so one late run leaves no hole.
    const slice = withJobNameEnv(renderOplogSliceJob({...common, sliceId: `${s.database}-scheduled`, location: input.locate(scheduledSliceKey(s.service)), withinMs: 2 * s.slices.intervalMinutes * 60_000, sizeLimit: '1Gi'}))
    out.push(cronJob(sliceCronJobName(s.database), s, 'oplog-slice', s.slices.schedule, undefined, slice, input.region))
    // The weekly verification reads the same bucket; which backup it verifies is decided in its pod.
    const {key: _key, ...store} = input.locate('')
    const verify = renderVerifyJob({service: s.service, database: s.database, dbName: databaseNameOf(s.database), image: common.image, store, sizeLimit: common.sizeLimit})
    const verifyOverride: ScheduleOverride | undefined = s.verify.overridden ? {verifySchedule: s.verify.schedule} : undefined
    out.push(cronJob(verifyCronJobName(s.database), s, 'verify', s.verify.schedule, s.verify.timeZone, verify, input.region, verifyOverride))
  }
  return out
}

function cronJob(name: string, s: DatabaseSchedule, kind: string, schedule: string, timeZone: string | undefined, job: KubeObject, region: string, override?: ScheduleOverride): KubeObject {
  const labels = {'app.kubernetes.io/component': 'backup', 'app.kubernetes.io/managed-by': 'mygate', 'mygate.dev/database': s.database, 'mygate.dev/service': s.service, [SCHEDULE_LABEL]: kind}
  return renderOne('backup-cronjob.yaml', {
    namespace: DATA_NAMESPACE,
    cron: {
      name,
      labels,
      annotations: {'mygate.dev/region': region, ...(override ? {[OVERRIDE_ANNOTATION]: JSON.stringify(override)} : {})},
      schedule,
      timeZone: timeZone ?? OMIT,
      // A base backup or a verification may start up to an hour late (a restarted controller); a slice only within its interval.
      startingDeadlineSeconds: kind === 'oplog-slice' ? 60 : 3600,
    },
    job: {spec: job.spec},
  })
}

/** The transfer container learns its Job's name from the pod's label (downward API). */
function withJobNameEnv(job: KubeObject): KubeObject {
  const spec = (job.spec as {template: {spec: {containers: Array<{name: string; env?: unknown[]}>}}}).template.spec
  for (const container of spec.containers) {
    if (container.name !== 'transfer') continue
    container.env = [{name: JOB_NAME_ENV, valueFrom: {fieldRef: {fieldPath: "metadata.labels['batch.kubernetes.io/job-name']"}}}]
  }
  return job
}
