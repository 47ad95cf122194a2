import type {Cluster, Nodegroup} from '@aws-sdk/client-eks'

import {ConflictError, ExternalError} from '../../errors.js'
import type {DestroyReport, NodeGroupPlan} from '../types.js'
import {EKS_SERVICE_CIDR} from './address-plan.js'
import type {RegionContext} from './context.js'
import {awsFailure, awsMessage, isAwsError, isWaiterTimeout, waiterTimeout} from './errors.js'
import {TAG, isOwnedBy} from './names.js'

/** The EKS cluster and its managed node groups: create when missing, reuse when present, wait. */

export interface ClusterInputs {
  version: string
  subnetIds: string[]
  clusterRoleArn: string
}

export interface NodegroupInputs {
  subnetIds: string[]
  nodeRoleArn: string
}

const waiterParams = (ctx: RegionContext) => ({
  client: ctx.clients.eks,
  maxWaitTime: ctx.wait.maxWaitSeconds,
  minDelay: ctx.wait.minDelaySeconds,
  maxDelay: Math.max(ctx.wait.minDelaySeconds, 60),
})

async function describeCluster(ctx: RegionContext): Promise<Cluster | undefined> {
  try {
    const answer = await ctx.clients.eks.send(new ctx.clients.sdk.eks.DescribeClusterCommand({name: ctx.clusterName}))
    return answer.cluster
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) return undefined
    throw awsFailure(`describing EKS cluster ${ctx.clusterName}`, error)
  }
}

function checkReusable(ctx: RegionContext, cluster: Cluster): void {
  if (!isOwnedBy(cluster.tags, ctx.env.name)) {
    throw new ConflictError(`EKS cluster ${ctx.clusterName} in ${ctx.region} exists but is not tagged for mygate environment ${ctx.env.name}`, {
      hint: 'use another environment name, or the kubeconfig provider to run on that cluster',
    })
  }
  if (cluster.status === 'FAILED') {
    throw new ExternalError(`EKS cluster ${ctx.clusterName} in ${ctx.region} is FAILED`, {
      hint: `run \`mygate env destroy ${ctx.env.name}\` and create it again`,
    })
  }
  if (cluster.status === 'DELETING') {
    throw new ConflictError(`EKS cluster ${ctx.clusterName} in ${ctx.region} is being deleted`, {
      hint: 'wait for the deletion to finish, then re-run',
    })
  }
}

/** Creates the cluster unless it exists, then waits for ACTIVE. Returns the ACTIVE cluster. */
export async function ensureCluster(ctx: RegionContext, inputs: ClusterInputs): Promise<Cluster> {
  const eks = ctx.clients.sdk.eks
  let cluster = await describeCluster(ctx)
  if (cluster) {
    checkReusable(ctx, cluster)
  } else {
    try {
      await ctx.clients.eks.send(
        new eks.CreateClusterCommand({
          name: ctx.clusterName,
          version: inputs.version,
          roleArn: inputs.clusterRoleArn,
          resourcesVpcConfig: {subnetIds: inputs.subnetIds, endpointPublicAccess: true, endpointPrivateAccess: true},
          // Chosen, not left to EKS: clear of both regions' VPC ranges (address plan, top of network.ts).
          kubernetesNetworkConfig: {serviceIpv4Cidr: EKS_SERVICE_CIDR},
          // The creator gets cluster-admin through an access entry, so the kubeconfig works at once.
          accessConfig: {authenticationMode: 'API_AND_CONFIG_MAP', bootstrapClusterCreatorAdminPermissions: true},
          tags: ctx.tags,
        }),
      )
      ctx.progress.update(`${ctx.region}: creating EKS cluster ${ctx.clusterName} (Kubernetes ${inputs.version})`)
    } catch (error) {
      // Created meanwhile by another run (or a retried request that did succeed): reuse it.
      if (!isAwsError(error, 'ResourceInUseException')) throw awsFailure(`creating EKS cluster ${ctx.clusterName}`, error)
      ctx.progress.update(`${ctx.region}: EKS cluster ${ctx.clusterName} already exists, reusing it`)
    }
    cluster = await describeCluster(ctx)
    if (cluster) checkReusable(ctx, cluster)
  }
  if (cluster?.status !== 'ACTIVE') {
    ctx.progress.update(`${ctx.region}: waiting for EKS cluster ${ctx.clusterName} to become ACTIVE (EKS usually takes 10-15 minutes)`)
    const started = Date.now()
    try {
      await eks.waitUntilClusterActive(waiterParams(ctx), {name: ctx.clusterName})
    } catch (error) {
      if (isWaiterTimeout(error)) throw waiterTimeout(`EKS cluster ${ctx.clusterName} to become ACTIVE`, ctx.wait.maxWaitSeconds, error)
      const now = await describeCluster(ctx)
      throw new ExternalError(`EKS cluster ${ctx.clusterName} in ${ctx.region} did not become ACTIVE (status ${now?.status ?? 'gone'})`, {
        hint: 'see the cluster in the EKS console for the reason, then destroy and re-create the environment',
        cause: error,
      })
    }
    ctx.progress.update(`${ctx.region}: EKS cluster ${ctx.clusterName} ACTIVE after ${Math.round((Date.now() - started) / 1000)}s`)
    cluster = await describeCluster(ctx)
  }
  if (!cluster) throw new ExternalError(`EKS cluster ${ctx.clusterName} disappeared while mygate was waiting for it`)
  return cluster
}

