import {NAMESPACES} from '../../config/types.js'
import {ExternalError} from '../../errors.js'
import type {KubeApi} from '../../kube/api.js'
import {MANAGED_BY, type KubeObject} from '../../kube/types.js'
import type {RestoreRun} from './restore-run.js'

/**
 * A service's restore run in the cluster: one ConfigMap per service,
 * mygate-system/mygate-restore-SERVICE, in the environment's active region (where the restored set
 * and the backups are), written before and after every step, so a re-run on any machine reads
 * where the last one stopped. One writer at a time is guaranteed by the environment lock, so a
 * plain server-side apply is enough (the pattern of src/failover/run-store.ts). It holds no secret
 * value: the switch rebuilds connection strings from the sets' credentials Secrets.
 */

export const RESTORE_RUN_LABEL = 'mygate.dev/restore-run'
const RUN_KEY = 'run.json'

export function restoreConfigMapName(service: string): string {
  return `mygate-restore-${service}`
}

export function encodeRestoreRun(run: RestoreRun): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: restoreConfigMapName(run.request.service),
      namespace: NAMESPACES.system,
      labels: {'app.kubernetes.io/managed-by': MANAGED_BY, [RESTORE_RUN_LABEL]: run.id, 'mygate.dev/environment': run.request.environment, 'mygate.dev/service': run.request.service},
    },
    data: {[RUN_KEY]: JSON.stringify(run)},
  }
}

export function decodeRestoreRun(configMap: KubeObject): RestoreRun {
  const text = (configMap.data as Record<string, string> | undefined)?.[RUN_KEY]
  try {
    const run = JSON.parse(text ?? '') as RestoreRun
    if (run.schemaVersion === 1 && typeof run.id === 'string' && Array.isArray(run.steps) && typeof run.request?.service === 'string') return run
  } catch {
    // Falls through to the error below.
  }
  throw new ExternalError(`the restore record ${NAMESPACES.system}/${configMap.metadata.name} is malformed or from a newer mygate`, {hint: 'upgrade mygate'})
}

export async function readRestoreRun(client: KubeApi, service: string): Promise<RestoreRun | undefined> {
  const configMap = await client.get('v1', 'ConfigMap', restoreConfigMapName(service), NAMESPACES.system)
  return configMap ? decodeRestoreRun(configMap) : undefined
}

export async function writeRestoreRun(client: KubeApi, run: RestoreRun): Promise<void> {
  await client.apply(encodeRestoreRun(run))
}

/** An abandoned run leaves nothing behind. */
export async function deleteRestoreRun(client: KubeApi, service: string): Promise<void> {
  await client.delete({apiVersion: 'v1', kind: 'ConfigMap', name: restoreConfigMapName(service), namespace: NAMESPACES.system})
}
