import {readFile, rm} from 'node:fs/promises'
import {parse} from 'yaml'

import {NAMESPACES, type EnvironmentSpec} from '../config/types.js'
import {NotFoundError} from '../errors.js'
import {mygateHome} from '../home.js'
import type {KubeClient} from '../kube/client.js'
import {localContextName} from '../local-cluster/daemon/paths.js'
import type {ClusterProvider, DestroyReport} from '../providers/types.js'
import {Phase, PhaseTiming, runPhases} from '../ui/phases.js'
import {cachedKubeconfigPath, connectEnvironment, EnvironmentConnection} from './connect.js'
import {writeRecord} from './record.js'

/** The `--json` result of `mygate env destroy`. */
export interface DestroyEnvironmentResult {
  environment: string
  provider: string
  removed: string[]
  leftBehind: Array<{resource: string; reason: string}>
  phases: PhaseTiming[]
}

export interface DestroyEnvironmentOptions {
  name: string
  providerFor: (spec: EnvironmentSpec) => Promise<ClusterProvider>
  home?: string
  interactive: boolean
  silent?: boolean
  /** How long to wait for namespaces to finish terminating. */
  timeoutMs?: number
}

/** What destroy must know of an environment: its spec, and clients for the regions that answer. */
interface Target {
  spec: EnvironmentSpec
  connection?: EnvironmentConnection
}

/**
 * Finds the environment to destroy. When no cluster answers (a stopped local control plane, a
 * deleted cloud cluster) a local environment is still recognised from its cached kubeconfig's
 * context names, so its clusters can be removed anyway.
 */
async function findTarget(name: string, home: string): Promise<Target> {
  try {
    const connection = await connectEnvironment(name, {home, tolerateUnreachable: true})
    return {spec: connection.record.spec, connection}
  } catch (error) {
    if (error instanceof NotFoundError && !(error.message.includes('has no record'))) throw error
    const doc = parse(await readFile(cachedKubeconfigPath(name, home), 'utf8').catch(() => '')) as {contexts?: Array<{name: string}>} | null
    const prefix = localContextName(`${name}-`)
    const regions = (doc?.contexts ?? []).map((c) => c.name).filter((c) => c.startsWith(prefix)).map((c) => c.slice(prefix.length))
    if (regions.length === 0) throw error
    return {
      spec: {name, tier: 'dev', provider: 'local', regions: {primary: regions[0], ...(regions[1] ? {secondary: regions[1]} : {})}, drMode: 'warm-standby', registry: '', versions: {}, mesh: false},
    }
  }
}

async function deleteNamespaces(client: KubeClient, namespaces: string[], timeoutMs: number): Promise<void> {
  for (const namespace of namespaces) await client.delete({apiVersion: 'v1', kind: 'Namespace', name: namespace})
  const deadline = Date.now() + timeoutMs
  // Namespaces finish terminating asynchronously; wait (by watch) until they are gone.
  for (const namespace of namespaces) {
    while (await client.get('v1', 'Namespace', namespace)) {
      if (Date.now() > deadline) throw new Error(`namespace ${namespace} is still terminating`)
      const path = await client.pathFor({apiVersion: 'v1', kind: 'Namespace'})
      const watch = client.watch(path, {fieldSelector: `metadata.name=${namespace}`, timeoutSeconds: Math.max(1, Math.ceil((deadline - Date.now()) / 1000))}, (event) => {
        if (event.type === 'DELETED') watch.stop()
      })
      await watch.done.catch(() => undefined)
    }
  }
}

/**
 * Removes an environment in reverse order of creation: services, then the baseline, then the
 * clusters and node groups; reports anything it could not remove and carries on past it.
 */
export async function destroyEnvironment(options: DestroyEnvironmentOptions): Promise<DestroyEnvironmentResult> {
  const home = options.home ?? mygateHome()
  const target = await findTarget(options.name, home)
  const provider = await options.providerFor(target.spec)
  const result: DestroyEnvironmentResult = {environment: options.name, provider: target.spec.provider, removed: [], leftBehind: [], phases: []}
  const timeoutMs = options.timeoutMs ?? 120_000
  const clients = target.connection ? [...target.connection.clients.entries()] : []

  const eachRegion = async (what: string, work: (client: KubeClient) => Promise<void>) => {
    for (const [region, client] of clients) {
      try {
        await work(client)
        result.removed.push(`${what} in ${region}`)
      } catch (error) {
        result.leftBehind.push({resource: `${what} in ${region}`, reason: (error as Error).message})
      }
    }
  }

  const phases: Phase[] = [
    {
      title: 'Services',
      run: async () => {
        if (target.connection) {
          for (const client of target.connection.clients.values()) {
            await writeRecord(client, {...target.connection.record, phase: 'destroying', updatedAt: new Date().toISOString()}).catch(() => undefined)
          }
        }
        await eachRegion(`namespaces ${NAMESPACES.apps}, ${NAMESPACES.data}`, (client) => deleteNamespaces(client, [NAMESPACES.apps, NAMESPACES.data], timeoutMs))
      },
    },
    {
      title: 'Baseline',
      run: () => eachRegion(`namespace ${NAMESPACES.system}`, (client) => deleteNamespaces(client, [NAMESPACES.system], timeoutMs)),
    },
    {
      title: 'Clusters',
      run: async (ctx) => {
        const report: DestroyReport = await provider.destroyClusters(target.spec, ctx)
        result.removed.push(...report.removed)
        result.leftBehind.push(...report.leftBehind)
        await rm(cachedKubeconfigPath(options.name, home), {force: true})
        result.removed.push('cached kubeconfig')
      },
    },
  ]
  try {
    result.phases = await runPhases(phases, {interactive: options.interactive, silent: options.silent})
  } finally {
    target.connection?.close()
  }
  return result
}
