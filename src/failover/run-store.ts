import {NAMESPACES} from '../config/types.js'
import {ExternalError} from '../errors.js'
import type {KubeApi} from '../kube/api.js'
import {MANAGED_BY, type KubeObject} from '../kube/types.js'
import type {FailoverRun} from './run-state.js'

/**
 * Failover runs in the cluster: one ConfigMap per run, mygate-system/mygate-failover-ID, labelled
 * so `failover history` lists them in one request. The executor writes the run to the TARGET
 * region after every step (the source may be gone) and copies it to the source when it answers,
 * so any machine can resume, watch or list it. One writer at a time is guaranteed by the
 * environment lock, so a plain server-side apply is enough.
 */

export const RUN_LABEL = 'mygate.dev/failover-run'
const RUN_KEY = 'run.json'

export function runConfigMapName(id: string): string {
  return `mygate-failover-${id}`
}

export function encodeRun(run: FailoverRun): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: runConfigMapName(run.id),
      namespace: NAMESPACES.system,
      labels: {'app.kubernetes.io/managed-by': MANAGED_BY, [RUN_LABEL]: run.id, 'mygate.dev/environment': run.plan.environment},
    },
    data: {[RUN_KEY]: JSON.stringify(run)},
  }
}

export function decodeRun(configMap: KubeObject): FailoverRun {
  const text = (configMap.data as Record<string, string> | undefined)?.[RUN_KEY]
  try {
    const run = JSON.parse(text ?? '') as FailoverRun
    if (run.schemaVersion === 1 && typeof run.id === 'string' && Array.isArray(run.steps)) return run
  } catch {
    // Falls through to the error below.
  }
  throw new ExternalError(`the failover record ${NAMESPACES.system}/${configMap.metadata.name} is malformed or from a newer mygate`, {hint: 'upgrade mygate'})
}

export async function writeRun(client: KubeApi, run: FailoverRun): Promise<void> {
  await client.apply(encodeRun(run))
}

/** Every run recorded in this cluster, oldest first. */
export async function listRuns(client: KubeApi): Promise<FailoverRun[]> {
  const list = await client.list('v1', 'ConfigMap', {namespace: NAMESPACES.system, labelSelector: RUN_LABEL})
  return list.items.map(decodeRun).sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.id.localeCompare(b.id))
}

/**
 * Every run found in the given regions' clusters, merged by id (the copy with more steps done
 * wins: the target's is the freshest), oldest first. Regions that do not answer are skipped and
 * named in `unreachable`.
 */
export async function collectRuns(clients: ReadonlyMap<string, KubeApi>): Promise<{runs: FailoverRun[]; unreachable: string[]}> {
  const byId = new Map<string, FailoverRun>()
  const unreachable: string[] = []
  for (const [region, client] of clients) {
    let runs: FailoverRun[]
    try {
      runs = await listRuns(client)
    } catch (error) {
      if (error instanceof ExternalError || (error as {code?: string}).code === 'TIMEOUT') {
        unreachable.push(region)
        continue
      }
      throw error
    }
    for (const run of runs) {
      const known = byId.get(run.id)
      if (known === undefined || progressOf(run) > progressOf(known)) byId.set(run.id, run)
    }
  }
  const runs = [...byId.values()].sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.id.localeCompare(b.id))
  return {runs, unreachable}
}

function progressOf(run: FailoverRun): number {
  const done = run.steps.filter((s) => s.status === 'done').length
  return done * 2 + (run.outcome === 'running' ? 0 : 1)
}
