import {ConflictError} from '../errors.js'
import type {KubeApi} from '../kube/api.js'
import {MANAGED_BY, type KubeObject} from '../kube/types.js'
import {ROLLOUT_NAMESPACE} from '../rollout/names.js'

/**
 * The audit trail of environment-wide operations (`env sync` now; failover, restore later):
 * ConfigMap mygate-system/mygate-environment-audit, key `entries.json`, newest last, the last
 * 100 kept, written in every region given. `mygate env history NAME` shows it.
 */

export const ENVIRONMENT_AUDIT_NAME = 'mygate-environment-audit'
export const ENVIRONMENT_AUDIT_LIMIT = 100
const KEY = 'entries.json'

export interface EnvironmentChange {
  region: string
  kind: string
  namespace?: string
  name: string
  /** applied: drifted fields put right; created: a missing object; deleted: an undeclared object (--prune). */
  action: 'applied' | 'created' | 'deleted'
  /** The fields put right (paths only, never values). */
  fields?: string[]
}

export interface EnvironmentAuditEntry {
  id: string
  environment: string
  operation: 'sync'
  user: string
  host: string
  startedAt: string
  finishedAt: string
  outcome: 'succeeded' | 'failed'
  /** Why it failed, when it did. */
  reason?: string
  changes: EnvironmentChange[]
}

function parse(configMap: KubeObject | undefined): EnvironmentAuditEntry[] {
  const text = (configMap?.data as Record<string, string> | undefined)?.[KEY]
  if (!text) return []
  try {
    const parsed = JSON.parse(text) as unknown
    return Array.isArray(parsed) ? (parsed as EnvironmentAuditEntry[]) : []
  } catch {
    return []
  }
}

export async function readEnvironmentAudit(client: KubeApi): Promise<EnvironmentAuditEntry[]> {
  return parse(await client.get('v1', 'ConfigMap', ENVIRONMENT_AUDIT_NAME, ROLLOUT_NAMESPACE))
}

/** Appends the entry (or replaces the one with its id), retrying a racing writer. */
export async function recordEnvironmentAudit(client: KubeApi, entry: EnvironmentAuditEntry, attempts = 5): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const existing = await client.get('v1', 'ConfigMap', ENVIRONMENT_AUDIT_NAME, ROLLOUT_NAMESPACE)
    const entries = parse(existing).filter((e) => e.id !== entry.id)
    entries.push(entry)
    const object: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: ENVIRONMENT_AUDIT_NAME,
        namespace: ROLLOUT_NAMESPACE,
        labels: {'app.kubernetes.io/managed-by': MANAGED_BY, 'mygate.dev/environment': entry.environment},
        ...(existing ? {resourceVersion: String(existing.metadata.resourceVersion)} : {}),
      },
      data: {[KEY]: JSON.stringify(entries.slice(-ENVIRONMENT_AUDIT_LIMIT))},
    }
    try {
      if (existing === undefined) await client.create(object)
      else await client.replace(object)
      return
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= attempts) throw error
    }
  }
}
