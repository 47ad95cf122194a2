import {NAMESPACES} from '../config/types.js'
import type {KubeApi} from '../kube/api.js'
import type {KubeObject} from '../kube/types.js'
import type {ScriptError, StatusResult} from './operations.js'
import {OPS_CONFIGMAP} from './ops-configmap.js'
import {renderOpsTemplate} from './ops-templates.js'
import {
  ANNOTATION_STARTED,
  COMPONENT_DB_OPS,
  DEFAULT_DATABASE_IMAGE,
  LABEL_COMPONENT,
  LABEL_DATABASE,
  LABEL_OP,
  type OperationOutcome,
  operationJobName,
  runOperationJob,
} from './run-operation.js'

/**
 * The status of many replica sets in ONE Job (templates/mongodb/ops/status-all-job.yaml running
 * status-all.js with `mongosh --nodb`): a Job costs a pod start (about 0.7 s on the local control
 * plane, seconds on a real node), so `db status` of eight databases as eight Jobs could not answer
 * within a second. The script opens one connection per set from its connection string (no
 * credentials in it) and authenticates with the root credentials of that database, read from the
 * database's own Secret mounted at /credentials/DATABASE (root-username and root-password only,
 * never the key file; `optional`, so a missing Secret fails that set alone instead of keeping the
 * pod in ContainerCreating). Each set's result has status.js's shape, or `ok: false` with why.
 *
 * ```ts
 * const {result} = await runStatusAll(client, {sets: [{database: 'billing-db', connection, appDatabase: 'billing'}]})
 * result.sets[0].verdict // 'healthy' | ... ; or result.sets[0].ok === false with .error
 * ```
 */

export interface StatusAllSet {
  /** The database service (`billing-db`): its replica set and its Secret `billing-db-credentials`. */
  database: string
  /** From connection.ts (replicaSetConnection with readPreference=primaryPreferred). No credentials. */
  connection: string
  /** The application database whose collections are counted (`billing`). */
  appDatabase?: string
}

export interface StatusAllOptions {
  sets: readonly StatusAllSet[]
  /** A member lagging more than this is a problem (default 10 s). */
  maxLagSeconds?: number
  /** For mongosh (default `mongo:7.0`): any of the databases' images. */
  image?: string
  /** Create -> outcome deadline (default 30 s). */
  timeoutMs?: number
  namespace?: string
  templatesDir?: string
}

/** One set in the result: status.js's result, or why it could not be read. */
export type SetStatus = ({ok: true} & StatusResult & {name: string}) | {name: string; op: 'status'; ok: false; error: ScriptError}

export interface StatusAllResult {
  op: 'status-all'
  ok: boolean
  sets: SetStatus[]
}

export const DEFAULT_STATUS_ALL_TIMEOUT_MS = 30_000
/** Where each database's Secret is mounted in the Job (status-all.js reads DIR/DATABASE/root-username). */
export const CREDENTIALS_DIR = '/credentials'

/** The Job for one run (pure apart from reading the template). */
export async function renderStatusAllJob(name: string, options: StatusAllOptions): Promise<KubeObject> {
  const timeoutSeconds = Math.ceil((options.timeoutMs ?? DEFAULT_STATUS_ALL_TIMEOUT_MS) / 1000)
  // Volume names are DNS labels of at most 63 characters: `creds-` plus a service name fits.
  const volumeOf = (database: string) => `creds-${database}`
  const params = {
    ...(options.maxLagSeconds === undefined ? {} : {maxLagSeconds: options.maxLagSeconds}),
    sets: options.sets.map((s) => ({set: s.database, connection: s.connection, credentials: `${CREDENTIALS_DIR}/${s.database}`, ...(s.appDatabase ? {database: s.appDatabase} : {})})),
  }
  return renderOpsTemplate(
    'status-all-job.yaml',
    {
      job: {
        name,
        labels: {[LABEL_COMPONENT]: COMPONENT_DB_OPS, [LABEL_DATABASE]: 'all', [LABEL_OP]: 'status-all', 'app.kubernetes.io/managed-by': 'mygate', 'app.kubernetes.io/part-of': 'mygate'},
        podLabels: {[LABEL_COMPONENT]: COMPONENT_DB_OPS, [LABEL_DATABASE]: 'all'},
        annotations: {[ANNOTATION_STARTED]: new Date().toISOString()},
        activeDeadlineSeconds: timeoutSeconds + 30,
        ttlSecondsAfterFinished: 24 * 3600,
      },
      namespace: options.namespace ?? NAMESPACES.data,
      image: options.image ?? DEFAULT_DATABASE_IMAGE,
      params: JSON.stringify(params),
      volumeMounts: [
        {name: 'ops', mountPath: '/ops', readOnly: true},
        ...options.sets.map((s) => ({name: volumeOf(s.database), mountPath: `${CREDENTIALS_DIR}/${s.database}`, readOnly: true})),
      ],
      volumes: [
        {name: 'ops', configMap: {name: OPS_CONFIGMAP}},
        ...options.sets.map((s) => ({
          name: volumeOf(s.database),
          secret: {
            secretName: `${s.database}-credentials`,
            items: [
              {key: 'root-username', path: 'root-username'},
              {key: 'root-password', path: 'root-password'},
            ],
            // 0440 (YAML 1.2 has no leading-zero octal): owner root, group fsGroup 999 reads.
            defaultMode: 0o440,
            optional: true,
          },
        })),
      ],
    },
    options.templatesDir,
  )
}

export async function runStatusAll(client: KubeApi, options: StatusAllOptions): Promise<OperationOutcome<StatusAllResult>> {
  if (options.sets.length === 0) throw new Error('runStatusAll needs at least one replica set')
  const name = operationJobName('all', 'status-all')
  const job = await renderStatusAllJob(name, options)
  return runOperationJob<StatusAllResult>(client, job, {
    database: 'all',
    op: 'status-all',
    namespace: options.namespace,
    timeoutMs: options.timeoutMs ?? DEFAULT_STATUS_ALL_TIMEOUT_MS,
    keepFailed: 1,
    secrets: `the Secrets ${options.sets.map((s) => `${s.database}-credentials`).join(', ')}`,
  })
}
