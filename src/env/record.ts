import {NAMESPACES, type EnvironmentSpec, type ProviderName} from '../config/types.js'
import type {KubeApi} from '../kube/api.js'
import {MANAGED_BY, type KubeObject} from '../kube/types.js'
import type {ClusterHandle} from '../providers/types.js'
import {parseDuration} from '../duration.js'
import {ExternalError} from '../errors.js'

/**
 * What an environment is and where it stands, stored IN the cluster(s) (ConfigMap
 * mygate-system/mygate-environment), so any machine that can reach the cluster can operate it.
 */
export interface EnvironmentRecord {
  schemaVersion: 1
  name: string
  provider: ProviderName
  spec: EnvironmentSpec
  clusters: ClusterHandle[]
  activeRegion: string
  /** Service -> deployed image tag. */
  versions: Record<string, string>
  phase: 'creating' | 'ready' | 'destroying'
  createdAt: string
  updatedAt: string
  /** When a TTL was given: the moment the environment counts as expired. */
  expiresAt?: string
}

export const RECORD_NAME = 'mygate-environment'
const RECORD_KEY = 'environment.json'

export function encodeRecord(record: EnvironmentRecord): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: RECORD_NAME,
      namespace: NAMESPACES.system,
      labels: {'app.kubernetes.io/managed-by': MANAGED_BY, 'mygate.dev/environment': record.name, 'mygate.dev/provider': record.provider},
    },
    data: {[RECORD_KEY]: JSON.stringify(record, null, 2)},
  }
}

export function decodeRecord(configMap: KubeObject): EnvironmentRecord {
  const text = (configMap.data as Record<string, string> | undefined)?.[RECORD_KEY]
  let parsed: Partial<EnvironmentRecord> | undefined
  try {
    parsed = text ? (JSON.parse(text) as Partial<EnvironmentRecord>) : undefined
  } catch {
    parsed = undefined
  }
  if (!parsed || parsed.schemaVersion !== 1 || typeof parsed.name !== 'string' || !parsed.spec) {
    throw new ExternalError(`the environment record ${NAMESPACES.system}/${RECORD_NAME} is malformed or from a newer mygate`, {
      hint: 'upgrade mygate, or recreate the environment',
    })
  }
  return parsed as EnvironmentRecord
}

export async function readRecord(client: KubeApi): Promise<EnvironmentRecord | undefined> {
  const configMap = await client.get('v1', 'ConfigMap', RECORD_NAME, NAMESPACES.system)
  return configMap ? decodeRecord(configMap) : undefined
}

export async function writeRecord(client: KubeApi, record: EnvironmentRecord): Promise<void> {
  await client.apply(encodeRecord(record))
}

/**
 * When an environment created at `createdAt` with `ttl` expires: creation time plus the TTL (the
 * same for a recorded environment and an infra-only one, whose kubeconfig carries both).
 * @example expiresAtOf('2026-12-03T10:00:00.000Z', '1s') === '2026-12-03T10:00:01.000Z'
 */
export function expiresAtOf(createdAt: string, ttl: string | undefined): string | undefined {
  return ttl === undefined ? undefined : new Date(Date.parse(createdAt) + parseDuration(ttl, '--ttl')).toISOString()
}

/** Expired when a TTL was set and has run out. */
export function isExpired(record: Pick<EnvironmentRecord, 'expiresAt'>, now: number): boolean {
  return record.expiresAt !== undefined && Date.parse(record.expiresAt) <= now
}
