import type {IpPermission, SecurityGroup, SecurityGroupRule} from '@aws-sdk/client-ec2'

import type {DestroyReport} from '../types.js'
import {DATABASE_PORTS, type RegionRange} from './address-plan.js'
import type {RegionContext} from './context.js'
import {awsFailure, awsMessage, isAwsError} from './errors.js'
import {TAG, databaseSecurityGroupName, isOwnedBy, tagRecord} from './names.js'
import {type Network, componentFilter, step, tagSpec} from './network.js'

/**
 * The security group in front of a region's per-member database load balancers (why this group
 * and not the nodes' one: see the top of network.ts). Its ingress rules are by CIDR, one per
 * database port and source VPC range; rules it should not have (a range from an earlier VPC) are
 * revoked, so a re-run converges on exactly the planned rules.
 */

export const DATABASE_SG_COMPONENT = 'db-lb'

export interface IngressRule {
  port: number
  cidr: string
  description: string
}

/** Pure: the rules for these source ranges, each database port from each range. */
export function databaseIngressRules(sources: RegionRange[]): IngressRule[] {
  return sources.flatMap((source) =>
    DATABASE_PORTS.map(({port, service}) => ({port, cidr: source.cidr, description: `${service} from ${source.region} (${source.cidr})`})),
  )
}

const matches = (rule: SecurityGroupRule, wanted: IngressRule) =>
  !rule.IsEgress && rule.IpProtocol === 'tcp' && rule.FromPort === wanted.port && rule.ToPort === wanted.port && rule.CidrIpv4 === wanted.cidr

async function findGroup(ctx: RegionContext, vpcId?: string): Promise<SecurityGroup | undefined> {
  const answer = await ctx.clients.ec2.send(
    new ctx.clients.sdk.ec2.DescribeSecurityGroupsCommand({
      Filters: [...(vpcId ? [{Name: 'vpc-id', Values: [vpcId]}] : []), ...componentFilter(ctx, DATABASE_SG_COMPONENT)],
    }),
  )
  return (answer.SecurityGroups ?? []).find((group) => {
    const tags = tagRecord(group.Tags)
    return (
      isOwnedBy(tags, ctx.env.name) &&
      tags[TAG.region] === ctx.region &&
      tags[TAG.component] === DATABASE_SG_COMPONENT &&
      (vpcId === undefined || group.VpcId === vpcId)
    )
  })
}

