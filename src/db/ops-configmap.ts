import {NAMESPACES} from '../config/types.js'
import type {KubeApi} from '../kube/api.js'
import type {KubeObject} from '../kube/types.js'
import {OPS_SCRIPTS} from './operations.js'
import {readOpsScript, renderOpsTemplate} from './ops-templates.js'

/** The ConfigMap every database Job mounts at /ops (templates/mongodb/ops/README.md). */
export const OPS_CONFIGMAP = 'mygate-db-ops'

/**
 * The `mygate-db-ops` ConfigMap: templates/mongodb/ops/configmap.yaml with the shipped scripts as
 * its data, byte for byte (the local data plane refuses a script that differs from the shipped
 * one, and on a real cluster a stale script would run old logic).
 */
export async function renderOpsConfigMap(options: {labels?: Record<string, string>; templatesDir?: string; namespace?: string} = {}): Promise<KubeObject> {
  const scripts: Record<string, string> = {}
  for (const script of OPS_SCRIPTS) scripts[script] = await readOpsScript(script, options.templatesDir)
  return renderOpsTemplate('configmap.yaml', {name: OPS_CONFIGMAP, namespace: options.namespace ?? NAMESPACES.data, labels: options.labels ?? {}, scripts}, options.templatesDir)
}

/** Applies the ConfigMap (server-side apply: a no-op when it already holds these scripts). */
export async function ensureOpsConfigMap(client: KubeApi, options: {labels?: Record<string, string>; templatesDir?: string; namespace?: string} = {}): Promise<void> {
  await client.apply(await renderOpsConfigMap(options))
}
