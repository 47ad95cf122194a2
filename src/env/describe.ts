import {NAMESPACES} from '../config/types.js'
import type {KubeApi} from '../kube/api.js'
import {deploymentStatus, statefulSetStatus} from '../kube/readiness.js'
import {connectEnvironment} from './connect.js'
import {EnvironmentRecord, isExpired} from './record.js'
import {hasManagedDns, openEnvironmentTraffic, type TrafficDescription} from '../traffic-dns/environment-traffic.js'

export interface ServiceHealth {
  name: string
  workload: string
  version: string
  replicas: number
  ready: number
  health: 'Healthy' | 'Progressing' | 'Degraded'
  message: string
}

export interface RegionDescription {
  region: string
  role: 'primary' | 'secondary'
  active: boolean
  clusterName: string
  context: string
  endpoint?: string
  reachable: boolean
  error?: string
  services: ServiceHealth[]
}

/** The `--json` result of `mygate env describe`. */
export interface EnvironmentDescription {
  name: string
  provider: string
  tier: string
  phase: string
  activeRegion: string
  createdAt: string
  expiresAt?: string
  expired: boolean
  kubeconfig: string
  versions: Record<string, string>
  regions: RegionDescription[]
  /**
   * The environment's DNS name as it answers now: mode (failover or weighted), the active
   * region(s), and each region's entry point, health, weight and whether it is withdrawn.
   * Absent when mygate manages no DNS for it (kubeconfig environments).
   */
  dns?: TrafficDescription
  /** Why the DNS records could not be read (the DNS API or the local control plane did not answer). */
  dnsError?: string
}

async function servicesIn(client: KubeApi): Promise<ServiceHealth[]> {
  const selector = 'app.kubernetes.io/managed-by=mygate'
  const [deployments, statefulSets] = await Promise.all([
    client.list('apps/v1', 'Deployment', {namespace: NAMESPACES.apps, labelSelector: selector}),
    client.list('apps/v1', 'StatefulSet', {namespace: NAMESPACES.data, labelSelector: selector}),
  ])
  const rows: ServiceHealth[] = []
  for (const item of [...statefulSets.items, ...deployments.items]) {
    const status = item.kind === 'StatefulSet' ? statefulSetStatus(item) : deploymentStatus(item)
    const s = (item.status ?? {}) as {readyReplicas?: number}
    const spec = (item.spec ?? {}) as {replicas?: number}
    rows.push({
      name: item.metadata.labels?.['app.kubernetes.io/name'] ?? String(item.metadata.name),
      workload: `${item.kind.toLowerCase()}/${item.metadata.name}`,
      version: item.metadata.labels?.['app.kubernetes.io/version'] ?? '',
      replicas: spec.replicas ?? 1,
      ready: s.readyReplicas ?? 0,
      health: status.verdict === 'succeeded' ? 'Healthy' : status.verdict === 'failed' ? 'Degraded' : 'Progressing',
      message: status.message,
    })
  }
  return rows
}

/** The DNS part of a description; a DNS API that does not answer is reported, not fatal. */
async function describeTraffic(record: EnvironmentRecord, home: string | undefined): Promise<Pick<EnvironmentDescription, 'dns' | 'dnsError'>> {
  if (!hasManagedDns(record.spec)) return {}
  try {
    const traffic = await openEnvironmentTraffic(record, {home})
    try {
      return {dns: await traffic.describe()}
    } finally {
      await traffic.close()
    }
  } catch (error) {
    return {dnsError: (error as Error).message}
  }
}

export async function describeEnvironment(name: string, options: {home?: string; now?: number} = {}): Promise<EnvironmentDescription> {
  const connection = await connectEnvironment(name, {home: options.home, tolerateUnreachable: true})
  try {
    const record: EnvironmentRecord = connection.record
    const regions = await Promise.all(
      record.clusters.map(async (cluster): Promise<RegionDescription> => {
        const base = {
          region: cluster.region,
          role: cluster.role,
          active: cluster.region === record.activeRegion,
          clusterName: cluster.clusterName,
          context: cluster.context,
          endpoint: cluster.endpoint,
        }
        try {
          return {...base, reachable: true, services: await servicesIn(connection.clients.get(cluster.region)!)}
        } catch (error) {
          return {...base, reachable: false, error: (error as Error).message, services: []}
        }
      }),
    )
    const traffic = await describeTraffic(record, options.home)
    return {
      name: record.name,
      provider: record.provider,
      tier: record.spec.tier,
      phase: record.phase,
      activeRegion: record.activeRegion,
      createdAt: record.createdAt,
      ...(record.expiresAt ? {expiresAt: record.expiresAt} : {}),
      expired: isExpired(record, options.now ?? Date.now()),
      kubeconfig: connection.kubeconfigPath,
      versions: record.versions,
      regions,
      ...traffic,
    }
  } finally {
    connection.close()
  }
}
