import {randomBytes} from 'node:crypto'

import {NAMESPACES} from '../config/types.js'
import {ExternalError, TimeoutError} from '../errors.js'
import type {KubeApi, WatchHandle} from '../kube/api.js'
import type {KubeObject} from '../kube/types.js'
import {lastJsonLine, logTail, readJobPod, type PodReading} from './job-outcome.js'
import {DatabaseOperationError} from './operation-error.js'
import {type AnyDatabaseOp, type DatabaseOp, type OpParams, type OpResults, scriptFor} from './operations.js'
import {OPS_CONFIGMAP} from './ops-configmap.js'
import {renderOpsTemplate} from './ops-templates.js'

/**
 * The one way mygate runs a database operation: a Job from templates/mongodb/ops/job.yaml running
 * `mongosh --quiet --norc CONNECTION --file /ops/OP.js` (the contract: templates/mongodb/ops/README.md).
 *
 * ```ts
 * const {result, verdict} = await runDatabaseOperation(client, {
 *   database: 'billing-db', op: 'status', params: {database: 'billing'},
 *   connection: replicaSetConnection('billing-db', hosts, {readPreference: 'primaryPreferred'}),
 * })
 * result.verdict // 'healthy' | 'degraded' | 'no-primary' | 'not-initiated' (typed by op)
 * ```
 *
 * What happens, in order:
 * 1. the Job is rendered (name `dbop-DATABASE-OP-XXXXXX`, unique per run; labels
 *    `app.kubernetes.io/component=db-ops`, `mygate.dev/database`, `mygate.dev/op`) and created in
 *    mygate-data; `backoffLimit: 0`: every script is idempotent, so the CALLER re-runs when a
 *    failure is worth retrying (initiate while a member is still starting), knowing why it failed;
 * 2. its pod is followed through one watch (label `job-name=NAME`) until the container terminates,
 *    cannot start, or `timeoutMs` passes;
 * 3. the result is the JSON object on the last line of the pod's log (pods/log API), the verdict
 *    the container's termination message (< 4 KiB), the exit code the container's.
 *
 * Outcomes:
 * - exit 0 with a result line: resolves `{job, result, verdict, exitCode: 0, elapsedMs}`; the Job
 *   is deleted (propagationPolicy Background: its pod goes with it);
 * - exit non-zero: rejects with {@link DatabaseOperationError} (exit code 7) carrying the script's
 *   `codeName` and message, or the log tail when the script never ran (mongosh could not connect:
 *   `MongoServerSelectionError`); the Job is KEPT for `kubectl logs job/NAME`, and only the newest
 *   `keepFailed` (default 3) failed Jobs per database and op are kept;
 * - the pod cannot start (CreateContainerConfigError: a missing Secret or key; a bad image):
 *   rejects with DatabaseOperationError whose `reason` is the waiting reason; the Job is deleted;
 * - no outcome within `timeoutMs`: rejects with TimeoutError (exit code 5); the Job is deleted.
 * Kubernetes API failures are the client's typed errors (ExternalError, ...), as everywhere.
 *
 * The ops ConfigMap (`mygate-db-ops`, src/db/ops-configmap.ts) must exist: `env create` applies it.
 */

export interface RunOperationOptions<Op extends DatabaseOp> {
  /** The database service, e.g. `billing-db`: names the credentials Secret (`billing-db-credentials`) and labels the Job. */
  database: string
  op: Op
  /** OP_PARAMS, typed per operation. */
  params: OpParams[Op]
  /** From connection.ts: directConnection(host) or replicaSetConnection(set, hosts). No credentials. */
  connection: string
  /** The database's image, for the same mongosh as the server (default `mongo:7.0`). */
  image?: string
  /** Create -> outcome deadline (default 120 s). */
  timeoutMs?: number
  /** Failed Jobs of this database and op kept for debugging (default 3; 0 deletes every failed Job). */
  keepFailed?: number
  /** Default mygate-data. */
  namespace?: string
  /** Default: the bundled templates (or MYGATE_TEMPLATES_DIR). */
  templatesDir?: string
  /** Told the Job's name once it exists (progress lines, debugging). */
  onCreated?: (job: string) => void
}

export interface OperationOutcome<R> {
  /** The Job's name (deleted by now unless it failed). */
  job: string
  /** The script's JSON result (the last log line). */
  result: R
  /** The termination message: `status: healthy (primary HOST)`. */
  verdict: string
  exitCode: number
  elapsedMs: number
}

