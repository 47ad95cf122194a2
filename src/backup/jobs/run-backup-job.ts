import {OperationFailedError, TimeoutError} from '../../errors.js'
import type {KubeApi} from '../../kube/api.js'
import type {KubeObject} from '../../kube/types.js'
import {logTail} from '../../db/job-outcome.js'

/**
 * Runs one backup Job (dump, or restore into a new set) to its end: creates it unless it already
 * exists (a re-run after a kill picks the same Job up again: its name is derived from the backup
 * id), waits for its Complete or Failed condition, and on failure reads the logs of every
 * container so the error says what mongodump / mongorestore / the transfer said.
 */
export interface RunBackupJobOptions {
  /** Create -> outcome deadline (default 10 minutes: a large dump takes a while). */
  timeoutMs?: number
  pollMs?: number
  onCreated?: (job: string) => void
}

export interface BackupJobOutcome {
  job: string
  elapsedMs: number
}

export const DEFAULT_BACKUP_JOB_TIMEOUT_MS = 600_000

export async function runBackupJob(client: KubeApi, job: KubeObject, options: RunBackupJobOptions = {}): Promise<BackupJobOutcome> {
  const started = Date.now()
  const name = String(job.metadata.name)
  const namespace = String(job.metadata.namespace)
  const existing = await client.get('batch/v1', 'Job', name, namespace)
  if (!existing) await client.create(job)
  options.onCreated?.(name)
  const deadline = started + (options.timeoutMs ?? DEFAULT_BACKUP_JOB_TIMEOUT_MS)
  for (;;) {
    const current = await client.get('batch/v1', 'Job', name, namespace)
    const conditions = ((current?.status as {conditions?: Array<{type: string; status: string}>} | undefined)?.conditions ?? []).filter((c) => c.status === 'True')
    if (conditions.some((c) => c.type === 'Complete')) return {job: name, elapsedMs: Date.now() - started}
    if (conditions.some((c) => c.type === 'Failed')) {
      const why = await failureLog(client, name, namespace)
      throw new OperationFailedError(`Job ${name} failed: ${why}`, {hint: `see \`kubectl logs job/${name} -n ${namespace} --all-containers\``, details: {job: name}})
    }
    if (Date.now() > deadline) {
      throw new TimeoutError(`Job ${name} did not finish within ${Math.round((deadline - started) / 1000)}s`, {hint: `check \`kubectl describe job/${name} -n ${namespace}\`, then re-run the command (it picks the Job up again)`})
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250))
  }
}

/** The last lines the failed container wrote (init containers first: one of them may be the one that failed). */
async function failureLog(client: KubeApi, job: string, namespace: string): Promise<string> {
  const pods = await client.list('v1', 'Pod', {namespace, labelSelector: `job-name=${job}`})
  const pod = pods.items.at(-1)
  if (!pod) return 'its pod is gone'
  const spec = pod.spec as {initContainers?: Array<{name: string}>; containers: Array<{name: string}>}
  const tails: string[] = []
  for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
    const response = await client.raw('GET', `/api/v1/namespaces/${namespace}/pods/${String(pod.metadata.name)}/log`, {query: {container: container.name}, what: `read the log of ${container.name}`})
    const tail = response.status === 200 ? logTail(response.body, 2) : ''
    if (tail) tails.push(`${container.name}: ${tail}`)
  }
  // The failing container is the last one that wrote something.
  return tails.at(-1) ?? 'no log'
}
