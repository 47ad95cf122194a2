import {NAMESPACES} from '../config/types.js'
import {appendToLog, readLog, type ConfigMapLog, type LogKube} from '../audit/configmap-log.js'
import type {Operator} from '../audit/identity.js'

/**
 * Who changed which Secret: ConfigMap mygate-system/mygate-secrets-audit, key `entries.json`,
 * newest last, the last {@link SECRETS_AUDIT_LIMIT} kept, in every region. An entry names the
 * Secret, the keys and where values came from; never a value, a hash of one or its length (a
 * hash of a short password can be brute-forced).
 */

export const SECRETS_AUDIT_NAME = 'mygate-secrets-audit'
export const SECRETS_AUDIT_LIMIT = 100

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

export type AuditKube = LogKube

const logOf = (environment?: string): ConfigMapLog => ({
  name: SECRETS_AUDIT_NAME,
  namespace: NAMESPACES.system,
  limit: SECRETS_AUDIT_LIMIT,
  ...(environment ? {labels: {'mygate.dev/environment': environment}} : {}),
})

export async function readSecretsAudit(client: AuditKube): Promise<SecretAuditEntry[]> {
  return readLog<SecretAuditEntry>(client, logOf())
}

export function auditEntry(fields: Omit<SecretAuditEntry, 'user' | 'host'>, operator: Operator): SecretAuditEntry {
  return {...fields, user: operator.user, host: operator.host}
}

/** Appends with optimistic concurrency: a racing writer's 409 re-reads and appends again. */
export async function recordSecretsAudit(client: AuditKube, entry: SecretAuditEntry, attempts = 5): Promise<void> {
  await appendToLog(client, logOf(entry.environment), entry, attempts)
}
