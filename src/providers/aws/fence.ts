import type {IpPermission, SecurityGroup, SecurityGroupRule} from '@aws-sdk/client-ec2'

import {NAMESPACES} from '../../config/types.js'
import type {CloudFencePart} from '../cloud-failover.js'
import {DATABASE_PORTS} from './address-plan.js'
import type {AwsRegionClients} from './clients.js'
import {awsFailure, isAwsError} from './errors.js'
import {TAG, awsClusterName, isOwnedBy, tagRecord} from './names.js'

/**
 * The cloud fence of a region on AWS (forced failover, its cluster API does not answer): what
 * admits traffic to the region is closed at the security-group level, where EC2 enforces it
 * whatever runs inside the cluster.
 *
 * - Databases: the ingress rules of the region's `mygate-ENV-REGION-db-lb` group (the frontend of
 *   the per-member NLBs, network.ts) that admit 27017 or 6379. Members in the region reach each
 *   other through the same load balancers, so an old PRIMARY there loses its set and steps down.
 * - App entry: the ingress rules of the gateway ALB's frontend security group that admit its
 *   listener ports (80, 443; render/entry-context.ts). The AWS Load Balancer Controller makes that
 *   group for the Ingress and tags it `elbv2.k8s.aws/cluster` = the cluster and
 *   `ingress.k8s.aws/stack` = NAMESPACE/INGRESS (its "Security Groups for Load Balancers" guide);
 *   with no rule left the ALB accepts no client connection, which detaches it from the internet.
 *   Deregistering its targets (ELBv2) would need @aws-sdk/client-elastic-load-balancing-v2, which
 *   mygate does not ship; the controller would also register them again as soon as it runs.
 *
 * Each revoked rule is recorded (group, protocol, ports, source, description) before it is
 * revoked, so lifting the fence authorizes exactly those rules again. Revoking and authorizing
 * read first: a rule already gone, or already back, is not an error.
 */

/** The gateway ALB's listener ports (alb.ingress.kubernetes.io/listen-ports in render/entry-context.ts). */
export const GATEWAY_LISTEN_PORTS = [80, 443] as const

/** The controller's tag values for the gateway Ingress's frontend group. */
export function gatewaySecurityGroupFilters(envName: string, region: string) {
  return [
    {Name: 'tag:elbv2.k8s.aws/cluster', Values: [awsClusterName(envName, region)]},
    {Name: 'tag:ingress.k8s.aws/stack', Values: [`${NAMESPACES.apps}/gateway`]},
  ]
}

type IngressRulePart = Extract<CloudFencePart, {kind: 'ingress-rule'}>

/**
 * Pure: the ingress rules among `rules` that admit any of `ports` (TCP ranges covering a port, or
 * all traffic), as fence parts.
 *   tcp 27017 from 10.20.0.0/16, ports [27017, 6379] -> revoked
 *   tcp 0-65535 from 10.0.0.0/8, ports [443]        -> revoked (the range covers it)
 *   udp 53, egress tcp 443, tcp 8080                 -> kept
 */
export function rulesAdmittingPorts(rules: readonly SecurityGroupRule[], ports: readonly number[], purpose: string): IngressRulePart[] {
  return rules
    .filter((rule) => !rule.IsEgress)
    .filter((rule) => rule.IpProtocol === '-1' || (rule.IpProtocol === 'tcp' && ports.some((port) => (rule.FromPort ?? -1) <= port && port <= (rule.ToPort ?? -1))))
    .map((rule) => ({
      kind: 'ingress-rule' as const,
      groupId: rule.GroupId ?? '',
      purpose,
      protocol: rule.IpProtocol ?? 'tcp',
      fromPort: rule.FromPort ?? -1,
      toPort: rule.ToPort ?? -1,
      ...(rule.CidrIpv4 ? {cidrIpv4: rule.CidrIpv4} : {}),
      ...(rule.CidrIpv6 ? {cidrIpv6: rule.CidrIpv6} : {}),
      ...(rule.ReferencedGroupInfo?.GroupId ? {sourceGroupId: rule.ReferencedGroupInfo.GroupId} : {}),
      ...(rule.PrefixListId ? {prefixListId: rule.PrefixListId} : {}),
      ...(rule.Description ? {description: rule.Description} : {}),
    }))
}

/** Whether a live rule is the one a part describes (ids change when a rule is authorized again). */
export function ruleMatches(rule: SecurityGroupRule, part: IngressRulePart): boolean {
  return (
    !rule.IsEgress &&
    rule.GroupId === part.groupId &&
    rule.IpProtocol === part.protocol &&
    (rule.FromPort ?? -1) === part.fromPort &&
    (rule.ToPort ?? -1) === part.toPort &&
    (rule.CidrIpv4 ?? undefined) === part.cidrIpv4 &&
    (rule.CidrIpv6 ?? undefined) === part.cidrIpv6 &&
    (rule.ReferencedGroupInfo?.GroupId ?? undefined) === part.sourceGroupId &&
    (rule.PrefixListId ?? undefined) === part.prefixListId
  )
}

