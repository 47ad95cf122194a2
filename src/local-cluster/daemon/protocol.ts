/** The daemon's control API (JSON over HTTP on 127.0.0.1, token in daemon.json). */

export interface DaemonInfo {
  pid: number
  controlPort: number
  token: string
  startedAt: string
  home: string
}

import type {ApiFaultSettings} from '../api-server/index.js'

export type {ApiFaultSettings}

export interface ClusterInfo {
  name: string
  region: string
  /** The environment the cluster belongs to: its clusters reach each other's clusterset.local names. */
  clusterSet: string
  /** The cluster's Pod range: another region's NetworkPolicies see its pods' connections from it. */
  podCidr: string
  url: string
  port: number
  /** An injected region outage: the API server is not listening. */
  down: boolean
  apiFaults?: ApiFaultSettings
  objects: number
  objectsByResource: Record<string, number>
}

export interface DaemonStatus {
  pid: number
  startedAt: string
  home: string
  kubeconfig: string
  clusters: ClusterInfo[]
}

export interface ClusterRecord {
  name: string
  region: string
  port: number
  /** Absent in records written before the data plane: the cluster is its own set. */
  clusterSet?: string
  /** Absent in records written before per-region Pod ranges: 10.244.0.0/16. */
  podCidr?: string
}
