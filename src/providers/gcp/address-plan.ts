import type {EnvironmentSpec} from '../../config/types.js'
import {boundedName, environmentRegions} from '../naming.js'

/**
 * The GCP address plan as data (why these ranges: top of network.ts). Pure: the plan output, the
 * network steps, the cluster requests and the tests read the same values.
 */

export type RegionRole = 'primary' | 'secondary'

export interface RangePlan {
  /** Subnetwork (node) range. */
  nodes: string
  /** Secondary range for Pod IPs (VPC-native cluster), named `pods`. */
  pods: string
  /** Secondary range for Service IPs, named `services`. */
  services: string
}

export const RANGES_BY_ROLE: Readonly<Record<RegionRole, RangePlan>> = {
  primary: {nodes: '10.10.0.0/20', pods: '10.64.0.0/14', services: '10.10.16.0/20'},
  secondary: {nodes: '10.20.0.0/20', pods: '10.80.0.0/14', services: '10.20.16.0/20'},
}

export const POD_RANGE_NAME = 'pods'
export const SERVICE_RANGE_NAME = 'services'

export interface SubnetworkPlan {
  name: string
  /** The cluster's location (region, or zone of a zonal cluster). */
  location: string
  /** The region the subnetwork lives in: a zone's region. */
  region: string
  ranges: RangePlan
}

export interface NetworkPlan {
  name: string
  /** False when the environment names its own network (gcp.network): mygate never deletes it. */
  ownedByMygate: boolean
  subnetworks: SubnetworkPlan[]
}

/** europe-west1 -> europe-west1; europe-west1-b (a zone) -> europe-west1. */
export function regionOfLocation(location: string): string {
  return /-[a-z]$/.test(location) ? location.slice(0, -2) : location
}

/** Compute resource names: RFC 1035, at most 63 characters. */
export function gcpNetworkName(envName: string): string {
  return boundedName(`mygate-${envName}`, 63)
}

export function gcpSubnetworkName(envName: string, location: string): string {
  return boundedName(`mygate-${envName}-${location}`, 63)
}

/** The marker in a network's or subnetwork's description that says mygate made it for this environment. */
export function ownershipDescription(envName: string): string {
  return `mygate environment ${envName}`
}

export function planGcpNetwork(env: EnvironmentSpec): NetworkPlan {
  return {
    name: env.gcp?.network ?? gcpNetworkName(env.name),
    ownedByMygate: !env.gcp?.network,
    subnetworks: environmentRegions(env).map(({region: location, role}) => ({
      name: gcpSubnetworkName(env.name, location),
      location,
      region: regionOfLocation(location),
      ranges: RANGES_BY_ROLE[role],
    })),
  }
}
