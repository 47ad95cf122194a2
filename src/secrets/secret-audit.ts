import {NAMESPACES} from '../config/types.js'
import {ConflictError} from '../errors.js'
import type {KubeClient} from '../kube/client.js'
import {MANAGED_BY, type KubeObject} from '../kube/types.js'
import type {Operator} from '../audit/identity.js'

/**
 * Who changed which Secret: ConfigMap mygate-system/mygate-secrets-audit, key `entries.json`,
 * newest last, the last {@link SECRETS_AUDIT_LIMIT} kept, in every region. An entry names the
 * Secret, the keys and where values came from; never a value, a hash of one or its length (a
 * hash of a short password can be brute-forced).
 */

export const SECRETS_AUDIT_NAME = 'mygate-secrets-audit'
export const SECRETS_AUDIT_LIMIT = 100
const KEY = 'entries.json'

export interface SecretAuditEntry {
  at: string
  environment: string
  action: 'set' | 'delete'
  secret: string
  keys: string[]
  source?: 'external' | 'reference'
  reference?: string
  /** Services restarted to read the new values. */
  restarted?: string[]
  user: string
  host: string
}

export type AuditKube = Pick<KubeClient, 'get' | 'create' | 'replace'>

function parseEntries(configMap: KubeObject | undefined): SecretAuditEntry[] {
  const text = (configMap?.data as Record<string, string> | undefined)?.[KEY]
  if (!text) return []
  try {
    const parsed = JSON.parse(text) as unknown
    return Array.isArray(parsed) ? (parsed as SecretAuditEntry[]) : []
  } catch {
    return []
  }
}

export async function readSecretsAudit(client: AuditKube): Promise<SecretAuditEntry[]> {
  return parseEntries(await client.get('v1', 'ConfigMap', SECRETS_AUDIT_NAME, NAMESPACES.system))
}

export function auditEntry(fields: Omit<SecretAuditEntry, 'user' | 'host'>, operator: Operator): SecretAuditEntry {
  return {...fields, user: operator.user, host: operator.host}
}

/** Appends with optimistic concurrency: a racing writer's 409 re-reads and appends again. */
export async function recordSecretsAudit(client: AuditKube, entry: SecretAuditEntry, attempts = 5): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const existing = await client.get('v1', 'ConfigMap', SECRETS_AUDIT_NAME, NAMESPACES.system)
    const entries = [...parseEntries(existing), entry].slice(-SECRETS_AUDIT_LIMIT)
    const object: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: SECRETS_AUDIT_NAME,
        namespace: NAMESPACES.system,
        labels: {'app.kubernetes.io/managed-by': MANAGED_BY, 'mygate.dev/environment': entry.environment},
        ...(existing ? {resourceVersion: String(existing.metadata.resourceVersion)} : {}),
      },
      data: {[KEY]: JSON.stringify(entries)},
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
