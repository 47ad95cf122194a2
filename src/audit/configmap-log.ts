import {ConflictError} from '../errors.js'
import type {KubeApi} from '../kube/api.js'
import {MANAGED_BY, type KubeObject} from '../kube/types.js'

/**
 * A bounded log of JSON entries kept in one ConfigMap (key `entries.json`, newest last): the shape
 * of every trail mygate keeps in the cluster (deploy audit, secrets audit, ...), so any machine
 * reads the same history. Writes are optimistic: a racing writer's 409 re-reads and applies the
 * change again, up to `attempts` times.
 */

const KEY = 'entries.json'

export interface ConfigMapLog {
  name: string
  namespace: string
  /** Labels of the ConfigMap (managed-by is added). */
  labels?: Record<string, string>
  /** How many entries are kept (the oldest go first). */
  limit: number
}

export type LogKube = Pick<KubeApi, 'get' | 'create' | 'replace'>

/** The entries, oldest first; a missing or unreadable map is an empty log. */
export async function readLog<T>(client: LogKube, log: Pick<ConfigMapLog, 'name' | 'namespace'>): Promise<T[]> {
  return parseEntries<T>(await client.get('v1', 'ConfigMap', log.name, log.namespace))
}

/** Rewrites the log with `change(entries)` (which must be pure: it may run again after a 409). */
export async function updateLog<T>(client: LogKube, log: ConfigMapLog, change: (entries: T[]) => T[], attempts = 5): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const existing = await client.get('v1', 'ConfigMap', log.name, log.namespace)
    const entries = change(parseEntries<T>(existing)).slice(-log.limit)
    const object: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: log.name,
        namespace: log.namespace,
        labels: {'app.kubernetes.io/managed-by': MANAGED_BY, ...log.labels},
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

/** Appends one entry. */
export async function appendToLog<T>(client: LogKube, log: ConfigMapLog, entry: T, attempts = 5): Promise<void> {
  await updateLog<T>(client, log, (entries) => [...entries, entry], attempts)
}

function parseEntries<T>(configMap: KubeObject | undefined): T[] {
  const text = (configMap?.data as Record<string, string> | undefined)?.[KEY]
  if (!text) return []
  try {
    const parsed = JSON.parse(text) as unknown
    return Array.isArray(parsed) ? (parsed as T[]) : []
  } catch {
    return []
  }
}
