import {readFileSync} from 'node:fs'

import type {KubeObject} from '../../kube/types.js'
import {packagePath} from '../../package-root.js'
import {type CompiledTemplate, compileTemplate, renderTemplate} from '../../render/template-engine.js'
import {type ArchiveLocation, archiveUrl, transferContainer} from './transfer.js'

/**
 * The dump and restore Jobs, rendered from templates/backup/ (plain YAML, values placed into the
 * parsed structure). Pure: the same inputs give the same objects, so `--dry-run` prints them and
 * tests assert on them without a cluster.
 */

export const DATA_NAMESPACE = 'mygate-data'
/** Where the archive sits inside the Job's pod (an emptyDir shared by the two containers). */
export const ARCHIVE_DIR = '/backup'
export const ARCHIVE_FILE = 'archive.gz'
/** mongo-tools read the connection string (credentials included) from this Secret file. */
export const TOOLS_CONFIG_PATH = '/etc/mongo-tools/config.yaml'

export const CONTAINER_SECURITY = {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: {drop: ['ALL']}}

export interface DumpJobInput {
  backupId: string
  /** The mongodb descriptor's name (`visitors-db`). */
  database: string
  /** The database's own image (`mongo:7.0`): the same tools as the server. */
  image: string
  /** Secret holding `config.yaml` (uri: mongodb://USER:PASSWORD@HOSTS/?replicaSet=...). */
  toolsSecret: string
  location: ArchiveLocation
  /** emptyDir size limit (a Kubernetes quantity), from the database's storage. */
  sizeLimit: string
  /**
   * The replica set dumped when it is not the descriptor's own (a restored set the service was
   * switched to): its NetworkPolicy admits backup pods labelled with it (restored-set.ts).
   */
  targetSet?: string
}

export interface RestoreJobInput extends Omit<DumpJobInput, 'toolsSecret'> {
  /** The replica set restored into (never the live one). */
  targetSet: string
  /** Secret holding the target set's `config.yaml`. */
  targetToolsSecret: string
  /** mongorestore --oplogLimit SECONDS:ORDINAL (exclusive), when restoring to a point in time. */
  oplogLimit?: string
  /** Distinguishes runs (verify and restore of the same backup): part of the Job's name. */
  purpose: 'verify' | 'restore'
  /** Where the target set lives (default mygate-data; `backup verify` uses a scratch namespace). */
  namespace?: string
  /**
   * Oplog slices to replay after the archive's own oplog, oldest first (a point-in-time plan's
   * `slices`): each is downloaded and replayed by its own mongorestore run, all up to oplogLimit.
   */
  slices?: Array<{location: ArchiveLocation}>
  /**
   * A restore from another environment's backup: the Job ends with the app-user container
   * (templates/backup/app-user-container.yaml), which makes the user of this Secret (mygate-data,
   * root-username/root-password: this environment's database credentials) the restored set's
   * application user and drops the users the archive brought.
   */
  appUser?: {secret: string; setCredentialsSecret: string; connection: string; opsConfigMap: string}
}

/** Where the app-user container reads the two credentials (Secret volume directories). */
export const APP_USER_DIRS = {set: '/credentials/set', app: '/credentials/app'} as const

export function dumpJobName(backupId: string): string {
  return `${backupId}-dump`.slice(0, 63)
}

export function restoreJobName(backupId: string, purpose: string, targetSet: string): string {
  const suffix = targetSet.slice(-5)
  return `${backupId}-${purpose}-${suffix}`.slice(0, 63).replace(/-+$/, '')
}

export function renderDumpJob(input: DumpJobInput): KubeObject {
  const path = `${ARCHIVE_DIR}/${ARCHIVE_FILE}`
  return renderOne('dump-job.yaml', {
    namespace: DATA_NAMESPACE,
    job: {name: dumpJobName(input.backupId), labels: {...jobLabels(input.database, 'dump', input.backupId), ...(input.targetSet ? {'mygate.dev/target-set': input.targetSet} : {})}},
    backup: {id: input.backupId, file: ARCHIVE_FILE, archiveUrl: archiveUrl(input.location), sizeLimit: input.sizeLimit},
    database: {image: input.image, toolsSecret: input.toolsSecret},
    transfer: transferContainer(input.location, path),
    containerSecurity: CONTAINER_SECURITY,
  })
}

/** The mongorestore command line: replay the archive's oplog, up to the limit when one is given. */
export function restoreArgs(oplogLimit?: string): string[] {
  return [`--config=${TOOLS_CONFIG_PATH}`, '--gzip', `--archive=${ARCHIVE_DIR}/${ARCHIVE_FILE}`, '--oplogReplay', ...(oplogLimit ? [`--oplogLimit=${oplogLimit}`] : []), '--stopOnError']
}

/** Where slice N (1-based) of a restore sits inside the pod. */
export function sliceFile(n: number): string {
  return `${ARCHIVE_DIR}/slices/${String(n).padStart(3, '0')}.bson.gz`
}

/** An empty directory mongorestore gets as --dir when it replays only an --oplogFile. */
export const REPLAY_ROOT = '/replay-root'

