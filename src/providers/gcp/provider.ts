import type {ClusterManagerClient} from '@google-cloud/container'

import type {ServiceDescriptor} from '../../catalog/types.js'
import type {EnvironmentSpec} from '../../config/types.js'
import {ExternalError, UsageError} from '../../errors.js'
import {environmentKubeconfigPath, writeKubeconfigFile} from '../../kube/kubeconfig/files.js'
import type {ClusterHandle, ClusterProvider, DestroyReport, KubeconfigRef, Progress} from '../types.js'
import {gcpFailure, gcpMessage, gcpStatus, isMissingGoogleCredentials, noGoogleCredentialsError} from './errors.js'
import {type GkeContext, destroyGkeCluster, ensureGkeCluster, getCluster} from './gke.js'
import {type GkeKubeconfigCluster, gkeKubeconfig} from './kubeconfig.js'
import {checkDistinctRegions} from '../naming.js'
import {GCP_LOCATION_PATTERN, gkeContextName, resolveProject} from './names.js'
import {planGcpClusters} from './plan.js'
import {planGcpNetwork} from './address-plan.js'
import {DEFAULT_COMPUTE_ENDPOINT, createComputeClient} from './compute.js'
import {type NetworkContext, destroyGcpNetwork, ensureGcpNetwork} from './network.js'
import {DEFAULT_SITE_ENDPOINTS, type GcpSiteContext, type GcpSiteEndpoints, type SiteRequest, backupServiceAccountEmail, ensureGcpBackupSite, settleGcpBackupSite} from './backup-site.js'

export interface GcpProviderOptions {
  /** The catalog's descriptors: decide whether a spot node pool is needed. */
  services?: ServiceDescriptor[]
  /** Passed to ClusterManagerClient (credentials, apiEndpoint, fallback...). */
  clientOptions?: ConstructorParameters<typeof ClusterManagerClient>[0]
  /** How often a long-running operation is polled. Default 5000 ms. */
  pollIntervalMs?: number
  /** Longest wait for one operation. Default 30 minutes. */
  timeoutMs?: number
  /** Process environment (MYGATE_HOME, GOOGLE_CLOUD_PROJECT). Default process.env. */
  processEnv?: NodeJS.ProcessEnv
  /** Base URL of the Compute Engine v1 REST API (networks). Default https://compute.googleapis.com/compute/v1. */
  computeEndpoint?: string
  /** Base URLs of Cloud KMS, IAM and Cloud Storage (the backup site). Default: Google's. */
  siteEndpoints?: Partial<GcpSiteEndpoints>
}

/**
 * GKE clusters, one per location, with node pools (spot where the catalog allows), every
 * long-running operation polled to completion. Converges when run again.
 */