export const DEFAULT_OPERATION_TIMEOUT_MS = 120_000
export const DEFAULT_KEEP_FAILED = 3
export const DEFAULT_DATABASE_IMAGE = 'mongo:7.0'
export const LABEL_COMPONENT = 'app.kubernetes.io/component'
export const COMPONENT_DB_OPS = 'db-ops'
export const LABEL_DATABASE = 'mygate.dev/database'
export const LABEL_OP = 'mygate.dev/op'
/** When mygate created the Job, in milliseconds (orders kept failed Jobs). */
export const ANNOTATION_STARTED = 'mygate.dev/started-at'

/** `dbop-billing-db-status-k3x9qa`: unique per run, and never `DATABASE-...`, which would read as one of the StatefulSet's pods. */
export function operationJobName(database: string, op: AnyDatabaseOp, suffix = randomBytes(4).readUInt32BE(0).toString(36).padStart(6, '0').slice(-6)): string {
  return `dbop-${database}-${op}-${suffix}`
}

/** The Job object for one run (pure apart from reading the template). */
export async function renderOperationJob<Op extends DatabaseOp>(name: string, options: RunOperationOptions<Op>): Promise<KubeObject> {
  const timeoutSeconds = Math.ceil((options.timeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS) / 1000)
  return renderOpsTemplate(
    'job.yaml',
    {
      job: {
        name,
        labels: {
          [LABEL_COMPONENT]: COMPONENT_DB_OPS,
          [LABEL_DATABASE]: options.database,
          [LABEL_OP]: options.op,
          'app.kubernetes.io/managed-by': 'mygate',
          'app.kubernetes.io/part-of': 'mygate',
        },
        podLabels: {[LABEL_COMPONENT]: COMPONENT_DB_OPS, [LABEL_DATABASE]: options.database},
        annotations: {[ANNOTATION_STARTED]: new Date().toISOString()},
        // The kubelet's own stop, a little after mygate's deadline (which deletes the Job anyway).
        activeDeadlineSeconds: timeoutSeconds + 30,
        ttlSecondsAfterFinished: 24 * 3600,
      },
      namespace: options.namespace ?? NAMESPACES.data,
      image: options.image ?? DEFAULT_DATABASE_IMAGE,
      connection: options.connection,
      script: scriptFor(options.op),
      params: JSON.stringify(options.params),
      credentialsSecret: `${options.database}-credentials`,
      opsConfigMap: OPS_CONFIGMAP,
    },
    options.templatesDir,
  )
}

export async function runDatabaseOperation<Op extends DatabaseOp>(client: KubeApi, options: RunOperationOptions<Op>): Promise<OperationOutcome<OpResults[Op]>> {
  const name = operationJobName(options.database, options.op)
  const job = await renderOperationJob(name, options)
  return runOperationJob<OpResults[Op]>(client, job, {
    database: options.database,
    op: options.op,
    namespace: options.namespace,
    timeoutMs: options.timeoutMs,
    keepFailed: options.keepFailed,
    onCreated: options.onCreated,
    secrets: `Secret ${options.database}-credentials`,
  })
}

/** What {@link runOperationJob} needs besides the rendered Job. */
export interface OperationJobRun {
  /** The `mygate.dev/database` label value (a database, or `all` for an operation on every one). */
  database: string
  /** The `mygate.dev/op` label value. */
  op: AnyDatabaseOp
  namespace?: string
  timeoutMs?: number
  keepFailed?: number
  onCreated?: (job: string) => void
  /** The Secrets the Job reads, named in the hint when its pod cannot start. */
  secrets: string
  /** The result from the pod's log (default: the JSON object on its last line). */
  readResult?: (log: string) => Record<string, unknown> | undefined
}

/**
 * Creates a rendered operation Job and reads its outcome (the steps and outcomes described at the
 * top of this file): shared by every operation, whatever its template.
 */