/** One slice's mongorestore run: that oplog file only, up to the same exclusive limit. */
export function replayArgs(file: string, oplogLimit?: string): string[] {
  return [`--config=${TOOLS_CONFIG_PATH}`, '--oplogReplay', `--oplogFile=${file}`, '--gzip', ...(oplogLimit ? [`--oplogLimit=${oplogLimit}`] : []), `--dir=${REPLAY_ROOT}`]
}

/**
 * The restore Job. Without slices: download (init), then mongorestore of the archive. With N
 * slices the pod runs everything in order, as init containers do (main containers would run at
 * once): the archive's download and the slices' downloads, mongorestore of the archive, the
 * replays of slices 1..N-1; the replay of slice N is the main container, whose end is the Job's.
 */
export function renderRestoreJob(input: RestoreJobInput): KubeObject {
  const job = withSlices(renderBaseRestoreJob(input), input)
  return input.appUser ? withAppUser(job, input, input.appUser) : job
}

/**
 * The app-user container last: everything before it runs as init containers, in order (a failed
 * restore never reaches it), and its end is the Job's.
 */
function withAppUser(job: KubeObject, input: RestoreJobInput, appUser: NonNullable<RestoreJobInput['appUser']>): KubeObject {
  const spec = (job.spec as {template: {spec: {initContainers: unknown[]; containers: unknown[]; volumes: unknown[]}}}).template.spec
  const parts = renderOne('app-user-container.yaml', {
    database: {image: input.image},
    params: JSON.stringify({connection: appUser.connection, credentials: APP_USER_DIRS.set, appUser: APP_USER_DIRS.app}),
    containerSecurity: CONTAINER_SECURITY,
    opsConfigMap: appUser.opsConfigMap,
    setCredentialsSecret: appUser.setCredentialsSecret,
    appUserSecret: appUser.secret,
  }) as unknown as {container: unknown; volumes: unknown[]}
  spec.initContainers = [...spec.initContainers, ...spec.containers]
  spec.containers = [parts.container]
  spec.volumes = [...spec.volumes, ...parts.volumes]
  return job
}

function withSlices(job: KubeObject, input: RestoreJobInput): KubeObject {
  const slices = input.slices ?? []
  if (slices.length === 0) return job
  const spec = (job.spec as {template: {spec: {initContainers: unknown[]; containers: unknown[]; volumes: unknown[]}}}).template.spec
  const downloads: unknown[] = []
  const replays: unknown[] = []
  slices.forEach((slice, index) => {
    const n = index + 1
    const file = sliceFile(n)
    const pair = renderOne('oplog-replay-containers.yaml', {
      download: {name: `transfer-slice-${n}`},
      replay: {name: `replay-${n}`, args: replayArgs(file, input.oplogLimit)},
      database: {image: input.image},
      transfer: transferContainer(slice.location, file),
      containerSecurity: CONTAINER_SECURITY,
    }) as unknown as {download: unknown; replay: unknown}
    downloads.push(pair.download)
    replays.push(pair.replay)
  })
  spec.initContainers = [...spec.initContainers, ...downloads, ...spec.containers, ...replays.slice(0, -1)]
  spec.containers = replays.slice(-1)
  spec.volumes = [...spec.volumes, {name: 'replay-root', emptyDir: {sizeLimit: '1Mi'}}]
  return job
}

function renderBaseRestoreJob(input: RestoreJobInput): KubeObject {
  const path = `${ARCHIVE_DIR}/${ARCHIVE_FILE}`
  return renderOne('restore-job.yaml', {
    namespace: input.namespace ?? DATA_NAMESPACE,
    job: {name: restoreJobName(input.backupId, input.purpose, input.targetSet), labels: {...jobLabels(input.database, input.purpose, input.backupId), 'mygate.dev/target-set': input.targetSet}},
    backup: {id: input.backupId, archiveUrl: archiveUrl(input.location), sizeLimit: input.sizeLimit},
    database: {image: input.image},
    target: {toolsSecret: input.targetToolsSecret},
    restore: {args: restoreArgs(input.oplogLimit)},
    transfer: transferContainer(input.location, path),
    containerSecurity: CONTAINER_SECURITY,
  })
}

export function jobLabels(database: string, op: string, backupId: string): Record<string, string> {
  return {'app.kubernetes.io/component': 'backup', 'app.kubernetes.io/managed-by': 'mygate', 'mygate.dev/database': database, 'mygate.dev/op': op, 'mygate.dev/backup-id': backupId}
}

const compiled = new Map<string, CompiledTemplate>()

/** Renders one template of templates/backup/ (compiled once). */
export function renderOne(file: string, context: Record<string, unknown>): KubeObject {
  let template = compiled.get(file)
  if (!template) {
    const path = packagePath('templates', 'backup', file)
    compiled.set(file, (template = compileTemplate(readFileSync(path, 'utf8'), `templates/backup/${file}`)))
  }
  const [object] = renderTemplate(template, context)
  return object as KubeObject
}
