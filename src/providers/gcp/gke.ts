import type {ClusterManagerClient, protos} from '@google-cloud/container'

import type {EnvironmentSpec} from '../../config/types.js'
import {formatDuration} from '../../duration.js'
import {ConflictError, ExternalError, TimeoutError} from '../../errors.js'
import type {ClusterPlan, DestroyReport, NodeGroupPlan, Progress} from '../types.js'
import {POD_RANGE_NAME, SERVICE_RANGE_NAME, type SubnetworkPlan} from './address-plan.js'
import {gcpFailure, gcpMessage, gcpStatus} from './errors.js'
import {gkeLabels, isOwnedBy} from './names.js'

type Cluster = protos.google.container.v1.ICluster
type Operation = protos.google.container.v1.IOperation
type NodePool = protos.google.container.v1.INodePool

/** Everything the steps of one location need. */
export interface GkeContext {
  client: ClusterManagerClient
  env: EnvironmentSpec
  project: string
  plan: ClusterPlan
  /** The shared VPC network and this location's subnetwork (address plan: top of network.ts). */
  network: string
  subnetwork: SubnetworkPlan
  progress: Progress
  pollIntervalMs: number
  timeoutMs: number
}

/** What polling an operation needs: a narrower view of GkeContext, so node pool resizes can use it too. */
export type OperationContext = Pick<GkeContext, 'client' | 'project' | 'pollIntervalMs' | 'timeoutMs'> & {plan: Pick<ClusterPlan, 'region'>}

const parentOf = (ctx: OperationContext) => `projects/${ctx.project}/locations/${ctx.plan.region}`
const clusterPath = (ctx: GkeContext) => `${parentOf(ctx)}/clusters/${ctx.plan.clusterName}`
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Enums arrive as names over gRPC and may arrive as numbers over REST; compare by name. */
const OPERATION_STATUS = ['STATUS_UNSPECIFIED', 'PENDING', 'RUNNING', 'DONE', 'ABORTING']
const CLUSTER_STATUS = ['STATUS_UNSPECIFIED', 'PROVISIONING', 'RUNNING', 'RECONCILING', 'STOPPING', 'ERROR', 'DEGRADED']
function enumName(value: unknown, names: string[]): string {
  return typeof value === 'number' ? (names[value] ?? String(value)) : String(value ?? '')
}

export async function getCluster(ctx: GkeContext): Promise<Cluster | undefined> {
  try {
    const [cluster] = await ctx.client.getCluster({name: clusterPath(ctx)})
    return cluster
  } catch (error) {
    if (gcpStatus(error) === 'NOT_FOUND') return undefined
    throw gcpFailure(`reading cluster ${ctx.plan.clusterName}`, error)
  }
}

/**
 * Polls a long-running operation until DONE. An operation that ends with an error is an
 * ExternalError carrying GKE's message; running past the time-out is a TimeoutError.
 */
export async function waitForOperation(ctx: OperationContext, operation: Operation, what: string): Promise<void> {
  const name = operation.name?.includes('/') ? operation.name : `${parentOf(ctx)}/operations/${operation.name}`
  const deadline = Date.now() + ctx.timeoutMs
  let current = operation
  while (enumName(current.status, OPERATION_STATUS) !== 'DONE') {
    if (Date.now() + ctx.pollIntervalMs > deadline) {
      throw new TimeoutError(`timed out after ${formatDuration(ctx.timeoutMs)} waiting for GKE to finish ${what} (operation ${current.name})`, {
        hint: 're-run the same command to keep waiting (mygate picks up where it stopped)',
      })
    }
    await sleep(ctx.pollIntervalMs)
    try {
      ;[current] = await ctx.client.getOperation({name})
    } catch (error) {
      throw gcpFailure(`reading operation ${name}`, error)
    }
  }
  if (current.error?.message || (current.error?.code ?? 0) !== 0) {
    throw new ExternalError(`GKE failed ${what}: ${current.error?.message || `error code ${current.error?.code}`}`, {
      hint: `see operation ${current.name} in the Google Cloud console; fix the cause and re-run`,
      details: {operation: current.name, code: current.error?.code},
    })
  }
}