async function describeNodegroup(ctx: RegionContext, name: string): Promise<Nodegroup | undefined> {
  try {
    const answer = await ctx.clients.eks.send(
      new ctx.clients.sdk.eks.DescribeNodegroupCommand({clusterName: ctx.clusterName, nodegroupName: name}),
    )
    return answer.nodegroup
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) return undefined
    throw awsFailure(`describing node group ${name} of ${ctx.clusterName}`, error)
  }
}

/** AWS's reasons for a broken node group: its health issues, e.g. "AsgInstanceLaunchFailures: ...". */
export function nodegroupFailure(ctx: RegionContext, nodegroup: Nodegroup | undefined, name: string, cause?: unknown): ExternalError {
  const issues = (nodegroup?.health?.issues ?? []).map((issue) => `${issue.code ?? 'Unknown'}: ${issue.message ?? 'no message'}`)
  const reason = issues.length > 0 ? issues.join('; ') : 'AWS gave no reason'
  return new ExternalError(
    `node group ${name} of EKS cluster ${ctx.clusterName} failed (${nodegroup?.status ?? 'gone'}): ${reason}`,
    {
      hint: `fix the cause, delete the node group (aws eks delete-nodegroup --cluster-name ${ctx.clusterName} --nodegroup-name ${name} --region ${ctx.region}) and re-run`,
      details: {cluster: ctx.clusterName, region: ctx.region, nodegroup: name, status: nodegroup?.status, issues},
      cause,
    },
  )
}

const FAILED_NODEGROUP = new Set(['CREATE_FAILED', 'DEGRADED', 'DELETE_FAILED'])

export async function ensureNodegroup(ctx: RegionContext, plan: NodeGroupPlan, inputs: NodegroupInputs): Promise<Nodegroup> {
  const eks = ctx.clients.sdk.eks
  let nodegroup = await describeNodegroup(ctx, plan.name)
  if (!nodegroup) {
    try {
      await ctx.clients.eks.send(
        new eks.CreateNodegroupCommand({
          clusterName: ctx.clusterName,
          nodegroupName: plan.name,
          capacityType: plan.capacity === 'spot' ? 'SPOT' : 'ON_DEMAND',
          instanceTypes: plan.instanceTypes,
          scalingConfig: {minSize: plan.minSize, maxSize: plan.maxSize, desiredSize: plan.desiredSize},
          subnets: inputs.subnetIds,
          nodeRole: inputs.nodeRoleArn,
          labels: plan.labels,
          tags: {...ctx.tags, [TAG.component]: plan.name},
        }),
      )
      ctx.progress.update(`${ctx.region}: creating node group ${plan.name} (${plan.capacity}, ${plan.desiredSize} x ${plan.instanceTypes.join('|')})`)
    } catch (error) {
      if (!isAwsError(error, 'ResourceInUseException')) throw awsFailure(`creating node group ${plan.name} of ${ctx.clusterName}`, error)
      ctx.progress.update(`${ctx.region}: node group ${plan.name} already exists, reusing it`)
    }
    nodegroup = await describeNodegroup(ctx, plan.name)
  }
  if (nodegroup && FAILED_NODEGROUP.has(nodegroup.status ?? '')) throw nodegroupFailure(ctx, nodegroup, plan.name)
  if (nodegroup?.status !== 'ACTIVE') {
    ctx.progress.update(`${ctx.region}: waiting for node group ${plan.name} to become ACTIVE`)
    try {
      await eks.waitUntilNodegroupActive(waiterParams(ctx), {clusterName: ctx.clusterName, nodegroupName: plan.name})
    } catch (error) {
      if (isWaiterTimeout(error)) {
        throw waiterTimeout(`node group ${plan.name} of EKS cluster ${ctx.clusterName} to become ACTIVE`, ctx.wait.maxWaitSeconds, error)
      }
      throw nodegroupFailure(ctx, await describeNodegroup(ctx, plan.name), plan.name, error)
    }
    nodegroup = await describeNodegroup(ctx, plan.name)
    ctx.progress.update(`${ctx.region}: node group ${plan.name} ACTIVE`)
  }
  return nodegroup!
}

