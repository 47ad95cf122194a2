import {ConflictError} from '../../errors.js'
import type {DestroyReport} from '../types.js'
import type {RegionContext} from './context.js'
import {awsFailure, awsMessage, isAwsError} from './errors.js'
import {TAG, clusterRoleName, isOwnedBy, nodeRoleName, partitionOf, tagList, tagRecord} from './names.js'

/**
 * The two IAM roles an EKS cluster needs, as eksctl creates them: the cluster role (assumed by the
 * EKS service) and the node role (assumed by the EC2 instances of managed node groups).
 * IAM is global, so role names carry the region as well as the environment.
 */

export const CLUSTER_ROLE_POLICIES = ['AmazonEKSClusterPolicy']
export const NODE_ROLE_POLICIES = ['AmazonEKSWorkerNodePolicy', 'AmazonEKS_CNI_Policy', 'AmazonEC2ContainerRegistryReadOnly']

export interface ClusterRoles {
  clusterRoleArn: string
  nodeRoleArn: string
}

interface RoleSpec {
  name: string
  component: 'cluster-role' | 'node-role'
  service: string
  policies: string[]
}

function roleSpecs(ctx: RegionContext): RoleSpec[] {
  return [
    {name: clusterRoleName(ctx.env.name, ctx.region), component: 'cluster-role', service: 'eks.amazonaws.com', policies: CLUSTER_ROLE_POLICIES},
    {name: nodeRoleName(ctx.env.name, ctx.region), component: 'node-role', service: 'ec2.amazonaws.com', policies: NODE_ROLE_POLICIES},
  ]
}

function trustPolicy(service: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{Effect: 'Allow', Principal: {Service: service}, Action: 'sts:AssumeRole'}],
  })
}

/** Uses the role ARNs the environment names; creates (or finds) the others. */
export async function ensureRoles(ctx: RegionContext): Promise<ClusterRoles> {
  const [clusterSpec, nodeSpec] = roleSpecs(ctx)
  const clusterRoleArn = ctx.env.aws?.clusterRoleArn ?? (await ensureRole(ctx, clusterSpec))
  const nodeRoleArn = ctx.env.aws?.nodeRoleArn ?? (await ensureRole(ctx, nodeSpec))
  return {clusterRoleArn, nodeRoleArn}
}

async function ensureRole(ctx: RegionContext, spec: RoleSpec): Promise<string> {
  const {iam: client, sdk} = ctx.clients
  const iam = sdk.iam
  try {
    let arn = await findRoleArn(ctx, spec.name)
    if (!arn) {
      try {
        const created = await client.send(
          new iam.CreateRoleCommand({
            RoleName: spec.name,
            AssumeRolePolicyDocument: trustPolicy(spec.service),
            Description: `mygate ${spec.component} for ${ctx.clusterName}`,
            Tags: tagList({...ctx.tags, [TAG.component]: spec.component}),
          }),
        )
        arn = created.Role!.Arn!
        ctx.progress.update(`${ctx.region}: created IAM role ${spec.name}`)
      } catch (error) {
        // Another run created it between our look-up and our create: use it.
        if (!isAwsError(error, 'EntityAlreadyExists', 'EntityAlreadyExistsException')) throw error
        arn = (await findRoleArn(ctx, spec.name))!
      }
    }
    // Attaching an attached policy is a no-op, so this also repairs a half-created role.
    const partition = partitionOf(ctx.region)
    for (const policy of spec.policies) {
      await client.send(new iam.AttachRolePolicyCommand({RoleName: spec.name, PolicyArn: `arn:${partition}:iam::aws:policy/${policy}`}))
    }
    return arn
  } catch (error) {
    if (error instanceof ConflictError) throw error
    throw awsFailure(`setting up IAM role ${spec.name}`, error)
  }
}

/** The role's ARN when it exists and mygate made it for this environment; a foreign role is a conflict. */
async function findRoleArn(ctx: RegionContext, name: string): Promise<string | undefined> {
  const {iam: client, sdk} = ctx.clients
  try {
    const found = await client.send(new sdk.iam.GetRoleCommand({RoleName: name}))
    if (!isOwnedBy(tagRecord(found.Role?.Tags), ctx.env.name)) {
      throw new ConflictError(`IAM role ${name} exists but was not created by mygate for environment ${ctx.env.name}`, {
        hint: 'name the roles to use in the environment file (aws.clusterRoleArn, aws.nodeRoleArn), or delete that role',
      })
    }
    return found.Role!.Arn!
  } catch (error) {
    if (isAwsError(error, 'NoSuchEntity', 'NoSuchEntityException')) return undefined
    throw error
  }
}

/** Deletes the roles mygate created for this cluster (never roles named in the environment file). */
export async function destroyRoles(ctx: RegionContext, report: DestroyReport): Promise<void> {
  const {iam: client, sdk} = ctx.clients
  const iam = sdk.iam
  for (const spec of roleSpecs(ctx)) {
    const resource = `IAM role ${spec.name}`
    try {
      const found = await client.send(new iam.GetRoleCommand({RoleName: spec.name}))
      if (!isOwnedBy(tagRecord(found.Role?.Tags), ctx.env.name)) continue
      const attached = await client.send(new iam.ListAttachedRolePoliciesCommand({RoleName: spec.name}))
      for (const policy of attached.AttachedPolicies ?? []) {
        await client.send(new iam.DetachRolePolicyCommand({RoleName: spec.name, PolicyArn: policy.PolicyArn!}))
      }
      const inline = await client.send(new iam.ListRolePoliciesCommand({RoleName: spec.name}))
      for (const policyName of inline.PolicyNames ?? []) {
        await client.send(new iam.DeleteRolePolicyCommand({RoleName: spec.name, PolicyName: policyName}))
      }
      const profiles = await client.send(new iam.ListInstanceProfilesForRoleCommand({RoleName: spec.name}))
      for (const profile of profiles.InstanceProfiles ?? []) {
        await client.send(
          new iam.RemoveRoleFromInstanceProfileCommand({RoleName: spec.name, InstanceProfileName: profile.InstanceProfileName!}),
        )
      }
      await client.send(new iam.DeleteRoleCommand({RoleName: spec.name}))
      report.removed.push(resource)
      ctx.progress.update(`${ctx.region}: deleted ${resource}`)
    } catch (error) {
      if (isAwsError(error, 'NoSuchEntity', 'NoSuchEntityException')) continue
      report.leftBehind.push({resource, reason: awsMessage(error)})
    }
  }
}