export function createGcpProvider(options: GcpProviderOptions = {}): ClusterProvider {
  const processEnv = options.processEnv ?? process.env
  const pollIntervalMs = options.pollIntervalMs ?? 5000
  const timeoutMs = options.timeoutMs ?? 30 * 60_000

  async function withClient<T>(run: (client: ClusterManagerClient) => Promise<T>): Promise<T> {
    // Loaded here only: @google-cloud/container takes about half a second to import.
    const {ClusterManagerClient} = await import('@google-cloud/container')
    const client = new ClusterManagerClient(options.clientOptions)
    try {
      return await run(client)
    } finally {
      await client.close().catch(() => {})
    }
  }

  function contexts(env: EnvironmentSpec, client: ClusterManagerClient, progress: Progress): GkeContext[] {
    const project = resolveProject(env, processEnv)
    const network = planGcpNetwork(env)
    return planGcpClusters(env, options.services).map((plan) => ({
      client,
      env,
      project,
      plan,
      network: network.name,
      subnetwork: network.subnetworks.find((subnetwork) => subnetwork.location === plan.region)!,
      progress,
      pollIntervalMs,
      timeoutMs,
    }))
  }

  /** REST calls go through the OAuth client the GKE client already holds (same credentials, same scopes). */
  function authorizedRequest(client: ClusterManagerClient): SiteRequest {
    return async ({url, method, data}) => {
      const auth = await client.auth.getClient()
      const answer = await auth.request({url, method, data, responseType: 'json', validateStatus: () => true})
      return {status: answer.status, data: answer.data}
    }
  }

  function siteContext(env: EnvironmentSpec, region: string, client: ClusterManagerClient, progress: Progress): GcpSiteContext {
    return {
      project: resolveProject(env, processEnv),
      envName: env.name,
      region,
      request: authorizedRequest(client),
      accessToken: async () => (await client.auth.getAccessToken()) ?? '',
      endpoints: {...DEFAULT_SITE_ENDPOINTS, ...options.siteEndpoints},
      progress,
    }
  }

  /** Compute calls go through the OAuth client the GKE client already holds (same credentials, same scopes). */
  function networkContext(env: EnvironmentSpec, client: ClusterManagerClient, progress: Progress): NetworkContext {
    const project = resolveProject(env, processEnv)
    const request = authorizedRequest(client)
    const compute = createComputeClient({request, endpoint: options.computeEndpoint ?? DEFAULT_COMPUTE_ENDPOINT, project, pollIntervalMs, timeoutMs})
    return {compute, project, envName: env.name, progress}
  }

  return {
    name: 'gcp',

    async validate(env) {
      for (const [flag, location] of [['--region', env.regions.primary], ['--secondary-region', env.regions.secondary]] as const) {
        if (location !== undefined && !GCP_LOCATION_PATTERN.test(location)) {
          throw new UsageError(`${flag} "${location}" is not a GCP region or zone`, {hint: 'use a region such as europe-west1 or a zone such as europe-west1-b'})
        }
      }
      checkDistinctRegions(env.regions)
      const project = resolveProject(env, processEnv)
      await withClient(async (client) => {
        try {
          await client.auth.getAccessToken()
        } catch (error) {
          if (isMissingGoogleCredentials(error)) throw noGoogleCredentialsError(error)
          throw new UsageError(`Google Cloud credentials do not work: ${gcpMessage(error)}`, {
            hint: 'run `gcloud auth application-default login` again',
            cause: error,
          })
        }
        // One cheap call proves the project exists, the API is on and we may use it.
        try {
          await client.listClusters({parent: `projects/${project}/locations/-`})
        } catch (error) {
          const status = gcpStatus(error)
          if (status === 'PERMISSION_DENIED' || status === 'NOT_FOUND' || status === 'UNAUTHENTICATED') {
            throw new UsageError(`GCP project ${project} cannot be used for GKE: ${gcpMessage(error)}`, {
              hint: 'check the project ID, enable the Kubernetes Engine API (gcloud services enable container.googleapis.com) and your roles',
              cause: error,
            })
          }
          throw gcpFailure(`listing clusters of project ${project}`, error)
        }
      })
    },

    planClusters(env) {
      return planGcpClusters(env, options.services)
    },

    async ensureClusters(env, progress) {
      return withClient(async (client) => {
        // The network first: both clusters are created on it and cannot move to another later.
        await ensureGcpNetwork(networkContext(env, client, progress), planGcpNetwork(env))
        return Promise.all(
          contexts(env, client, progress).map(async (ctx): Promise<ClusterHandle> => {
            const cluster = await ensureGkeCluster(ctx)
            const backup = await ensureGcpBackupSite(siteContext(env, ctx.plan.region, client, progress))
            return {
              region: ctx.plan.region,
              role: ctx.plan.role,
              clusterName: ctx.plan.clusterName,
              endpoint: cluster.endpoint ? `https://${cluster.endpoint}` : undefined,
              context: gkeContextName(env.name, ctx.plan.region),
              backup,
            }
          }),
        )
      })
    },

    async writeKubeconfig(env, clusters): Promise<KubeconfigRef> {
      const entries = await withClient(async (client) =>
        Promise.all(
          contexts(env, client, {update() {}})
            .filter((ctx) => clusters.some((handle) => handle.region === ctx.plan.region))
            .map(async (ctx): Promise<GkeKubeconfigCluster> => {
              const handle = clusters.find((candidate) => candidate.region === ctx.plan.region)!
              const cluster = await getCluster(ctx)
              if (!cluster?.endpoint) {
                throw new ExternalError(`GKE cluster ${ctx.plan.clusterName} has no endpoint yet`, {
                  hint: `re-run \`mygate env create ${env.name}\` to wait until it is RUNNING`,
                })
              }
              return {
                name: handle.context,
                endpoint: cluster.endpoint,
                certificateAuthorityData: cluster.masterAuth?.clusterCaCertificate ?? undefined,
              }
            }),
        ),
      )
      const path = environmentKubeconfigPath(env.name, processEnv)
      await writeKubeconfigFile(path, gkeKubeconfig(entries))
      const regionOf = new Map(clusters.map((handle) => [handle.context, handle.region]))
      return {path, contexts: Object.fromEntries(entries.map((entry) => [regionOf.get(entry.name)!, entry.name]))}
    },

    async destroyClusters(env, progress, destroyOptions = {}): Promise<DestroyReport> {
      const report: DestroyReport = {removed: [], leftBehind: [], kept: []}
      await withClient(async (client) => {
        const all = contexts(env, client, progress)
        // Backups outlive the environment unless asked; the Jobs' identity goes with it.
        for (const ctx of all) await settleGcpBackupSite(siteContext(env, ctx.plan.region, client, progress), Boolean(destroyOptions.deleteBackups), report)
        await deleteBackupIdentity(siteContext(env, all[0].plan.region, client, progress), report)
        const gone = await Promise.all(all.map((ctx) => destroyGkeCluster(ctx, report)))
        // Subnetworks only where the cluster is gone (GKE refuses to lose a subnetwork in use), then the network.
        const clustersGone = new Set(all.filter((_ctx, index) => gone[index]).map((ctx) => ctx.plan.region))
        await destroyGcpNetwork(networkContext(env, client, progress), planGcpNetwork(env), clustersGone, report)
      })
      return report
    },
  }
}

async function deleteBackupIdentity(ctx: GcpSiteContext, report: DestroyReport): Promise<void> {
  const email = backupServiceAccountEmail(ctx.project, ctx.envName)
  const answer = await ctx.request({url: `${ctx.endpoints.iam}/v1/projects/${ctx.project}/serviceAccounts/${email}`, method: 'DELETE'})
  if (answer.status >= 200 && answer.status < 300) report.removed.push(`service account ${email}`)
  else if (answer.status !== 404) report.leftBehind.push({resource: `service account ${email}`, reason: `HTTP ${answer.status}`})
}