/**
 * Deletes the node groups, then the cluster, waiting for each. Returns false when the cluster
 * is still there (so the network and roles it uses must stay too).
 */
export async function destroyCluster(ctx: RegionContext, report: DestroyReport): Promise<boolean> {
  const eks = ctx.clients.sdk.eks
  const resource = `EKS cluster ${ctx.clusterName} (${ctx.region})`
  let cluster: Cluster | undefined
  try {
    cluster = await describeCluster(ctx)
  } catch (error) {
    report.leftBehind.push({resource, reason: awsMessage(error)})
    return false
  }
  if (!cluster) return true
  if (!isOwnedBy(cluster.tags, ctx.env.name)) {
    report.leftBehind.push({resource, reason: `not tagged ${TAG.environment}=${ctx.env.name}, so mygate did not create it`})
    return false
  }

  const names: string[] = []
  try {
    for await (const page of eks.paginateListNodegroups({client: ctx.clients.eks}, {clusterName: ctx.clusterName})) {
      names.push(...(page.nodegroups ?? []))
    }
  } catch (error) {
    report.leftBehind.push({resource, reason: `listing its node groups failed: ${awsMessage(error)}`})
    return false
  }
  const results = await Promise.all(
    names.map(async (name) => {
      const what = `node group ${name} of ${ctx.clusterName}`
      try {
        try {
          await ctx.clients.eks.send(new eks.DeleteNodegroupCommand({clusterName: ctx.clusterName, nodegroupName: name}))
          ctx.progress.update(`${ctx.region}: deleting ${what}`)
        } catch (error) {
          // Already being deleted (ResourceInUse) or gone: wait for the end either way.
          if (!isAwsError(error, 'ResourceInUseException', 'ResourceNotFoundException')) throw error
        }
        await eks.waitUntilNodegroupDeleted(waiterParams(ctx), {clusterName: ctx.clusterName, nodegroupName: name})
        report.removed.push(what)
        return true
      } catch (error) {
        const reason = isWaiterTimeout(error) ? `still deleting after ${ctx.wait.maxWaitSeconds}s` : awsMessage(error)
        report.leftBehind.push({resource: what, reason})
        return false
      }
    }),
  )
  if (results.includes(false)) {
    report.leftBehind.push({resource, reason: 'its node groups could not all be deleted'})
    return false
  }

  try {
    try {
      await ctx.clients.eks.send(new eks.DeleteClusterCommand({name: ctx.clusterName}))
      ctx.progress.update(`${ctx.region}: deleting ${resource}`)
    } catch (error) {
      if (!isAwsError(error, 'ResourceInUseException', 'ResourceNotFoundException')) throw error
    }
    await eks.waitUntilClusterDeleted(waiterParams(ctx), {name: ctx.clusterName})
    report.removed.push(resource)
    return true
  } catch (error) {
    const reason = isWaiterTimeout(error) ? `still deleting after ${ctx.wait.maxWaitSeconds}s` : awsMessage(error)
    report.leftBehind.push({resource, reason})
    return false
  }
}
