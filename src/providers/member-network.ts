import type {EnvironmentSpec} from '../config/types.js'
import {MAX_ZONES, type RegionRole, subnetCidr, vpcCidrFor} from './aws/address-plan.js'
import {usesOwnNetwork} from './aws/plan.js'
import {RANGES_BY_ROLE} from './gcp/address-plan.js'
import {LOCAL_POD_RANGES} from './local/address-plan.js'
import {environmentRegions} from './naming.js'

/**
 * The address ranges the NetworkPolicies of a two-region environment on a cloud must admit so the
 * member names (`MEMBER.mygate-data.svc.clusterset.local`, a load balancer per member) carry
 * traffic, from the providers' address plans. Pure: the renderer calls it.
 *
 * Pods of another cluster are outside the cluster for NetworkPolicy, so only `ipBlock` can admit
 * them; and what a pod sees depends on the load balancer in between:
 *
 * - aws: an internal NLB with IP targets (aws/load-balancer.ts). For TCP IP targets client IP
 *   preservation is off by default, so the member sees the NLB's private address, never the
 *   client's ("When you disable client IP preservation, the source IP address is the private IP
 *   address of the Network Load Balancer"; defaults: "IP type target groups (TCP, TLS): Disabled",
 *   https://docs.aws.amazon.com/elasticloadbalancing/latest/network/edit-target-group-attributes.html).
 *   It stays off on purpose: with it on, a target that connects to itself through its own NLB
 *   fails (no NAT loopback), and mongod connects to its own host name to recognise itself in the
 *   replica-set config. The controller puts internal NLBs in the subnets tagged
 *   `kubernetes.io/role/internal-elb`: mygate's private subnets, where no node or pod lives (nodes
 *   and their pods use the public ones). So a member admits its own region's private subnets
 *   (every connection through its NLB, from either region), and every client of a member name
 *   (members, database Jobs, apps) may connect to both regions' private subnets (the NLBs). The
 *   NLB's security group (both VPCs' ranges on the database ports) is the cloud-side gate.
 * - gcp: an internal passthrough load balancer with global access (gcp/load-balancer.ts) delivers
 *   packets with the client's own address; with `externalTrafficPolicy: Local` on the member
 *   Service (member-load-balancer.ts) no node re-masquerades them, so the member sees the other
 *   region's Pod address: a member admits the other region's Pod range. Its load balancer's
 *   address is taken from its subnetwork's primary (node) range, so clients connect to the other
 *   region's node range. Inside one cluster kube-proxy sends traffic for a load balancer's IP
 *   straight to the Pod, so same-region connections stay pod-to-pod (the podSelector rules).
 * - local: the daemon's cluster set routes a member name straight to the member's pod, with
 *   neither load balancer nor NAT (local/address-plan.ts): a member sees the other region's Pod
 *   address and clients connect to the other region's Pod range. The local control plane checks
 *   these policies on every connection between its clusters (README "How strict the local
 *   control plane is"), as an enforcing network plugin would.
 *
 * Ranges that the plan does not know are left out: a primary region on named subnets
 * (aws.subnetIds) has whatever range its VPC has, as has a VPC made before the address plan
 * (192.168.0.0/16); their policies then need the range added by hand.
 *
 * @example aws, primary r1 (10.10.0.0/16), secondary r2 (10.20.0.0/16), region r1:
 *   ingressFrom: 10.10.96.0/19 10.10.128.0/19 10.10.160.0/19 (r1's NLBs)
 *   egressTo: the same and 10.20.96.0/19 10.20.128.0/19 10.20.160.0/19 (r2's NLBs)
 * @example gcp, region r1 (primary): ingressFrom 10.80.0.0/14 (r2's Pods); egressTo 10.20.0.0/20 (r2's load balancers)
 * @example local, region r1 (primary): ingressFrom 10.245.0.0/16 (r2's Pods); egressTo 10.245.0.0/16 (r2's Pods)
 */
export interface MemberRanges {
  region: string
  /** Sources a member of this region admits on its port. */
  ingressFrom: string[]
  /** Destinations a client in this region may connect to on the member port. */
  egressTo: string[]
}

function privateSubnets(role: RegionRole): string[] {
  return Array.from({length: MAX_ZONES}, (_, zone) => subnetCidr(vpcCidrFor(role), 'private', zone))
}

export function memberRanges(env: EnvironmentSpec, region: string): MemberRanges | undefined {
  if (!env.regions.secondary || env.provider === 'kubeconfig') return undefined
  const regions = environmentRegions(env)
  const own = regions.find((r) => r.region === region)
  if (!own) throw new Error(`region ${region} is not a region of environment ${env.name}`)
  const peer = regions.find((r) => r.region !== region)!
  if (env.provider === 'aws') {
    const nlbs = (role: RegionRole) => (usesOwnNetwork(env, role) ? privateSubnets(role) : [])
    return {region, ingressFrom: nlbs(own.role), egressTo: [...nlbs(own.role), ...nlbs(peer.role)]}
  }
  if (env.provider === 'local') return {region, ingressFrom: [LOCAL_POD_RANGES[peer.role]], egressTo: [LOCAL_POD_RANGES[peer.role]]}
  return {region, ingressFrom: [RANGES_BY_ROLE[peer.role].pods], egressTo: [RANGES_BY_ROLE[peer.role].nodes]}
}

/** What a client may connect to in any region (policies rendered once for both regions: the apps'). */
export function memberEgressAnywhere(env: EnvironmentSpec): string[] {
  return [...new Set(environmentRegions(env).flatMap(({region}) => memberRanges(env, region)?.egressTo ?? []))]
}
