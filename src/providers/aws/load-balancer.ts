import type {EnvironmentSpec} from '../../config/types.js'
import {TAG, databaseSecurityGroupName} from './names.js'

/**
 * Service annotations for one replica-set member's load balancer on EKS: an internal Network Load
 * Balancer with IP targets, made by the AWS Load Balancer Controller, reachable from the other
 * region over the VPC peering. Names and values as the controller documents them
 * (kubernetes-sigs/aws-load-balancer-controller, docs/guide/service/annotations.md):
 * - `aws-load-balancer-type: external` hands the Service to the controller (not the in-tree one),
 *   which then reads the target type from `aws-load-balancer-nlb-target-type`;
 * - `nlb-target-type: ip` sends traffic straight to the member's pod IP (VPC CNI);
 * - `scheme: internal` (the controller's default since v2.2, stated so it never depends on it);
 * - `security-groups` names the frontend security group mygate creates per region (matched by its
 *   Name tag). Without it the controller makes one that, for an internal NLB, admits only the own
 *   VPC's range, which would shut out the other region. `manage-backend-security-group-rules`
 *   keeps the controller adding the rule from that group to the pods' security group;
 * - cross-zone load balancing on: a member is one pod in one zone, and the NLB's nodes in the other
 *   zones must still reach it;
 * - client IP preservation off, stated although it is the default for TCP IP targets: mongod
 *   connects to its own member name to find itself in the replica-set config, and with
 *   preservation on a target cannot reach itself through its NLB; the members' NetworkPolicies
 *   admit the NLBs' own addresses accordingly (src/providers/member-network.ts);
 * - the environment's tags on the NLB and its target groups.
 */
export function awsMemberLoadBalancerAnnotations(env: EnvironmentSpec, region: string): Record<string, string> {
  return {
    'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
    'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
    'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal',
    'service.beta.kubernetes.io/aws-load-balancer-security-groups': databaseSecurityGroupName(env.name, region),
    'service.beta.kubernetes.io/aws-load-balancer-manage-backend-security-group-rules': 'true',
    'service.beta.kubernetes.io/aws-load-balancer-attributes': 'load_balancing.cross_zone.enabled=true',
    'service.beta.kubernetes.io/aws-load-balancer-target-group-attributes': 'preserve_client_ip.enabled=false',
    'service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags': `${TAG.environment}=${env.name},${TAG.region}=${region}`,
  }
}