export function nodePoolRequest(group: NodeGroupPlan): NodePool {
  return {
    name: group.name,
    initialNodeCount: group.desiredSize,
    autoscaling: {enabled: true, minNodeCount: group.minSize, maxNodeCount: group.maxSize},
    management: {autoRepair: true, autoUpgrade: true},
    config: {
      machineType: group.instanceTypes[0],
      spot: group.capacity === 'spot',
      labels: group.labels,
      oauthScopes: ['https://www.googleapis.com/auth/cloud-platform'],
    },
  }
}

/**
 * Where the cluster goes: the shared network, its location's subnetwork, and VPC-native Pod and
 * Service addresses from the subnetwork's two secondary ranges (GKE's ipAllocationPolicy).
 */
export function clusterNetworkRequest(ctx: Pick<GkeContext, 'network' | 'subnetwork'>): Pick<Cluster, 'network' | 'subnetwork' | 'ipAllocationPolicy'> {
  return {
    network: ctx.network,
    subnetwork: ctx.subnetwork.name,
    ipAllocationPolicy: {useIpAliases: true, clusterSecondaryRangeName: POD_RANGE_NAME, servicesSecondaryRangeName: SERVICE_RANGE_NAME},
  }
}

function checkReusable(ctx: GkeContext, cluster: Cluster): void {
  if (!isOwnedBy(cluster.resourceLabels as Record<string, string> | null | undefined, ctx.env.name)) {
    throw new ConflictError(`GKE cluster ${ctx.plan.clusterName} in ${ctx.plan.region} exists but is not labelled for mygate environment ${ctx.env.name}`, {
      hint: 'use another environment name, or the kubeconfig provider to run on that cluster',
    })
  }
  const status = enumName(cluster.status, CLUSTER_STATUS)
  if (status === 'ERROR' || status === 'STOPPING') {
    throw new ExternalError(`GKE cluster ${ctx.plan.clusterName} in ${ctx.plan.region} is ${status}: ${cluster.statusMessage ?? ''}`.trim(), {
      hint: `run \`mygate env destroy ${ctx.env.name}\` and create it again`,
    })
  }
}

/** Waits for a cluster that exists but is busy (PROVISIONING, RECONCILING) to be RUNNING. */
async function waitForRunning(ctx: GkeContext): Promise<Cluster> {
  const deadline = Date.now() + ctx.timeoutMs
  for (;;) {
    const cluster = await getCluster(ctx)
    if (!cluster) throw new ExternalError(`GKE cluster ${ctx.plan.clusterName} disappeared while mygate was waiting for it`)
    checkReusable(ctx, cluster)
    if (enumName(cluster.status, CLUSTER_STATUS) === 'RUNNING') return cluster
    if (Date.now() + ctx.pollIntervalMs > deadline) {
      throw new TimeoutError(`timed out after ${formatDuration(ctx.timeoutMs)} waiting for GKE cluster ${ctx.plan.clusterName} to be RUNNING`, {
        hint: 're-run the same command to keep waiting',
      })
    }
    await sleep(ctx.pollIntervalMs)
  }
}

