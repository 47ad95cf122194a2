import {mygateHome} from '../home.js'
import {daemonStatus, ensureCluster, ensureDaemon, stopDaemon} from './control-client.js'
import {localPaths} from '../local-cluster/daemon/paths.js'
import type {ClusterInfo} from '../local-cluster/daemon/protocol.js'

/** What `mygate local start|status` report (the --json result). */
export interface LocalStatus {
  running: boolean
  pid?: number
  startedAt?: string
  /** Whether this call started the daemon (start only). */
  started?: boolean
  home: string
  kubeconfig: string
  clusters: ClusterInfo[]
  /** The kubectl line to use against the first cluster. */
  kubectlHint?: string
  /** With `local start --merge-kubeconfig`: the user kubeconfig the contexts were added to. */
  mergedInto?: string
}

/** The cluster `mygate local start` makes when there is none yet, for plain kubectl use. */
export const DEFAULT_LOCAL_CLUSTER = {name: 'default', region: 'local-1'}

function kubectlHint(kubeconfig: string, clusters: ClusterInfo[]): string | undefined {
  return clusters.length > 0 ? `kubectl --kubeconfig ${kubeconfig} get nodes` : undefined
}

/** Starts the daemon if needed (idempotent) and makes sure at least one cluster exists. */
export async function startLocal(options: {home?: string} = {}): Promise<LocalStatus> {
  const home = options.home ?? mygateHome()
  const {started} = await ensureDaemon(home)
  let status = await daemonStatus(home)
  if (status && status.clusters.length === 0) {
    await ensureCluster(home, DEFAULT_LOCAL_CLUSTER.name, DEFAULT_LOCAL_CLUSTER.region)
    status = await daemonStatus(home)
  }
  const clusters = status?.clusters ?? []
  return {
    running: true,
    started,
    pid: status?.pid,
    startedAt: status?.startedAt,
    home,
    kubeconfig: localPaths(home).kubeconfig,
    clusters,
    kubectlHint: kubectlHint(localPaths(home).kubeconfig, clusters),
  }
}

export async function localStatus(options: {home?: string} = {}): Promise<LocalStatus> {
  const home = options.home ?? mygateHome()
  const status = await daemonStatus(home)
  const kubeconfig = localPaths(home).kubeconfig
  if (!status) return {running: false, home, kubeconfig, clusters: []}
  return {running: true, pid: status.pid, startedAt: status.startedAt, home, kubeconfig, clusters: status.clusters, kubectlHint: kubectlHint(kubeconfig, status.clusters)}
}

export async function stopLocal(options: {home?: string} = {}): Promise<{stopped: boolean; home: string}> {
  const home = options.home ?? mygateHome()
  return {stopped: await stopDaemon(home), home}
}
