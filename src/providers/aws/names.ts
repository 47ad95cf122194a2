
import type {EnvironmentSpec} from '../../config/types.js'
import {boundedName} from '../naming.js'

/**
 * Deterministic names and tags for everything mygate creates in AWS. Names are derived, never
 * stored, so a second machine finds the same resources; tags say who created what, so destroy
 * removes only what mygate made for this environment.
 */

export const TAG = {
  environment: 'mygate.dev/environment',
  region: 'mygate.dev/region',
  managedBy: 'mygate.dev/managed-by',
  tier: 'mygate.dev/tier',
  provider: 'mygate.dev/provider',
  role: 'mygate.dev/role',
  /** What a supporting resource is for: vpc, subnet-public-a, route-table-public, cluster-role... */
  component: 'mygate.dev/component',
} as const

export const MANAGED_BY_VALUE = 'mygate'

/** EKS cluster and kubeconfig context name: `mygate-ENV-REGION`. */
export function awsClusterName(envName: string, region: string): string {
  return `mygate-${envName}-${region}`
}

export function clusterRoleName(envName: string, region: string): string {
  return boundedName(`${awsClusterName(envName, region)}-cluster`, 64)
}

export function nodeRoleName(envName: string, region: string): string {
  return boundedName(`${awsClusterName(envName, region)}-node`, 64)
}

/**
 * The security group in front of a region's per-member database load balancers. Its Name tag
 * carries this name too, which is what the Services' `aws-load-balancer-security-groups`
 * annotation refers to (the controller matches names against the Name tag).
 */
export function databaseSecurityGroupName(envName: string, region: string): string {
  return `${awsClusterName(envName, region)}-db-lb`
}

/** Tags on every AWS resource mygate creates for one cluster of an environment. */
export function environmentTags(env: EnvironmentSpec, region: string, role: 'primary' | 'secondary'): Record<string, string> {
  return {
    [TAG.environment]: env.name,
    [TAG.region]: region,
    [TAG.managedBy]: MANAGED_BY_VALUE,
    [TAG.tier]: env.tier,
    [TAG.provider]: 'aws',
    [TAG.role]: role,
  }
}

/** True when tags say mygate created the resource for this environment. */
export function isOwnedBy(tags: Record<string, string> | undefined, envName: string): boolean {
  return tags?.[TAG.managedBy] === MANAGED_BY_VALUE && tags?.[TAG.environment] === envName
}

/** Tags as EC2 and IAM want them. */
export function tagList(tags: Record<string, string>): Array<{Key: string; Value: string}> {
  return Object.entries(tags).map(([Key, Value]) => ({Key, Value}))
}

export function tagRecord(list: Array<{Key?: string; Value?: string}> | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const {Key, Value} of list ?? []) if (Key !== undefined) out[Key] = Value ?? ''
  return out
}

/** Partition of an AWS region, for ARNs of AWS managed policies. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn'
  if (region.startsWith('us-gov-')) return 'aws-us-gov'
  return 'aws'
}

/** Region shape: us-east-1, eu-central-2, us-gov-west-1, ap-southeast-7... */
export const AWS_REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/

/**
 * Commercial regions, used only when ec2:DescribeRegions is not allowed for the caller.
 * The API's answer wins whenever it is available (new regions appear there first).
 */
export const KNOWN_AWS_REGIONS = [
  'af-south-1', 'ap-east-1', 'ap-east-2', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-south-1',
  'ap-south-2', 'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5',
  'ap-southeast-7', 'ca-central-1', 'ca-west-1', 'eu-central-1', 'eu-central-2', 'eu-north-1', 'eu-south-1',
  'eu-south-2', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'il-central-1', 'me-central-1', 'me-south-1', 'mx-central-1',
  'sa-east-1', 'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2',
] as const

export const DEFAULT_EKS_VERSION = '1.31'
