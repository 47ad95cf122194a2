import {join} from 'node:path'

/** Where the local control plane keeps its files, all under $MYGATE_HOME/local. */
export interface LocalPaths {
  dir: string
  /** Written by a running daemon: pid, control port, token. Removed on clean stop. */
  daemonFile: string
  /** Held (exclusively created) by the running daemon: a second one on the same dir is refused. */
  lockFile: string
  logFile: string
  /** The clusters the daemon hosts, so a restart brings each back on its port. */
  clustersFile: string
  /** kubeconfig with one context per local cluster. */
  kubeconfig: string
  /** The MongoDB data plane's snapshot and log (shared by the clusters). */
  dataPlaneDir: string
  /** The DNS table: environment names and the regions that answer for them. */
  dnsFile: string
  clusterDir(name: string): string
}

export function localPaths(home: string): LocalPaths {
  const dir = join(home, 'local')
  return {
    dir,
    daemonFile: join(dir, 'daemon.json'),
    lockFile: join(dir, 'daemon.lock'),
    logFile: join(dir, 'daemon.log'),
    clustersFile: join(dir, 'clusters.json'),
    kubeconfig: join(dir, 'kubeconfig.yaml'),
    dataPlaneDir: join(dir, 'data-plane'),
    dnsFile: join(dir, 'dns.json'),
    clusterDir: (name) => join(dir, 'clusters', name),
  }
}

/** Context name for a local cluster in kubeconfig files. */
export function localContextName(cluster: string): string {
  return `mygate-local-${cluster}`
}