/** Creates the group unless it exists, then converges its ingress rules. Returns the group id. */
export async function ensureDatabaseSecurityGroup(ctx: RegionContext, network: Network, sources: RegionRange[]): Promise<string> {
  const ec2 = ctx.clients.sdk.ec2
  const name = databaseSecurityGroupName(ctx.env.name, ctx.region)
  const groupId = await step(`finding or creating security group ${name}`, async () => {
    const existing = await findGroup(ctx, network.vpcId)
    if (existing?.GroupId) return existing.GroupId
    const created = await ctx.clients.ec2.send(
      new ec2.CreateSecurityGroupCommand({
        GroupName: name,
        Description: `mygate ${ctx.env.name}: per-member database load balancers, reachable from both regions`,
        VpcId: network.vpcId,
        TagSpecifications: tagSpec(ctx, 'security-group', DATABASE_SG_COMPONENT, {Name: name}),
      }),
    )
    ctx.progress.update(`${ctx.region}: created security group ${created.GroupId} (${name})`)
    return created.GroupId!
  })

  const wanted = databaseIngressRules(sources)
  await step(`setting the ingress rules of ${name}`, async () => {
    const answer = await ctx.clients.ec2.send(new ec2.DescribeSecurityGroupRulesCommand({Filters: [{Name: 'group-id', Values: [groupId]}]}))
    const ingress = (answer.SecurityGroupRules ?? []).filter((rule) => !rule.IsEgress && rule.GroupId === groupId)
    const missing = wanted.filter((rule) => !ingress.some((present) => matches(present, rule)))
    const stale = ingress.filter((present) => !wanted.some((rule) => matches(present, rule)))
    if (missing.length > 0) {
      const permissions: IpPermission[] = missing.map((rule) => ({
        IpProtocol: 'tcp',
        FromPort: rule.port,
        ToPort: rule.port,
        IpRanges: [{CidrIp: rule.cidr, Description: rule.description}],
      }))
      try {
        await ctx.clients.ec2.send(
          new ec2.AuthorizeSecurityGroupIngressCommand({
            GroupId: groupId,
            IpPermissions: permissions,
            TagSpecifications: tagSpec(ctx, 'security-group-rule', `${DATABASE_SG_COMPONENT}-rule`),
          }),
        )
      } catch (error) {
        // Added meanwhile by another run: the rules are there, which is all that matters.
        if (!isAwsError(error, 'InvalidPermission.Duplicate')) throw error
      }
      ctx.progress.update(`${ctx.region}: created ${missing.length} ingress rule(s) in ${name}: ${missing.map((rule) => `${rule.port} from ${rule.cidr}`).join(', ')}`)
    }
    if (stale.length > 0) {
      await ctx.clients.ec2.send(
        new ec2.RevokeSecurityGroupIngressCommand({GroupId: groupId, SecurityGroupRuleIds: stale.map((rule) => rule.SecurityGroupRuleId!)}),
      )
      ctx.progress.update(`${ctx.region}: revoked ${stale.length} ingress rule(s) ${name} should not have`)
    }
  })
  return groupId
}

/**
 * Revokes the group's rules and deletes it. Load balancers the controller has not finished
 * deleting still hold it (DependencyViolation), so that is retried within the wait budget.
 */
export async function destroyDatabaseSecurityGroup(ctx: RegionContext, report: DestroyReport): Promise<void> {
  const ec2 = ctx.clients.sdk.ec2
  let group: SecurityGroup | undefined
  try {
    group = await findGroup(ctx)
  } catch (error) {
    report.leftBehind.push({resource: `security group ${databaseSecurityGroupName(ctx.env.name, ctx.region)}`, reason: awsFailure('listing security groups', error).message})
    return
  }
  if (!group?.GroupId) return
  const groupId = group.GroupId
  const label = `security group ${groupId} (${group.GroupName ?? databaseSecurityGroupName(ctx.env.name, ctx.region)}, ${ctx.region})`
  const rules = group.IpPermissions ?? []
  if (rules.length > 0) {
    try {
      await ctx.clients.ec2.send(new ec2.RevokeSecurityGroupIngressCommand({GroupId: groupId, IpPermissions: rules}))
      const count = rules.reduce((sum, permission) => sum + (permission.IpRanges?.length ?? 0), 0)
      report.removed.push(`${count} database ingress rule(s) of ${label}`)
      ctx.progress.update(`${ctx.region}: revoked ${count} database ingress rule(s) of ${label}`)
    } catch (error) {
      report.leftBehind.push({resource: `ingress rules of ${label}`, reason: awsMessage(error)})
    }
  }
  const deadline = Date.now() + ctx.wait.maxWaitSeconds * 1000
  for (;;) {
    try {
      await ctx.clients.ec2.send(new ec2.DeleteSecurityGroupCommand({GroupId: groupId}))
      report.removed.push(label)
      ctx.progress.update(`${ctx.region}: deleted ${label}`)
      return
    } catch (error) {
      if (isAwsError(error, 'InvalidGroup.NotFound')) return
      if (isAwsError(error, 'DependencyViolation') && Date.now() + ctx.wait.minDelaySeconds * 1000 < deadline) {
        await new Promise((resolve) => setTimeout(resolve, ctx.wait.minDelaySeconds * 1000))
        continue
      }
      report.leftBehind.push({resource: label, reason: awsMessage(error)})
      return
    }
  }
}
