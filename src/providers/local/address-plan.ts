import type {RegionRole} from '../gcp/address-plan.js'

/**
 * The local provider's address plan: the Pod range of each region's cluster in the daemon. The
 * daemon's cluster set routes a member name (`MEMBER.mygate-data.svc.clusterset.local`) straight
 * to the member's pod (no load balancer, no NAT in between: a flat network, as a shared VPC with
 * VPC-native Pods is), so a pod of one region reaches the other's pods by their own addresses and
 * is seen with its own address. The ranges differ, as two clusters' Pod ranges must for their
 * networks to be joined, so the NetworkPolicies of one region can admit the other's pods by
 * `ipBlock` (member-network.ts) and the local control plane can check them.
 * The primary's is the range every local cluster had before (and one-region clusters keep).
 */
export const LOCAL_POD_RANGES: Readonly<Record<RegionRole, string>> = {
  primary: '10.244.0.0/16',
  secondary: '10.245.0.0/16',
}
