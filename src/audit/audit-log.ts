import type {RolloutStrategy} from '../catalog/types.js'
import type {RolloutState} from '../rollout/state.js'
import type {GitInfo} from './git-info.js'
import type {KubeApi} from '../kube/api.js'
import {readLog, updateLog, type ConfigMapLog} from './configmap-log.js'
import {AUDIT_LIMIT, auditConfigMapName, LABEL_ROLLOUT_SERVICE, ROLLOUT_NAMESPACE} from '../rollout/names.js'

/**
 * The audit trail of a service's deploys in an environment: ConfigMap
 * mygate-system/mygate-rollout-audit-SERVICE, key `entries.json`, newest last, the last
 * AUDIT_LIMIT (50) kept. One entry per deploy, written when it starts (outcome "started") and
 * updated in place when it ends, so a deploy whose CLI died still shows up.
 */

export type AuditOutcome = 'started' | 'in progress' | 'succeeded' | 'rolled back' | 'aborted' | 'failed' | 'undone'

export interface AuditEntry {
  /** The rollout id (RolloutState.id). */
  id: string
  service: string
  environment: string
  fromVersion?: string
  toVersion: string
  strategy: RolloutStrategy
  user: string
  host: string
  git?: GitInfo
  startedAt: string
  finishedAt?: string
  outcome: AuditOutcome
  /** Why it ended as it did (the rollback reason). */
  reason?: string
}

/** A rollout's audit entry as it stands; `outcome` and `reason` say how it ended (or that it started). */
export function auditEntryOf(state: RolloutState, outcome: AuditOutcome, reason?: string): AuditEntry {
  return {
    id: state.id,
    service: state.service,
    environment: state.environment,
    ...(state.fromVersion !== undefined ? {fromVersion: state.fromVersion} : {}),
    toVersion: state.toVersion,
    strategy: state.strategy,
    user: state.startedBy.user,
    host: state.startedBy.host,
    ...(state.git ? {git: state.git} : {}),
    startedAt: state.createdAt,
    ...(state.finishedAt ? {finishedAt: state.finishedAt} : {}),
    outcome,
    ...(reason ? {reason} : {}),
  }
}

const logOf = (service: string, environment?: string): ConfigMapLog => ({
  name: auditConfigMapName(service),
  namespace: ROLLOUT_NAMESPACE,
  limit: AUDIT_LIMIT,
  labels: {[LABEL_ROLLOUT_SERVICE]: service, ...(environment ? {'mygate.dev/environment': environment} : {})},
})

export async function readAudit(client: KubeApi, service: string): Promise<AuditEntry[]> {
  return readLog<AuditEntry>(client, logOf(service))
}

/** Adds the entry, or replaces the one with the same id, keeping the newest AUDIT_LIMIT. */
export async function recordAudit(client: KubeApi, entry: AuditEntry, attempts = 5): Promise<void> {
  // Two deploys of different services never share the map; a retry covers a racing undo.
  await updateLog<AuditEntry>(
    client,
    logOf(entry.service, entry.environment),
    (entries) => {
      const at = entries.findIndex((e) => e.id === entry.id)
      return at === -1 ? [...entries, entry] : entries.map((e, i) => (i === at ? {...e, ...entry} : e))
    },
    attempts,
  )
}
