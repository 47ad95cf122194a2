import {ConflictError} from '../errors.js'
import {MANAGED_BY, type KubeObject} from '../kube/types.js'
import type {RolloutStrategy} from '../catalog/types.js'
import type {RolloutState} from '../rollout/state.js'
import type {GitInfo} from './git-info.js'
import type {KubeApi} from '../kube/api.js'
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

const KEY = 'entries.json'

function parseEntries(configMap: KubeObject | undefined): AuditEntry[] {
  const text = (configMap?.data as Record<string, string> | undefined)?.[KEY]
  if (!text) return []
  try {
    const parsed = JSON.parse(text) as unknown
    return Array.isArray(parsed) ? (parsed as AuditEntry[]) : []
  } catch {
    return []
  }
}

export async function readAudit(client: KubeApi, service: string): Promise<AuditEntry[]> {
  return parseEntries(await client.get('v1', 'ConfigMap', auditConfigMapName(service), ROLLOUT_NAMESPACE))
}

/** Adds the entry, or replaces the one with the same id, keeping the newest AUDIT_LIMIT. */
export async function recordAudit(client: KubeApi, entry: AuditEntry, attempts = 5): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const existing = await client.get('v1', 'ConfigMap', auditConfigMapName(entry.service), ROLLOUT_NAMESPACE)
    const entries = parseEntries(existing)
    const at = entries.findIndex((e) => e.id === entry.id)
    if (at === -1) entries.push(entry)
    else entries[at] = {...entries[at], ...entry}
    const object: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: auditConfigMapName(entry.service),
        namespace: ROLLOUT_NAMESPACE,
        labels: {'app.kubernetes.io/managed-by': MANAGED_BY, [LABEL_ROLLOUT_SERVICE]: entry.service, 'mygate.dev/environment': entry.environment},
        ...(existing ? {resourceVersion: String(existing.metadata.resourceVersion)} : {}),
      },
      data: {[KEY]: JSON.stringify(entries.slice(-AUDIT_LIMIT))},
    }
    try {
      if (existing === undefined) await client.create(object)
      else await client.replace(object)
      return
    } catch (error) {
      // Two deploys of different services never share the map; a retry covers a racing undo.
      if (!(error instanceof ConflictError) || attempt >= attempts) throw error
    }
  }
}
