import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {parse} from 'yaml'

import {NotFoundError} from '../errors.js'
import {mygateHome} from '../home.js'
import {KubeClient} from '../kube/client.js'
import {environmentKubeconfigPath} from '../providers/kubeconfig-file.js'
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
  primary: KubeClient
  close(): void
}

async function contextsOf(path: string): Promise<string[]> {
  const doc = parse(await readFile(path, 'utf8')) as {contexts?: Array<{name: string}>} | null
  return (doc?.contexts ?? []).map((c) => c.name)
}

/**
 * Connects to an existing environment through its cached kubeconfig and reads its record from
 * the cluster (the source of truth). A region whose cluster is unreachable is skipped when
 * `tolerateUnreachable` is set (failover and destroy need that), otherwise it is an error.
 */
export async function connectEnvironment(
  envName: string,
  options: {home?: string; tolerateUnreachable?: boolean; timeoutMs?: number} = {},
): Promise<EnvironmentConnection> {
  const kubeconfigPath = cachedKubeconfigPath(envName, options.home)
  if (!existsSync(kubeconfigPath)) {
    throw new NotFoundError(`environment "${envName}" not found`, {hint: `see \`mygate env list\`, or create it with \`mygate env create ${envName}\``})
  }
  const contexts = await contextsOf(kubeconfigPath)
  let record: EnvironmentRecord | undefined
  let lastError: unknown
  const opened: KubeClient[] = []
  for (const context of contexts) {
    const client = await KubeClient.connect({kubeconfigPath, context}, {timeoutMs: options.timeoutMs})
    opened.push(client)
    try {
      record = await readRecord(client)
      if (record) break
    } catch (error) {
      lastError = error
      if (!options.tolerateUnreachable) break
    }
  }
  if (!record) {
    for (const c of opened) c.close()
    if (lastError) throw lastError
    throw new NotFoundError(`environment "${envName}" has no record in its cluster`, {
      hint: `it may be half-created: re-run \`mygate env create ${envName}\``,
    })
  }
  for (const c of opened) c.close()
  const clients = new Map<string, KubeClient>()
  for (const cluster of record.clusters) clients.set(cluster.region, await KubeClient.connect({kubeconfigPath, context: cluster.context}, {timeoutMs: options.timeoutMs}))
  const primary = clients.get(record.activeRegion) ?? clients.get(record.spec.regions.primary) ?? [...clients.values()][0]
  return {record, kubeconfigPath, clients, primary, close: () => clients.forEach((c) => c.close())}
}