/** Pure: the permission that authorizes exactly the rule a part recorded. */
export function permissionOf(part: IngressRulePart): IpPermission {
  const description = part.description === undefined ? {} : {Description: part.description}
  return {
    IpProtocol: part.protocol,
    ...(part.protocol === '-1' ? {} : {FromPort: part.fromPort, ToPort: part.toPort}),
    ...(part.cidrIpv4 ? {IpRanges: [{CidrIp: part.cidrIpv4, ...description}]} : {}),
    ...(part.cidrIpv6 ? {Ipv6Ranges: [{CidrIpv6: part.cidrIpv6, ...description}]} : {}),
    ...(part.sourceGroupId ? {UserIdGroupPairs: [{GroupId: part.sourceGroupId, ...description}]} : {}),
    ...(part.prefixListId ? {PrefixListIds: [{PrefixListId: part.prefixListId, ...description}]} : {}),
  }
}

async function groupRules(clients: AwsRegionClients, groupIds: readonly string[]): Promise<SecurityGroupRule[]> {
  if (groupIds.length === 0) return []
  const answer = await clients.ec2.send(new clients.sdk.ec2.DescribeSecurityGroupRulesCommand({Filters: [{Name: 'group-id', Values: [...groupIds]}]}))
  return answer.SecurityGroupRules ?? []
}

async function findGroups(clients: AwsRegionClients, filters: Array<{Name: string; Values: string[]}>): Promise<SecurityGroup[]> {
  const answer = await clients.ec2.send(new clients.sdk.ec2.DescribeSecurityGroupsCommand({Filters: filters}))
  return answer.SecurityGroups ?? []
}

/** What fencing `region` revokes now: its database and gateway ingress rules. */
export async function planAwsFence(clients: AwsRegionClients, envName: string, region: string): Promise<CloudFencePart[]> {
  try {
    const database = (
      await findGroups(clients, [
        {Name: `tag:${TAG.environment}`, Values: [envName]},
        {Name: `tag:${TAG.region}`, Values: [region]},
        {Name: `tag:${TAG.component}`, Values: ['db-lb']},
      ])
    ).filter((group) => isOwnedBy(tagRecord(group.Tags), envName))
    const gateway = await findGroups(clients, gatewaySecurityGroupFilters(envName, region))
    const databaseRules = await groupRules(clients, database.map((group) => group.GroupId!))
    const gatewayRules = await groupRules(clients, gateway.map((group) => group.GroupId!))
    return [
      ...rulesAdmittingPorts(databaseRules, DATABASE_PORTS.map((entry) => entry.port), 'database'),
      ...rulesAdmittingPorts(gatewayRules, GATEWAY_LISTEN_PORTS, 'gateway load balancer'),
    ]
  } catch (error) {
    throw awsFailure(`reading the security groups to fence in ${region}`, error)
  }
}

/** Revokes the rules still present among the parts. */
export async function closeAwsFence(clients: AwsRegionClients, parts: readonly CloudFencePart[]): Promise<number> {
  const rules = parts.filter((part): part is IngressRulePart => part.kind === 'ingress-rule')
  const groups = [...new Set(rules.map((rule) => rule.groupId))]
  let revoked = 0
  try {
    const live = await groupRules(clients, groups)
    for (const groupId of groups) {
      const ids = live.filter((rule) => rules.some((part) => part.groupId === groupId && ruleMatches(rule, part))).map((rule) => rule.SecurityGroupRuleId!)
      if (ids.length === 0) continue
      await clients.ec2.send(new clients.sdk.ec2.RevokeSecurityGroupIngressCommand({GroupId: groupId, SecurityGroupRuleIds: ids}))
      revoked += ids.length
    }
  } catch (error) {
    throw awsFailure(`revoking the fenced ingress rules in ${clients.region}`, error)
  }
  return revoked
}

/** Authorizes the recorded rules that are not there. */
export async function openAwsFence(clients: AwsRegionClients, parts: readonly CloudFencePart[]): Promise<number> {
  const rules = parts.filter((part): part is IngressRulePart => part.kind === 'ingress-rule')
  let restored = 0
  try {
    const live = await groupRules(clients, [...new Set(rules.map((rule) => rule.groupId))])
    for (const part of rules) {
      if (live.some((rule) => ruleMatches(rule, part))) continue
      try {
        await clients.ec2.send(new clients.sdk.ec2.AuthorizeSecurityGroupIngressCommand({GroupId: part.groupId, IpPermissions: [permissionOf(part)]}))
        restored++
      } catch (error) {
        // Put back meanwhile (the controller reconciling its group): the rule is there.
        if (!isAwsError(error, 'InvalidPermission.Duplicate')) throw error
      }
    }
  } catch (error) {
    throw awsFailure(`restoring the fenced ingress rules in ${clients.region}`, error)
  }
  return restored
}
