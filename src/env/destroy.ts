import {rm} from 'node:fs/promises'

import {NAMESPACES, type EnvironmentSpec} from '../config/types.js'
import {mygateHome} from '../home.js'
import type {KubeApi} from '../kube/api.js'
import type {ClusterProvider, DestroyReport} from '../providers/types.js'
import {removeTrafficRecords} from '../traffic-dns/entry-points.js'
import {removeMemberNames} from './member-names.js'
import {Phase, PhaseTiming, runPhases} from '../ui/progress.js'
import {cachedKubeconfigPath, connectEnvironment, EnvironmentConnection} from './connect.js'
import {environmentFromKubeconfig} from './kubeconfig-extension.js'
import {writeRecord} from './record.js'

/** The `--json` result of `mygate env destroy`. */
export interface DestroyEnvironmentResult {
  environment: string
  provider: string
  removed: string[]
  leftBehind: Array<{resource: string; reason: string}>
  /** Deliberately not removed (a user-owned cluster of provider kubeconfig). */
  kept: Array<{resource: string; reason: string}>
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
  /** Also delete the backup buckets and (scheduled) their keys; by default they are kept. */
  deleteBackups?: boolean
}

/** What destroy must know of an environment: its spec, and clients for the regions that answer. */
interface Target {
  spec: EnvironmentSpec
  connection?: EnvironmentConnection
}

/**
 * Finds the environment to destroy: from its record in the cluster when one answers, otherwise
 * from the spec its cached kubeconfig carries (a stopped local control plane, an unreachable or
 * infra-only cloud cluster), so its clusters can still be removed.
 */
async function findTarget(name: string, home: string): Promise<Target> {
  const cached = await environmentFromKubeconfig(cachedKubeconfigPath(name, home))
  if (cached?.infraOnly) return {spec: cached.spec}
  try {
    const connection = await connectEnvironment(name, {home, tolerateUnreachable: true, timeoutMs: 10_000})
    return {spec: connection.record.spec, connection}
  } catch (error) {
    if (!cached) throw error
    return {spec: cached.spec}
  }
}

async function deleteNamespaces(client: KubeApi, namespaces: string[], timeoutMs: number): Promise<void> {
  for (const namespace of namespaces) await client.delete({apiVersion: 'v1', kind: 'Namespace', name: namespace})
  const deadline = Date.now() + timeoutMs
  const path = await client.pathFor({apiVersion: 'v1', kind: 'Namespace'})
  // Namespaces finish terminating asynchronously. Watch each from the version just read, so a
  // deletion that lands between the read and the watch is still delivered (no polling, no race).
  for (const namespace of namespaces) {
    const current = await client.get('v1', 'Namespace', namespace)
    if (!current) continue
    let gone = false
    const watch = client.watch(
      path,
      {fieldSelector: `metadata.name=${namespace}`, resourceVersion: current.metadata.resourceVersion, timeoutSeconds: Math.max(1, Math.ceil((deadline - Date.now()) / 1000))},
      (event) => {
        if (event.type === 'DELETED') {
          gone = true
          watch.stop()
        }
      },
    )
    await watch.done.catch(() => undefined)
    if (!gone && (await client.get('v1', 'Namespace', namespace))) throw new Error(`namespace ${namespace} is still terminating after ${Math.round(timeoutMs / 1000)}s`)
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
  const result: DestroyEnvironmentResult = {environment: options.name, provider: target.spec.provider, removed: [], leftBehind: [], kept: [], phases: []}
  const timeoutMs = options.timeoutMs ?? 120_000
  const clients = target.connection ? [...target.connection.clients.entries()] : []

  const eachRegion = async (what: string, work: (client: KubeApi) => Promise<void>) => {
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
      // First, so no traffic is sent to an environment being torn down. The zone stays: it is the user's.
      title: 'Traffic',
      run: async () => {
        try {
          result.removed.push(...(await removeTrafficRecords(target.spec, target.connection?.record.activeRegion ?? target.spec.regions.primary, {home})))
        } catch (error) {
          result.leftBehind.push({resource: `DNS records of ${target.spec.name}`, reason: (error as Error).message})
        }
        try {
          result.removed.push(...(await removeMemberNames(target.spec)))
        } catch (error) {
          result.leftBehind.push({resource: `private zone of the member names of ${target.spec.name}`, reason: (error as Error).message})
        }
      },
    },
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
        const report: DestroyReport = await provider.destroyClusters(target.spec, ctx, {deleteBackups: options.deleteBackups})
        result.removed.push(...report.removed)
        result.leftBehind.push(...report.leftBehind)
        result.kept.push(...(report.kept ?? []))
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