export async function runOperationJob<R>(client: KubeApi, job: KubeObject, options: OperationJobRun): Promise<OperationOutcome<R>> {
  const started = Date.now()
  const namespace = options.namespace ?? NAMESPACES.data
  const timeoutMs = options.timeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS
  const name = String(job.metadata.name)
  const fields = {database: options.database, op: options.op, job: name}
  const jobRef = {apiVersion: 'batch/v1', kind: 'Job', name, namespace}
  const removeJob = () => client.delete(jobRef, {propagationPolicy: 'Background'})

  // Watch before creating, so the pod's first event cannot be missed.
  let settle!: (value: {pod: string; reading: Exclude<PodReading, {kind: 'pending'}>} | undefined) => void
  const settled = new Promise<{pod: string; reading: Exclude<PodReading, {kind: 'pending'}>} | undefined>((resolve) => (settle = resolve))
  let lastSeen = 'no pod yet'
  const podsPath = await client.pathFor({apiVersion: 'v1', kind: 'Pod', namespace})
  let watch: WatchHandle | undefined
  const timer = setTimeout(() => settle(undefined), timeoutMs)
  try {
    watch = client.watch(podsPath, {labelSelector: `job-name=${name}`, timeoutSeconds: Math.ceil(timeoutMs / 1000) + 5}, (event) => {
      if (event.type !== 'ADDED' && event.type !== 'MODIFIED') return
      const reading = readJobPod(event.object)
      const pod = String(event.object.metadata.name)
      if (reading.kind === 'pending') {
        lastSeen = `pod ${pod} ${(event.object as {status?: {phase?: string}}).status?.phase ?? 'Pending'}`
        return
      }
      settle({pod, reading})
    })
    // A watch that cannot be established at all ends the wait with its error.
    watch.done.catch((error: unknown) => settle(Promise.reject(error) as never))
    await client.create(job)
    options.onCreated?.(name)
    const outcome = await settled
    if (!outcome) {
      await removeJob()
      throw new TimeoutError(`database operation ${options.op} on ${options.database} did not finish within ${Math.round(timeoutMs / 1000)}s (Job ${name}: ${lastSeen})`, {
        hint: `check the cluster's nodes and the ${options.database} pods (\`kubectl get pods -n ${namespace}\`), then retry`,
        details: fields,
      })
    }
    if (outcome.reading.kind === 'cannot-start') {
      await removeJob()
      const {reason, message} = outcome.reading
      throw new DatabaseOperationError(`database operation ${options.op} on ${options.database} cannot start: ${reason}${message ? `: ${message}` : ''}`, {...fields, reason}, {
        hint: reason === 'CreateContainerConfigError' ? `check ${options.secrets} and ConfigMap ${OPS_CONFIGMAP} in ${namespace} (\`mygate env create\` creates them)` : 'check the database image',
      })
    }
    const {exitCode, verdict} = outcome.reading
    const log = await readLog(client, namespace, outcome.pod)
    const result = (options.readResult ?? lastJsonLine)(log)
    if (exitCode === 0 && result) {
      await removeJob()
      return {job: name, result: result as unknown as R, verdict, exitCode, elapsedMs: Date.now() - started}
    }
    await pruneFailedJobs(client, namespace, {database: options.database, op: options.op, current: name}, options.keepFailed ?? DEFAULT_KEEP_FAILED)
    const error = (result?.error ?? undefined) as {codeName?: string | null; message?: string} | undefined
    const why = error?.message ? `${error.codeName ? `${error.codeName}: ` : ''}${error.message}` : logTail(log) || verdict || `exit code ${exitCode}`
    throw new DatabaseOperationError(`database operation ${options.op} on ${options.database} failed: ${why}`, {...fields, exitCode, codeName: error?.codeName ?? undefined, result}, {
      hint: `see \`kubectl logs job/${name} -n ${namespace}\``,
    })
  } finally {
    clearTimeout(timer)
    watch?.stop()
  }
}

async function readLog(client: KubeApi, namespace: string, pod: string): Promise<string> {
  const path = `/api/v1/namespaces/${namespace}/pods/${pod}/log`
  const response = await client.raw('GET', path, {query: {container: 'op'}, what: `read the log of pod ${namespace}/${pod}`})
  if (response.status !== 200) throw new ExternalError(`cannot read the log of pod ${namespace}/${pod}: HTTP ${response.status}`, {hint: 'retry; the Job is kept'})
  return response.body
}

/** Keeps the newest `keep` finished Jobs of this database and op (the one just failed among them), deletes the rest. */
async function pruneFailedJobs(client: KubeApi, namespace: string, run: {database: string; op: AnyDatabaseOp; current: string}, keep: number): Promise<void> {
  const {database, op, current} = run
  const list = await client.list('batch/v1', 'Job', {namespace, labelSelector: `${LABEL_COMPONENT}=${COMPONENT_DB_OPS},${LABEL_DATABASE}=${database},${LABEL_OP}=${op}`})
  const finished = list.items
    .filter((job) => isFinished(job) || job.metadata.name === current)
    // creationTimestamp has whole seconds: the annotation (milliseconds) orders runs within one.
    .sort((a, b) => startedAt(b).localeCompare(startedAt(a)))
  for (const job of finished.slice(keep)) {
    await client.delete({apiVersion: 'batch/v1', kind: 'Job', name: String(job.metadata.name), namespace}, {propagationPolicy: 'Background'})
  }
}

function startedAt(job: KubeObject): string {
  return job.metadata.annotations?.[ANNOTATION_STARTED] ?? String(job.metadata.creationTimestamp ?? '')
}

function isFinished(job: KubeObject): boolean {
  const conditions = (job as {status?: {conditions?: Array<{type: string; status: string}>}}).status?.conditions ?? []
  return conditions.some((c) => (c.type === 'Failed' || c.type === 'Complete') && c.status === 'True')
}
