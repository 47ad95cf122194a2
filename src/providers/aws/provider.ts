import {mygateExecutable} from '../../auth/executable.js'
import type {ServiceDescriptor} from '../../catalog/types.js'
import type {EnvironmentSpec} from '../../config/types.js'
import {ExternalError} from '../../errors.js'
import {environmentKubeconfigPath, writeKubeconfigFile} from '../../kube/kubeconfig/files.js'
import type {ClusterHandle, ClusterProvider, DestroyReport, KubeconfigRef, Progress} from '../types.js'
import {type AwsClientConfig, type AwsRegionClients, createRegionClients, destroyRegionClients} from './clients.js'
import {environmentRegions} from '../naming.js'
import {type RegionContext, type WaitSettings, regionContext} from './context.js'
import {destroyCluster, ensureCluster, ensureNodegroup} from './eks.js'
import {awsFailure} from './errors.js'
import {destroyRoles, ensureRoles} from './iam.js'
import {destroyBackupIdentity, ensureAwsBackupSite, settleAwsBackupSite} from './backup-site.js'
import {type EksKubeconfigCluster, eksKubeconfig} from './kubeconfig.js'
import {type Network, describeNamedNetwork, destroyNetwork, ensureNetwork} from './network.js'
import {planAwsClusters, usesOwnNetwork} from './plan.js'
import {destroyRegionLink, ensureRegionLink} from './region-link.js'
import {checkAwsCredentials, checkAwsRegions, checkRegionOffered, offeredRegions, validationRegion} from './validate.js'

export interface AwsProviderOptions {
  /** The catalog's descriptors: decide whether a spot node group is needed. */
  services?: ServiceDescriptor[]
  /** Passed to every SDK client (endpoint, credentials, retries, request handler). */
  clientConfig?: AwsClientConfig
  /** Longest wait for one cluster or node group to become ACTIVE or deleted. Default 1800 s. */
  waiterMaxWaitSeconds?: number
  /** First poll delay of the waiters (they back off up to 60 s). Default 15 s. */
  waiterMinDelaySeconds?: number
  /** Command in the kubeconfig `exec` user. Default: the running mygate's absolute path, else `mygate`. */
  execCommand?: string
  /** Process environment (MYGATE_HOME, AWS_PROFILE). Default process.env. */
  processEnv?: NodeJS.ProcessEnv
}

const DEFAULT_MAX_WAIT_SECONDS = 1800
const DEFAULT_MIN_DELAY_SECONDS = 15

/**
 * EKS clusters, one per region: network and IAM roles as eksctl makes them (unless the environment
 * names its own), the cluster, managed node groups. Every step finds what exists before creating,
 * so a re-run converges and an interrupted create completes.
 */
