import type {KubeObject} from '../../kube/types.js'
import {timestamp} from '../controllers/conditions.js'
import {NODES} from '../controllers/resources.js'
import type {ObjectStore} from '../store/types.js'

export const REGION_LABEL = 'topology.kubernetes.io/region'
export const ZONE_LABEL = 'topology.kubernetes.io/zone'
export const INSTANCE_TYPE_LABEL = 'node.kubernetes.io/instance-type'
export const CAPACITY_LABEL = 'mygate.dev/capacity'
export const KUBELET_VERSION = 'v1.31.0-mygate'

export interface NodeOptions {
  clusterName: string
  region: string
  /** Defaults to REGION-a, REGION-b, REGION-c. */
  zones?: string[]
  /** Defaults to 3. */
  count?: number
  /**
   * The cluster's Pod range (kube-controller-manager's --cluster-cidr), a /16 whose /24s go to the
   * nodes; default {@link DEFAULT_POD_CIDR}. The clusters of one environment get distinct ranges,
   * so a pod of one region is told apart from the other's by its address (NetworkPolicy ipBlock).
   */
  podCidr?: string
  now: number
}

export const DEFAULT_POD_CIDR = '10.244.0.0/16'

/** The /24 of node `index` in a /16 Pod range (as the node IPAM controller hands out --node-cidr-mask-size 24). */
export function nodePodCidr(podCidr: string, index: number): string {
  const match = /^(\d+)\.(\d+)\.0\.0\/16$/.exec(podCidr)
  if (!match) throw new Error(`pod range ${podCidr} is not a /16 (A.B.0.0/16)`)
  return `${match[1]}.${match[2]}.${index}.0/24`
}

/**
 * The simulated nodes of a cluster, one per zone in turn. Every third node (and the second of
 * two) is spot capacity, so services that ask for `mygate.dev/capacity: spot` can be placed.
 * Node i gets the i-th /24 of the cluster's Pod range (10.244.i.0/24 by default) and address 172.18.0.(i+2).
 */
export function buildNodes(options: NodeOptions): KubeObject[] {
  const zones = options.zones?.length ? options.zones : ['a', 'b', 'c'].map((suffix) => `${options.region}-${suffix}`)
  const count = options.count ?? 3
  const at = timestamp(options.now)
  const podCidr = options.podCidr ?? DEFAULT_POD_CIDR
  return Array.from({length: count}, (_, i) => {
    const spot = i % 3 === 2 || (count === 2 && i === 1)
    const name = `${options.clusterName}-node-${i + 1}`
    const address = `172.18.${Math.floor((i + 2) / 256)}.${(i + 2) % 256}`
    const capacity = {cpu: '8', memory: '32Gi', pods: '250', 'ephemeral-storage': '100Gi'}
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: {
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          [REGION_LABEL]: options.region,
          [ZONE_LABEL]: zones[i % zones.length],
          [INSTANCE_TYPE_LABEL]: spot ? 'm5.xlarge-spot' : 'm5.2xlarge',
          [CAPACITY_LABEL]: spot ? 'spot' : 'on-demand',
        },
      },
      spec: {podCIDR: nodePodCidr(podCidr, i), podCIDRs: [nodePodCidr(podCidr, i)], providerID: `mygate://${options.clusterName}/${name}`},
      status: {
        capacity,
        allocatable: {...capacity, cpu: '7800m', memory: '31Gi'},
        conditions: [
          {type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available', lastHeartbeatTime: at, lastTransitionTime: at},
          {type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure', lastHeartbeatTime: at, lastTransitionTime: at},
          {type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available', lastHeartbeatTime: at, lastTransitionTime: at},
          {type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: at, lastTransitionTime: at},
        ],
        addresses: [
          {type: 'InternalIP', address},
          {type: 'Hostname', address: name},
        ],
        daemonEndpoints: {kubeletEndpoint: {Port: 10250}},
        nodeInfo: {
          machineID: name,
          systemUUID: name,
          bootID: name,
          kernelVersion: '6.1.0-mygate',
          osImage: 'MyGate simulated node',
          containerRuntimeVersion: 'simulated://1.0.0',
          kubeletVersion: KUBELET_VERSION,
          kubeProxyVersion: KUBELET_VERSION,
          operatingSystem: 'linux',
          architecture: 'amd64',
        },
      },
    }
  })
}

/** Creates the nodes that do not exist yet (a restarted daemon keeps the ones it has). */
export function ensureNodes(store: ObjectStore, nodes: readonly KubeObject[]): void {
  for (const node of nodes) {
    if (store.get(NODES, undefined, node.metadata.name as string)) continue
    const created = store.create(NODES, node)
    if (!created.status || !(created.status as {nodeInfo?: unknown}).nodeInfo) {
      store.update(NODES, {...created, status: node.status}, {subresource: 'status'})
    }
  }
}

export function nodeInternalIp(node: KubeObject): string {
  const addresses = (node.status as {addresses?: Array<{type: string; address: string}>} | undefined)?.addresses ?? []
  return addresses.find((a) => a.type === 'InternalIP')?.address ?? '172.18.0.2'
}

/**
 * The /16 Pod range the cluster's nodes were given when it was created (node specs' podCIDR is
 * immutable, so a cluster keeps its range across restarts); undefined before it has nodes.
 */
export function clusterPodCidr(store: ObjectStore): string | undefined {
  const podCidr = store.list(NODES).items.map((node) => (node.spec as {podCIDR?: string} | undefined)?.podCIDR).find((cidr) => cidr !== undefined)
  const match = podCidr ? /^(\d+)\.(\d+)\.\d+\.0\/24$/.exec(podCidr) : null
  return match ? `${match[1]}.${match[2]}.0.0/16` : undefined
}
