import type {EnvironmentSpec} from '../config/types.js'
import {awsMemberLoadBalancerAnnotations} from './aws/load-balancer.js'
import {gcpMemberLoadBalancerAnnotations} from './gcp/load-balancer.js'

/**
 * How one replica-set member (MongoDB, Redis) is reached from the environment's other cluster: the
 * contract between the providers, which build the network, and the database templates, which
 * render one Service per member. Pure and synchronous (no SDK is loaded), so rendering can call it.
 *
 * - `load-balancer`: render the member's Service as `type: LoadBalancer` with these annotations;
 *   the members' addresses in the replica-set configuration are the load balancers' names.
 * - `none`: no per-member load balancer; members use the in-cluster headless Service names.
 *   A one-region environment needs none on any provider. On `local` the daemon routes between its
 *   region clusters itself. On `kubeconfig` the clusters and the network between them belong to
 *   the user, who brings their own cross-cluster route (a mesh, a peering and their own
 *   load balancers): mygate cannot know which, and a guess would open or break the wrong thing.
 */
export type MemberEndpoint =
  | {
      kind: 'load-balancer'
      annotations: Record<string, string>
      /**
       * gcp: `Local`, so no node re-masquerades the packets a passthrough load balancer delivers with
       * the client's address ("Local preserves the client source IP",
       * https://kubernetes.io/docs/tasks/access-application-cluster/create-external-load-balancer/#preserving-the-client-source-ip),
       * which the members' NetworkPolicies admit by range (member-network.ts). aws: unset (IP targets
       * reach the pod without kube-proxy).
       */
      externalTrafficPolicy?: 'Local'
    }
  | {kind: 'none'; reason: string}

export function memberEndpoint(env: EnvironmentSpec, region: string): MemberEndpoint {
  if (!env.regions.secondary) return {kind: 'none', reason: 'one region: members reach each other inside the cluster'}
  if (region !== env.regions.primary && region !== env.regions.secondary) {
    throw new Error(`region ${region} is not a region of environment ${env.name}`)
  }
  switch (env.provider) {
    case 'aws':
      return {kind: 'load-balancer', annotations: awsMemberLoadBalancerAnnotations(env, region)}
    case 'gcp':
      return {kind: 'load-balancer', annotations: gcpMemberLoadBalancerAnnotations(), externalTrafficPolicy: 'Local'}
    case 'local':
      return {kind: 'none', reason: 'the local control plane routes between its region clusters'}
    case 'kubeconfig':
      return {kind: 'none', reason: 'user-owned clusters: the route between them is the user\'s (mesh, peering, own load balancers)'}
  }
}
