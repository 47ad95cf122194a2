import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {UsageError} from '../errors.js'
import {defaultTemplateDirs} from '../render/template-loader.js'
import {redisRoleData, type RedisRoleData, type RedisTopology} from './redis-topology.js'

/**
 * How a Redis pod learns its replication role (src/db/redis-topology.ts): its container runs
 * `sh /etc/redis-replication/entrypoint.sh redis-server ...`, the script and the region's role
 * coming from the `redis-replication` ConfigMap, the pod's name from the Downward API. The local
 * data plane checks the mounted script against the shipped one and applies the same decision
 * (src/local-cluster/data-plane/redis/redis-entrypoint.ts).
 */

export const REDIS_ENTRYPOINT_SCRIPT = 'entrypoint.sh'
export const REDIS_REPLICATION_MOUNT = '/etc/redis-replication'
/** The Downward API variable holding the pod's name (its StatefulSet ordinal is the last `-` part). */
export const REDIS_POD_NAME_ENV = 'REDIS_POD_NAME'

export function redisReplicationConfigMapName(service: string): string {
  return `${service}-replication`
}

/** The shipped entrypoint (templates/redis/replication/entrypoint.sh), as text. */
export async function readRedisEntrypoint(templatesDir = defaultTemplateDirs().templates): Promise<string> {
  const file = join(templatesDir, 'redis', 'replication', REDIS_ENTRYPOINT_SCRIPT)
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {hint: 'check MYGATE_TEMPLATES_DIR, or reinstall mygate', cause: error})
  }
}

/** The ConfigMap's data for `region`: the script byte for byte and the region's role. */
export function redisReplicationData(topology: RedisTopology, region: string, script: string): RedisRoleData & {[REDIS_ENTRYPOINT_SCRIPT]: string} {
  return {[REDIS_ENTRYPOINT_SCRIPT]: script, ...redisRoleData(topology, region)}
}
