import type {KubeApi} from '../kube/api.js'
import {ROLLOUT_NAMESPACE} from '../rollout/names.js'
import {readLog, updateLog, type ConfigMapLog} from './configmap-log.js'

/**
 * The audit trail of environment-wide operations (`env sync` now; failover, restore later):
 * ConfigMap mygate-system/mygate-environment-audit, key `entries.json`, newest last, the last
 * 100 kept, written in every region given. `mygate env history NAME` shows it.
 */

export const ENVIRONMENT_AUDIT_NAME = 'mygate-environment-audit'
export const ENVIRONMENT_AUDIT_LIMIT = 100

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

const logOf = (environment?: string): ConfigMapLog => ({
  name: ENVIRONMENT_AUDIT_NAME,
  namespace: ROLLOUT_NAMESPACE,
  limit: ENVIRONMENT_AUDIT_LIMIT,
  ...(environment ? {labels: {'mygate.dev/environment': environment}} : {}),
})

export async function readEnvironmentAudit(client: KubeApi): Promise<EnvironmentAuditEntry[]> {
  return readLog<EnvironmentAuditEntry>(client, logOf())
}

/** Appends the entry (or replaces the one with its id), retrying a racing writer. */
export async function recordEnvironmentAudit(client: KubeApi, entry: EnvironmentAuditEntry, attempts = 5): Promise<void> {
  await updateLog<EnvironmentAuditEntry>(client, logOf(entry.environment), (entries) => [...entries.filter((e) => e.id !== entry.id), entry], attempts)
}
