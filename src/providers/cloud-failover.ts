import type {ClusterManagerClient} from '@google-cloud/container'

import type {EnvironmentSpec} from '../config/types.js'
import type {AwsClientConfig} from './aws/clients.js'
import type {GroupSize, LiveNodeGroup} from './node-group-sizing.js'

/**
 * What a failover asks of a cloud beyond the clusters' own APIs (issue 11): resize the regions'
 * node groups, and fence a region whose cluster API does not answer at the cloud's network level.
 * One interface, implemented per cloud (aws/failover-access.ts, gcp/failover-access.ts); local and
 * kubeconfig environments have none (their nodes are not mygate's to grow, and the cluster-API
 * fence is their fence). The cloud SDKs load only when an aws or gcp environment opens it.
 */

export interface CloudNodeGroups {
  /** The region's node groups among `names` as the cloud reports them (missing ones left out). */
  read(region: string, names: readonly string[]): Promise<LiveNodeGroup[]>
  /** Sets one group's size unless it has it already (reads first). True when a change was sent. */
  resize(region: string, name: string, size: GroupSize): Promise<boolean>
}

/**
 * One thing the cloud fence closes, recorded on the failover run before it is closed, so lifting
 * the fence restores exactly what was there:
 * - `ingress-rule` (aws): a security-group ingress rule admitting a database or app port, revoked;
 * - `deny-firewall` (gcp): a deny-all firewall rule over the region's ranges, inserted;
 * - `backend` (gcp): a backend (the region's NEG) removed from the gateway's backend service.
 */
export type CloudFencePart =
  | {
      kind: 'ingress-rule'
      groupId: string
      /** What the rule admits to, for people: "database" or "gateway load balancer". */
      purpose: string
      protocol: string
      fromPort: number
      toPort: number
      cidrIpv4?: string
      cidrIpv6?: string
      sourceGroupId?: string
      prefixListId?: string
      description?: string
    }
  | {kind: 'deny-firewall'; name: string; network: string; destinationRanges: string[]; priority: number}
  | {kind: 'backend'; backendService: string; group: string; backend: Record<string, unknown>}

export interface CloudFence {
  /** Reads what closing `region` takes now (open rules, attached backends, the deny rule to add). */
  plan(region: string): Promise<CloudFencePart[]>
  /** Closes these parts; parts already closed are fine (a resumed failover repeats no work). */
  close(region: string, parts: readonly CloudFencePart[]): Promise<void>
  /** Restores these parts exactly; parts already open are fine. */
  open(region: string, parts: readonly CloudFencePart[]): Promise<void>
}

export interface CloudFailoverAccess {
  provider: 'aws' | 'gcp'
  nodeGroups: CloudNodeGroups
  fence: CloudFence
  close(): Promise<void>
}

/** Endpoints and credentials of the clouds (tests point them at moto and the GKE fake). */
export interface CloudAccessOptions {
  aws?: AwsClientConfig
  gcp?: {
    clientOptions?: ConstructorParameters<typeof ClusterManagerClient>[0]
    computeEndpoint?: string
    pollIntervalMs?: number
    timeoutMs?: number
  }
  processEnv?: NodeJS.ProcessEnv
}

/** The cloud access of an environment, or undefined on local and kubeconfig. */
export async function openCloudFailoverAccess(spec: EnvironmentSpec, options: CloudAccessOptions = {}): Promise<CloudFailoverAccess | undefined> {
  switch (spec.provider) {
    case 'aws': {
      const {openAwsFailoverAccess} = await import('./aws/failover-access.js')
      return openAwsFailoverAccess(spec, options.aws)
    }
    case 'gcp': {
      const {openGcpFailoverAccess} = await import('./gcp/failover-access.js')
      return openGcpFailoverAccess(spec, options.gcp, options.processEnv)
    }
    default:
      return undefined
  }
}
