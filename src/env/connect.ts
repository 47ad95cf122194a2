import {existsSync} from 'node:fs'

import {NotFoundError} from '../errors.js'
import {mygateHome} from '../home.js'
import {KubeClient, type KubeClientOptions} from '../kube/client.js'
import {environmentKubeconfigPath, loadKubeconfig} from '../kube/kubeconfig/files.js'
import {EnvironmentRecord, readRecord} from './record.js'

/** Where the laptop caches an environment's kubeconfig (the only local state of an environment). */
export function cachedKubeconfigPath(envName: string, home = mygateHome()): string {
  return environmentKubeconfigPath(envName, {MYGATE_HOME: home})
}

export interface EnvironmentConnection {
  record: EnvironmentRecord
  kubeconfigPath: string
  /** region -> client; every region of the environment. */
  clients: Map<string, KubeClient>
  /** The active region's client. */
  primary: KubeClient
  /** Requests sent through every region's client so far. */
  requestCount(): number
  /** Closes every region's client (once; later calls do nothing). */
  close(): void
}

export interface ConnectOptions {
  home?: string
  /**
   * Skip a region whose cluster does not answer while looking for the record (failover, destroy,
   * list and describe need that); otherwise the first failure is the error.
   */
  tolerateUnreachable?: boolean
  /** Time limit of each request (default: the transport's). */
  timeoutMs?: number
  /** Retry settings of the clients (default: retry-policy.ts DEFAULT_RETRY). */
  retry?: KubeClientOptions['retry']
}

/**
 * Connects to an existing environment through its cached kubeconfig and reads its record from
 * the cluster (the source of truth). The kubeconfig is read once and one client is opened per
 * context, once: the record is looked for through them in turn (the first that has it wins), and
 * the same clients then serve the regions the record names. Contexts the record does not name
 * are closed at once; the rest are closed by close().
 */
export async function connectEnvironment(envName: string, options: ConnectOptions = {}): Promise<EnvironmentConnection> {
  const kubeconfigPath = cachedKubeconfigPath(envName, options.home)
  if (!existsSync(kubeconfigPath)) {
    throw new NotFoundError(`environment "${envName}" not found`, {hint: `see \`mygate env list\`, or create it with \`mygate env create ${envName}\``})
  }
  const config = await loadKubeconfig({explicit: kubeconfigPath})
  const byContext = new Map<string, KubeClient>()
  const closeAll = () => byContext.forEach((client) => client.close())
  let record: EnvironmentRecord | undefined
  try {
    let lastError: unknown
    for (const context of config.contexts.keys()) {
      const client = await KubeClient.forContext(config, context, {timeoutMs: options.timeoutMs, retry: options.retry})
      byContext.set(context, client)
      try {
        record = await readRecord(client)
        if (record) break
      } catch (error) {
        lastError = error
        if (!options.tolerateUnreachable) break
      }
    }
    if (!record) {
      if (lastError) throw lastError
      throw new NotFoundError(`environment "${envName}" has no record in its cluster`, {
        hint: `it may be half-created: re-run \`mygate env create ${envName}\``,
      })
    }
    const clients = new Map<string, KubeClient>()
    for (const cluster of record.clusters) {
      let client = byContext.get(cluster.context)
      if (!client) byContext.set(cluster.context, (client = await KubeClient.forContext(config, cluster.context, {timeoutMs: options.timeoutMs, retry: options.retry})))
      clients.set(cluster.region, client)
    }
    const used = new Set(clients.values())
    for (const [context, client] of byContext) {
      if (used.has(client)) continue
      client.close()
      byContext.delete(context)
    }
    const primary = clients.get(record.activeRegion) ?? clients.get(record.spec.regions.primary) ?? [...clients.values()][0]
    let closed = false
    return {
      record,
      kubeconfigPath,
      clients,
      primary,
      requestCount: () => [...clients.values()].reduce((n, c) => n + c.requestCount, 0),
      close() {
        if (closed) return
        closed = true
        closeAll()
      },
    }
  } catch (error) {
    closeAll()
    throw error
  }
}