export function createAwsProvider(options: AwsProviderOptions = {}): ClusterProvider {
  const wait: WaitSettings = {
    maxWaitSeconds: options.waiterMaxWaitSeconds ?? DEFAULT_MAX_WAIT_SECONDS,
    minDelaySeconds: options.waiterMinDelaySeconds ?? DEFAULT_MIN_DELAY_SECONDS,
  }
  const processEnv = options.processEnv ?? process.env

  /** Clients for every region of the environment, handed to `run` as one context per region, primary first. */
  async function withContexts<T>(env: EnvironmentSpec, progress: Progress, run: (contexts: RegionContext[]) => Promise<T>): Promise<T> {
    const regions = environmentRegions(env)
    const clients: AwsRegionClients[] = []
    try {
      for (const {region} of regions) clients.push(await createRegionClients(region, options.clientConfig))
      return await run(regions.map(({region, role}, index) => regionContext(env, region, role, clients[index], progress, wait)))
    } finally {
      for (const client of clients) destroyRegionClients(client)
    }
  }

  /** Regions are independent: building them side by side halves the wait for a two-region env. */
  async function withRegions<T>(env: EnvironmentSpec, progress: Progress, run: (ctx: RegionContext) => Promise<T>): Promise<T[]> {
    return withContexts(env, progress, (contexts) => Promise.all(contexts.map(run)))
  }

  /**
   * The network of each region: the VPC mygate makes, or (primary with aws.subnetIds) the VPC of
   * the named subnets, read only when a second region has to be linked to it.
   */
  async function regionNetwork(env: EnvironmentSpec, ctx: RegionContext, linked: boolean): Promise<Network | undefined> {
    if (usesOwnNetwork(env, ctx.role)) return ensureNetwork(ctx)
    return linked ? describeNamedNetwork(ctx, env.aws!.subnetIds!) : undefined
  }

  return {
    name: 'aws',

    async validate(env) {
      checkAwsRegions(env)
      const clients = await createRegionClients(validationRegion(env.regions.primary), options.clientConfig)
      try {
        await checkAwsCredentials(clients)
        checkRegionOffered(env, await offeredRegions(clients))
      } finally {
        destroyRegionClients(clients)
      }
    },

    planClusters(env) {
      return planAwsClusters(env, options.services)
    },

    async ensureClusters(env, progress) {
      const plans = planAwsClusters(env, options.services)
      return withContexts(env, progress, async (contexts) => {
        const linked = contexts.length > 1
        const networks = await Promise.all(contexts.map((ctx) => regionNetwork(env, ctx, linked)))
        // Before the clusters: a link that cannot be made (overlapping VPCs) fails in seconds, not after them.
        if (linked) await ensureRegionLink({ctx: contexts[0], network: networks[0]!}, {ctx: contexts[1], network: networks[1]!})
        return Promise.all(
          contexts.map(async (ctx, index): Promise<ClusterHandle> => {
            const plan = plans.find((candidate) => candidate.region === ctx.region)!
            const network = usesOwnNetwork(env, ctx.role) ? networks[index] : undefined
            const roles = await ensureRoles(ctx)
            const subnetIds = network ? [...network.publicSubnetIds, ...network.privateSubnetIds] : env.aws!.subnetIds!
            // Nodes go to the public subnets (eksctl's default): the private ones have no NAT egress.
            const nodeSubnets = network ? network.publicSubnetIds : env.aws!.subnetIds!
            const cluster = await ensureCluster(ctx, {
              version: plan.kubernetesVersion!,
              subnetIds,
              clusterRoleArn: roles.clusterRoleArn,
            })
            await Promise.all(plan.nodeGroups.map((group) => ensureNodegroup(ctx, group, {subnetIds: nodeSubnets, nodeRoleArn: roles.nodeRoleArn})))
            // After the cluster: the backup role trusts the cluster's own OIDC issuer.
            const backup = await ensureAwsBackupSite(ctx, cluster, options.clientConfig)
            return {region: ctx.region, role: ctx.role, clusterName: ctx.clusterName, endpoint: cluster.endpoint, context: ctx.clusterName, backup}
          }),
        )
      })
    },

    async writeKubeconfig(env, clusters): Promise<KubeconfigRef> {
      const entries = await withRegions(env, {update() {}}, async (ctx): Promise<EksKubeconfigCluster | undefined> => {
        const handle = clusters.find((candidate) => candidate.region === ctx.region)
        if (!handle) return undefined
        let answer
        try {
          answer = await ctx.clients.eks.send(new ctx.clients.sdk.eks.DescribeClusterCommand({name: handle.clusterName}))
        } catch (error) {
          throw awsFailure(`describing EKS cluster ${handle.clusterName}`, error)
        }
        const endpoint = answer.cluster?.endpoint
        if (!endpoint) {
          throw new ExternalError(`EKS cluster ${handle.clusterName} has no API endpoint yet (status ${answer.cluster?.status})`, {
            hint: `re-run \`mygate env create ${env.name}\` to wait until it is ACTIVE`,
          })
        }
        return {
          name: handle.context,
          region: ctx.region,
          endpoint,
          certificateAuthorityData: answer.cluster?.certificateAuthority?.data,
        }
      })
      const present = entries.filter((entry): entry is EksKubeconfigCluster => entry !== undefined)
      const path = environmentKubeconfigPath(env.name, processEnv)
      await writeKubeconfigFile(
        path,
        eksKubeconfig(present, {command: options.execCommand ?? mygateExecutable(), profile: processEnv.AWS_PROFILE || undefined}),
      )
      return {path, contexts: Object.fromEntries(present.map((entry) => [entry.region, entry.name]))}
    },

    async destroyClusters(env, progress, destroyOptions = {}): Promise<DestroyReport> {
      return withContexts(env, progress, async (contexts) => {
        // Routes, peering and database security groups first: the VPCs cannot go while they exist.
        const link: DestroyReport = {removed: [], leftBehind: []}
        await destroyRegionLink(contexts, link)
        const reports = await Promise.all(
          contexts.map(async (ctx) => {
            const report: DestroyReport = {removed: [], leftBehind: [], kept: []}
            // Backups outlive the environment unless asked; the bucket does not depend on the cluster.
            await settleAwsBackupSite(env.name, ctx.region, Boolean(destroyOptions.deleteBackups), report, options.clientConfig)
            const clusterGone = await destroyCluster(ctx, report)
            if (!clusterGone) {
              report.leftBehind.push({resource: `VPC and IAM roles of ${ctx.clusterName}`, reason: 'kept because the cluster still exists'})
              return report
            }
            try {
              await destroyNetwork(ctx, report)
            } catch (error) {
              report.leftBehind.push({resource: `VPC of ${ctx.clusterName}`, reason: awsFailure('listing the VPC', error).message})
            }
            await destroyBackupIdentity(ctx, report)
            await destroyRoles(ctx, report)
            return report
          }),
        )
        return {
          removed: [link, ...reports].flatMap((report) => report.removed),
          leftBehind: [link, ...reports].flatMap((report) => report.leftBehind),
          kept: reports.flatMap((report) => report.kept ?? []),
        }
      })
    },
  }
}
