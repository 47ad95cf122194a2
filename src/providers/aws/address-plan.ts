import {ConflictError} from '../../errors.js'
import {cidrsOverlap, parseCidr, subBlock} from '../cidr.js'

/**
 * The AWS address plan as data (why these ranges, and the security-group rules built on them, are
 * described at the top of network.ts). Pure: the plan output, the network steps and the tests
 * read the same constants.
 */

export type RegionRole = 'primary' | 'secondary'

/** The VPC range mygate gives a new VPC, by the region's role in the environment. */
export const VPC_CIDR_BY_ROLE: Readonly<Record<RegionRole, string>> = {primary: '10.10.0.0/16', secondary: '10.20.0.0/16'}

/** What every region got before the plan existed (eksctl's default); such VPCs keep it. */
export const LEGACY_VPC_CIDR = '192.168.0.0/16'

/**
 * The ranges EKS picks Service IPs from when none is given: "either the 10.100.0.0/16 or
 * 172.20.0.0/16 CIDR blocks" (EKS API, KubernetesNetworkConfigRequest.serviceIpv4Cidr). The VPC
 * ranges above avoid both, whichever EKS picks.
 */
export const EKS_DEFAULT_SERVICE_CIDRS = ['10.100.0.0/16', '172.20.0.0/16'] as const

/**
 * The Service range mygate asks for on new clusters, so it is a decision rather than EKS's guess.
 * Service IPs never leave a cluster (kube-proxy translates them on the node), so both regions may
 * use the same one; it must only stay clear of every VPC range either cluster can reach.
 */
export const EKS_SERVICE_CIDR = '172.20.0.0/16'

/** Subnets per kind: one per availability zone, at most three zones. */
export const MAX_ZONES = 3

/** The database ports reachable across regions, through the per-member load balancers. */
export const DATABASE_PORTS = [
  {port: 27017, service: 'MongoDB'},
  {port: 6379, service: 'Redis'},
] as const

export function vpcCidrFor(role: RegionRole): string {
  return VPC_CIDR_BY_ROLE[role]
}

/**
 * Subnets are the VPC range cut into eight equal blocks (/19 of a /16): public subnets take blocks
 * 0-2, private ones 3-5, 6-7 stay free. Derived from the VPC's actual range, so a VPC made before
 * the plan (192.168.0.0/16) gets the same subnets it always had: 192.168.0.0/19 ... 192.168.160.0/19.
 */
export function subnetCidr(vpcCidr: string, kind: 'public' | 'private', zoneIndex: number): string {
  if (zoneIndex < 0 || zoneIndex >= MAX_ZONES) throw new Error(`zone index ${zoneIndex} is outside 0-${MAX_ZONES - 1}`)
  return subBlock(vpcCidr, parseCidr(vpcCidr).prefix + 3, (kind === 'public' ? 0 : MAX_ZONES) + zoneIndex)
}

export interface RegionRange {
  region: string
  cidr: string
}

/**
 * AWS rejects a peering between VPCs whose ranges overlap (the request ends `failed`), so this is
 * checked before asking. Two VPCs made before the address plan both hold 192.168.0.0/16 and can
 * never be peered: that takes new VPCs, which means re-creating the environment.
 */
export function checkPeerable(primary: RegionRange, secondary: RegionRange, envName: string): void {
  if (!cidrsOverlap(primary.cidr, secondary.cidr)) return
  throw new ConflictError(
    `the VPCs of ${primary.region} (${primary.cidr}) and ${secondary.region} (${secondary.cidr}) overlap, and AWS cannot peer overlapping VPCs`,
    {
      hint: `the VPCs predate mygate's per-region address plan: run \`mygate env destroy ${envName}\` and create it again (new VPCs get ${VPC_CIDR_BY_ROLE.primary} and ${VPC_CIDR_BY_ROLE.secondary})`,
      details: {primary, secondary},
    },
  )
}
