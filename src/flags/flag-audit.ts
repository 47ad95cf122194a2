import {ConflictError} from '../errors.js'
import type {GitInfo} from '../audit/git-info.js'
import type {KubeApi} from '../kube/api.js'
import {MANAGED_BY, type KubeObject} from '../kube/types.js'
import {ROLLOUT_NAMESPACE} from '../rollout/names.js'
import type {FlagDefinition} from './types.js'

/**
 * The audit trail of an environment's flag changes: ConfigMap mygate-system/mygate-flags-audit,
 * key `entries.json`, newest last, the last FLAG_AUDIT_LIMIT kept, in every region. One entry per
 * change: who (user, host), from which git commit, the flag before and after, and why.
 */

export const FLAG_AUDIT_CONFIGMAP = 'mygate-flags-audit'
export const FLAG_AUDIT_LIMIT = 200
const KEY = 'entries.json'

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

function parse(configMap: KubeObject | undefined): FlagAuditEntry[] {
  const text = (configMap?.data as Record<string, string> | undefined)?.[KEY]
  if (!text) return []
  try {
    const parsed = JSON.parse(text) as unknown
    return Array.isArray(parsed) ? (parsed as FlagAuditEntry[]) : []
  } catch {
    return []
  }
}

export async function readFlagAudit(client: KubeApi): Promise<FlagAuditEntry[]> {
  return parse(await client.get('v1', 'ConfigMap', FLAG_AUDIT_CONFIGMAP, ROLLOUT_NAMESPACE))
}

/** Appends the entries in one cluster (retrying a racing writer). */
export async function appendFlagAudit(client: KubeApi, entries: FlagAuditEntry[], attempts = 5): Promise<void> {
  if (entries.length === 0) return
  for (let attempt = 1; ; attempt++) {
    const existing = await client.get('v1', 'ConfigMap', FLAG_AUDIT_CONFIGMAP, ROLLOUT_NAMESPACE)
    const all = [...parse(existing), ...entries].slice(-FLAG_AUDIT_LIMIT)
    const object: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: FLAG_AUDIT_CONFIGMAP,
        namespace: ROLLOUT_NAMESPACE,
        labels: {'app.kubernetes.io/managed-by': MANAGED_BY, 'mygate.dev/environment': entries[0].environment},
        ...(existing ? {resourceVersion: String(existing.metadata.resourceVersion)} : {}),
      },
      data: {[KEY]: JSON.stringify(all)},
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