/** Creates the cluster with its node pools unless it exists; adds missing pools; waits. */
export async function ensureGkeCluster(ctx: GkeContext): Promise<Cluster> {
  const {plan} = ctx
  let cluster = await getCluster(ctx)
  if (!cluster) {
    try {
      const [operation] = await ctx.client.createCluster({
        parent: parentOf(ctx),
        cluster: {
          name: plan.clusterName,
          initialClusterVersion: plan.kubernetesVersion,
          resourceLabels: gkeLabels(ctx.env, plan.region, plan.role),
          ...clusterNetworkRequest(ctx),
          // Workload Identity: backup Jobs act as a Google service account, never with a key file.
          workloadIdentityConfig: {workloadPool: `${ctx.project}.svc.id.goog`},
          nodePools: plan.nodeGroups.map(nodePoolRequest),
        },
      })
      ctx.progress.update(`${plan.region}: creating GKE cluster ${plan.clusterName} (GKE usually takes 5-10 minutes)`)
      await waitForOperation(ctx, operation, `creating cluster ${plan.clusterName}`)
      ctx.progress.update(`${plan.region}: GKE cluster ${plan.clusterName} RUNNING`)
    } catch (error) {
      if (gcpStatus(error) !== 'ALREADY_EXISTS') {
        if (error instanceof ExternalError || error instanceof TimeoutError) throw error
        throw gcpFailure(`creating cluster ${plan.clusterName}`, error)
      }
      ctx.progress.update(`${plan.region}: GKE cluster ${plan.clusterName} already exists, reusing it`)
    }
  }
  cluster = await waitForRunning(ctx)

  const present = new Set((cluster.nodePools ?? []).map((pool) => pool.name))
  for (const group of plan.nodeGroups) {
    if (present.has(group.name)) continue
    await createNodePool(ctx, group)
  }
  return cluster
}

async function createNodePool(ctx: GkeContext, group: NodeGroupPlan): Promise<void> {
  const deadline = Date.now() + ctx.timeoutMs
  for (;;) {
    try {
      const [operation] = await ctx.client.createNodePool({parent: clusterPath(ctx), nodePool: nodePoolRequest(group)})
      ctx.progress.update(`${ctx.plan.region}: creating node pool ${group.name} (${group.capacity})`)
      await waitForOperation(ctx, operation, `creating node pool ${group.name} of ${ctx.plan.clusterName}`)
      ctx.progress.update(`${ctx.plan.region}: node pool ${group.name} RUNNING`)
      return
    } catch (error) {
      if (error instanceof ExternalError || error instanceof TimeoutError) throw error
      const status = gcpStatus(error)
      if (status === 'ALREADY_EXISTS') return
      // GKE runs one operation per cluster at a time; another one (an upgrade) makes us wait.
      if (status === 'FAILED_PRECONDITION' && Date.now() + ctx.pollIntervalMs < deadline) {
        await sleep(ctx.pollIntervalMs)
        continue
      }
      throw gcpFailure(`creating node pool ${group.name} of ${ctx.plan.clusterName}`, error)
    }
  }
}

/**
 * Deletes the cluster (GKE deletes its node pools with it) when mygate made it for this
 * environment. True when no cluster of that name is left (so its subnetwork may go).
 */
export async function destroyGkeCluster(ctx: GkeContext, report: DestroyReport): Promise<boolean> {
  const resource = `GKE cluster ${ctx.plan.clusterName} (${ctx.plan.region})`
  try {
    const cluster = await getCluster(ctx)
    if (!cluster) return true
    if (!isOwnedBy(cluster.resourceLabels as Record<string, string> | null | undefined, ctx.env.name)) {
      report.leftBehind.push({resource, reason: `not labelled mygate-environment=${ctx.env.name}, so mygate did not create it`})
      return false
    }
    const [operation] = await ctx.client.deleteCluster({name: clusterPath(ctx)})
    ctx.progress.update(`${ctx.plan.region}: deleting ${resource}`)
    await waitForOperation(ctx, operation, `deleting cluster ${ctx.plan.clusterName}`)
    for (const pool of cluster.nodePools ?? []) report.removed.push(`node pool ${pool.name} of ${ctx.plan.clusterName}`)
    report.removed.push(resource)
    return true
  } catch (error) {
    if (gcpStatus(error) === 'NOT_FOUND') return true
    report.leftBehind.push({resource, reason: error instanceof Error && !gcpStatus(error) ? error.message : gcpMessage(error)})
    return false
  }
}
