import {readLog, updateLog, type ConfigMapLog} from '../audit/configmap-log.js'
import type {GitInfo} from '../audit/git-info.js'
import type {KubeApi} from '../kube/api.js'
import {ROLLOUT_NAMESPACE} from '../rollout/names.js'
import type {FlagDefinition} from './types.js'

/**
 * The audit trail of an environment's flag changes: ConfigMap mygate-system/mygate-flags-audit,
 * key `entries.json`, newest last, the last FLAG_AUDIT_LIMIT kept, in every region. One entry per
 * change: who (user, host), from which git commit, the flag before and after, and why.
 */

export const FLAG_AUDIT_CONFIGMAP = 'mygate-flags-audit'
export const FLAG_AUDIT_LIMIT = 200

export type FlagAction = 'set' | 'enable' | 'disable' | 'delete' | 'kill' | 'rollout-step' | 'rollout-off' | 'rollout-done' | 'create'

export interface FlagAuditEntry {
  at: string
  flag: string
  environment: string
  action: FlagAction
  user: string
  host: string
  git?: GitInfo
  /** Absent when the flag did not exist before (or no longer exists after). */
  before?: FlagDefinition
  after?: FlagDefinition
  reason?: string
  /** The flag rollout this change belongs to. */
  rolloutId?: string
}

const logOf = (environment?: string): ConfigMapLog => ({
  name: FLAG_AUDIT_CONFIGMAP,
  namespace: ROLLOUT_NAMESPACE,
  limit: FLAG_AUDIT_LIMIT,
  ...(environment ? {labels: {'mygate.dev/environment': environment}} : {}),
})

export async function readFlagAudit(client: KubeApi): Promise<FlagAuditEntry[]> {
  return readLog<FlagAuditEntry>(client, logOf())
}

/** Appends the entries in one cluster (retrying a racing writer). */
export async function appendFlagAudit(client: KubeApi, entries: FlagAuditEntry[], attempts = 5): Promise<void> {
  if (entries.length === 0) return
  await updateLog<FlagAuditEntry>(client, logOf(entries[0].environment), (existing) => [...existing, ...entries], attempts)
}
