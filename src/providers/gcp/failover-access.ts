import type {EnvironmentSpec} from '../../config/types.js'
import type {CloudAccessOptions, CloudFailoverAccess} from '../cloud-failover.js'
import {planGcpNetwork, regionOfLocation} from './address-plan.js'
import {type AuthorizedRequest, DEFAULT_COMPUTE_ENDPOINT, createComputeClient} from './compute.js'
import {closeGcpFence, denyFirewallPart, openGcpFence, planGcpFence} from './fence.js'
import {gkeClusterName, resolveProject} from './names.js'
import {type NodePoolAccess, readNodePools, resizeNodePool} from './node-pool-scaling.js'

/**
 * The failover's GCP side (cloud-failover.ts): the GKE client for node pools, and Compute calls
 * through the OAuth client it holds (same credentials, as the provider does for networks).
 */
export async function openGcpFailoverAccess(spec: EnvironmentSpec, options: CloudAccessOptions['gcp'] = {}, processEnv: NodeJS.ProcessEnv = process.env): Promise<CloudFailoverAccess> {
  const project = resolveProject(spec, processEnv)
  const {ClusterManagerClient} = await import('@google-cloud/container')
  const client = new ClusterManagerClient(options.clientOptions)
  const pollIntervalMs = options.pollIntervalMs ?? 5000
  const timeoutMs = options.timeoutMs ?? 30 * 60_000
  const request: AuthorizedRequest = async ({url, method, data}) => {
    const auth = await client.auth.getClient()
    const answer = await auth.request({url, method, data, responseType: 'json', validateStatus: () => true})
    return {status: answer.status, data: answer.data}
  }
  const compute = createComputeClient({request, endpoint: options.computeEndpoint ?? DEFAULT_COMPUTE_ENDPOINT, project, pollIntervalMs, timeoutMs})
  const pools = (location: string): NodePoolAccess => ({client, compute, project, location, clusterName: gkeClusterName(spec.name, location), pollIntervalMs, timeoutMs})
  const network = planGcpNetwork(spec)
  return {
    provider: 'gcp',
    nodeGroups: {
      read: (location, names) => readNodePools(pools(location), names),
      resize: (location, name, size) => resizeNodePool(pools(location), name, size),
    },
    fence: {
      plan: (location) => planGcpFence(compute, denyFirewallPart(spec.name, project, network, location), regionOfLocation(location)),
      close: (_location, parts) => closeGcpFence(compute, spec.name, parts),
      open: (_location, parts) => openGcpFence(compute, parts),
    },
    async close() {
      await client.close().catch(() => undefined)
    },
  }
}
