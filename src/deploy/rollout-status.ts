import {cachedKubeconfigPath} from '../env/connect.js'
import {decodeRecord, RECORD_NAME, type EnvironmentRecord} from '../env/record.js'
import {NotFoundError} from '../errors.js'
import type {KubeObject} from '../kube/types.js'
import {summarizeRollout} from '../rollout/summary.js'
import {isTerminal, type RolloutState} from '../rollout/state.js'
import {holdingOf} from '../locks/lease.js'
import {contextNames, lightClientFor, readKubeconfig, type LightClient} from '../kube/light-kube.js'
import {leaseName, ROLLOUT_NAMESPACE, stateConfigMapName} from '../rollout/names.js'
import {fromConfigMap, type StoredRollout} from '../strategies/rollout-store.js'

/** What `mygate rollout status` reports. */
export interface RolloutStatus {
  service: string
  environment: string
  state: RolloutState
  /** Who drives it right now (live lease holder), if anyone. */
  drivenBy?: string
  lines: string[]
}

export function statusFrom(stored: StoredRollout, environment: string, drivenBy: string | undefined): RolloutStatus {
  const lines = summarizeRollout(stored.state)
  if (!isTerminal(stored.state)) lines.push(`driver:   ${drivenBy ?? 'nobody (run `mygate rollout resume` to continue it)'}`)
  return {service: stored.state.service, environment, state: stored.state, drivenBy, lines}
}

/**
 * `rollout status` without @kubernetes/client-node: the environment record, the rollout record and
 * the lease, read from the active region with inline kubeconfig credentials. Undefined when the
 * kubeconfig needs more (exec plugins...): the caller takes the full path.
 */
export async function quickStatus(service: string, environment: string): Promise<RolloutStatus | undefined> {
  const config = await readKubeconfig(cachedKubeconfigPath(environment))
  if (config === undefined) {
    throw new NotFoundError(`environment "${environment}" not found`, {hint: `see \`mygate env list\`, or create it with \`mygate env create ${environment}\``})
  }
  const clients = new Map<string, LightClient>()
  try {
    for (const name of contextNames(config)) {
      const client = lightClientFor(config, name)
      if (client === undefined) return undefined
      clients.set(name, client)
    }
    let record: EnvironmentRecord | undefined
    for (const client of clients.values()) {
      const object = await client.get<KubeObject>(`/api/v1/namespaces/${ROLLOUT_NAMESPACE}/configmaps/${RECORD_NAME}`).catch(() => undefined)
      if (object !== undefined) {
        record = decodeRecord(object)
        break
      }
    }
    if (record === undefined) return undefined
    const activeContext = record.clusters.find((c) => c.region === record.activeRegion)?.context
    const client = (activeContext && clients.get(activeContext)) || [...clients.values()][0]
    const [configMap, lease] = await Promise.all([
      client.get<KubeObject>(`/api/v1/namespaces/${ROLLOUT_NAMESPACE}/configmaps/${stateConfigMapName(service)}`),
      client.get<KubeObject>(`/apis/coordination.k8s.io/v1/namespaces/${ROLLOUT_NAMESPACE}/leases/${leaseName(service)}`),
    ])
    if (configMap === undefined) {
      throw new NotFoundError(`no rollout of ${service} has been recorded in ${environment}`, {
        hint: `start one with \`mygate deploy ${service} --env ${environment} --version V\``,
      })
    }
    const stored = fromConfigMap(configMap, service)
    return statusFrom(stored, record.name, isTerminal(stored.state) ? undefined : holdingOf(lease)?.holder)
  } finally {
    for (const client of clients.values()) client.close()
  }
}

/**
 * Follows the record live (a watch, no polling), calling `onUpdate` with each new version, until
 * the rollout is finished or `signal` aborts. Returns the last status.
 */
