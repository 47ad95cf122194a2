import type {KubeObject} from '../../kube/types.js'
import type {StatusCause} from './api-error.js'

/**
 * Immutable ConfigMaps (GA in Kubernetes 1.21): once `immutable: true` is stored, `data`,
 * `binaryData` and `immutable` itself cannot change; only deleting and recreating the object
 * does. The causes are the API server's own (ValidateConfigMapUpdate in
 * pkg/apis/core/validation): `data: Forbidden: field is immutable when `immutable` is set`.
 * (Secrets follow the same rule upstream; not simulated yet: their stringData is folded into
 * data later in the write.)
 */
export function immutableConfigMapViolations(existing: KubeObject, next: KubeObject): StatusCause[] {
  if (existing.immutable !== true) return []
  const forbidden = (field: string): StatusCause => ({reason: 'FieldValueForbidden', message: 'Forbidden: field is immutable when `immutable` is set', field})
  const causes: StatusCause[] = []
  if (next.immutable !== true) causes.push(forbidden('immutable'))
  for (const field of ['data', 'binaryData']) {
    if (JSON.stringify(sorted(existing[field])) !== JSON.stringify(sorted(next[field]))) causes.push(forbidden(field))
  }
  return causes
}

function sorted(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value ?? {}
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
}
