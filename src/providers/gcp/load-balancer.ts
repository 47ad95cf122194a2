/**
 * Service annotations for one replica-set member's load balancer on GKE: an internal passthrough
 * Network Load Balancer with global access, so clients in the other region of the shared VPC
 * network reach it (an internal passthrough load balancer is regional, and without global access
 * only clients in its own region may connect). Names and values as GKE documents them
 * (https://cloud.google.com/kubernetes-engine/docs/concepts/service-load-balancer-parameters):
 * - `networking.gke.io/load-balancer-type: "Internal"` makes the load balancer internal;
 * - `networking.gke.io/internal-load-balancer-allow-global-access: "true"` opens it to every region.
 * GKE creates the firewall rules for the load balancer and its health checks itself (sources:
 * the Service's `loadBalancerSourceRanges`, all when unset), so mygate adds none.
 */
export function gcpMemberLoadBalancerAnnotations(): Record<string, string> {
  return {
    'networking.gke.io/load-balancer-type': 'Internal',
    'networking.gke.io/internal-load-balancer-allow-global-access': 'true',
  }
}
