import {readFileSync} from 'node:fs'

import {OPS_CONFIGMAP} from '../../db/ops-configmap.js'
import type {KubeObject} from '../../kube/types.js'
import {packagePath} from '../../package-root.js'
import {CONTAINER_SECURITY, DATA_NAMESPACE, renderOne} from '../jobs/job-values.js'
import {type ArchiveLocation, archiveUrl, BACKUP_SERVICE_ACCOUNT, LOCAL_STORE_PROGRAM, TRANSFER_IMAGES} from '../jobs/transfer.js'

/**
 * The scheduled verification Job of one database (templates/backup/verify-job.yaml), pure. It
 * verifies the newest catalogued backup of the service, picked in the pod from the bucket's
 * catalog (verify/pick-latest.js), never a backup named at render time: the CronJob's Job is the
 * same every week. Its verdict is a verification record beside the entry, the one `backup verify`
 * writes (catalog-store.ts recordVerification), so `backup list|describe|status` read both alike.
 */
export const VERIFY_SCRIPTS_CONFIGMAP = 'mygate-backup-verify'
export const VERIFY_SCRIPTS = ['pick-latest.js', 'compare.js', 'capture.sh', 'transfer.sh'] as const
/** Where the pod keeps the picked entry, the tools' outputs and the verdict (an emptyDir). */
export const VERIFY_WORK_DIR = '/work'
export const VERIFY_SCRIPTS_DIR = '/verify'
export const VERIFY_ARCHIVE = '/backup/archive.gz'
/** The scratch mongod: the pod's own sidecar, on the loopback interface only. */
export const SCRATCH_HOST = '127.0.0.1'
export const SCRATCH_PORT = 27017
export const VERIFY_COMPONENT = 'backup-verify'

export interface VerifyJobInput {
  service: string
  /** The mongodb descriptor's name (`visitors-db`). */
  database: string
  /** The MongoDB database inside it (`visitors`). */
  dbName: string
  image: string
  /** The region's bucket (the key is ignored: the pod decides which object it reads). */
  store: Omit<ArchiveLocation, 'key'>
  /** emptyDir size limits of the downloaded archive and of the scratch mongod's data. */
  sizeLimit: string
}

export function verifyJobLabels(database: string): Record<string, string> {
  return {'app.kubernetes.io/component': VERIFY_COMPONENT, 'app.kubernetes.io/managed-by': 'mygate', 'mygate.dev/database': database, 'mygate.dev/op': 'verify-scheduled'}
}

export function renderVerifyJob(input: VerifyJobInput): KubeObject {
  const prefix = archiveUrl({...input.store, key: ''})
  const params = JSON.stringify({service: input.service, workDir: VERIFY_WORK_DIR, archive: VERIFY_ARCHIVE})
  const script = (name: string) => `${VERIFY_SCRIPTS_DIR}/${name}`
  const capture = (out: string, command: string[]) => ['sh', script('capture.sh'), `${VERIFY_WORK_DIR}/${out}`, ...command]
  return renderOne('verify-job.yaml', {
    namespace: DATA_NAMESPACE,
    job: {name: `${input.database}-verify`, labels: verifyJobLabels(input.database)},
    backup: {sizeLimit: input.sizeLimit, scratchSizeLimit: input.sizeLimit},
    database: {image: input.image},
    transfer: {
      image: TRANSFER_IMAGES[input.store.provider],
      serviceAccount: BACKUP_SERVICE_ACCOUNT,
      catalog: catalogCommand(input.store, input.service),
      download: ['sh', script('transfer.sh'), 'get', `${VERIFY_WORK_DIR}/archive.key`, VERIFY_ARCHIVE, prefix, ...copyCommand(input.store, 'get')],
      upload: ['sh', script('transfer.sh'), 'put', `${VERIFY_WORK_DIR}/verdict.key`, `${VERIFY_WORK_DIR}/verdict.json`, prefix, ...copyCommand(input.store, 'put')],
    },
    verify: {params, configMap: VERIFY_SCRIPTS_CONFIGMAP, opsConfigMap: OPS_CONFIGMAP},
    restore: {command: capture('restore', ['mongorestore', `--host=${SCRATCH_HOST}`, `--port=${SCRATCH_PORT}`, '--gzip', `--archive=${VERIFY_ARCHIVE}`, '--oplogReplay', '--stopOnError'])},
    hashes: {
      command: capture('hashes', ['mongosh', `mongodb://${SCRATCH_HOST}:${SCRATCH_PORT}/?directConnection=true`, '--quiet', '--norc', '--file', '/ops/hashes.js']),
      params: JSON.stringify({database: input.dbName}),
    },
    containerSecurity: CONTAINER_SECURITY,
  })
}

/**
 * Copies the service's catalog entries (entry.json only, never the archives) to WORK/catalog/ID/,
 * with each provider's own sync: `aws s3 sync` with include/exclude filters, `gcloud storage
 * rsync` with an exclusion regex over relative paths.
 */
function catalogCommand(store: VerifyJobInput['store'], service: string): string[] {
  const source = archiveUrl({...store, key: `backups/${service}/base/`})
  const target = `${VERIFY_WORK_DIR}/catalog/`
  switch (store.provider) {
    case 'aws':
      return ['aws', 's3', 'sync', source, target, '--exclude', '*', '--include', '*/entry.json', '--only-show-errors']
    case 'gcp':
      return ['gcloud', 'storage', 'rsync', source, target, '--recursive', '--exclude=^(?!.*entry\\.json$).*']
    case 'local':
      return [LOCAL_STORE_PROGRAM, 'sync', source, target, '--include=*/entry.json']
  }
}

/** The copy command without its source and destination (transfer.sh appends them). */
function copyCommand(store: VerifyJobInput['store'], direction: 'get' | 'put'): string[] {
  switch (store.provider) {
    case 'aws': {
      const encryption = store.encryptionKey ? ['--sse', 'aws:kms', '--sse-kms-key-id', store.encryptionKey] : ['--sse', 'aws:kms']
      return ['aws', 's3', 'cp', ...(direction === 'put' ? encryption : []), '--only-show-errors']
    }
    case 'gcp':
      return ['gcloud', 'storage', 'cp', ...(direction === 'put' && store.encryptionKey ? [`--encryption-key=${store.encryptionKey}`] : [])]
    case 'local':
      return [LOCAL_STORE_PROGRAM, direction]
  }
}

/** The shipped scripts, byte for byte (read once). */
let scripts: Record<string, string> | undefined
export function verifyScripts(): Record<string, string> {
  scripts ??= Object.fromEntries(VERIFY_SCRIPTS.map((name) => [name, readFileSync(packagePath('templates', 'backup', 'verify', name), 'utf8')]))
  return scripts
}

/** The ConfigMap the verification Jobs mount at /verify. */
export function renderVerifyScriptsConfigMap(): KubeObject {
  return renderOne('verify-scripts-configmap.yaml', {name: VERIFY_SCRIPTS_CONFIGMAP, namespace: DATA_NAMESPACE, labels: {'app.kubernetes.io/component': VERIFY_COMPONENT, 'app.kubernetes.io/managed-by': 'mygate'}, scripts: verifyScripts()})
}
