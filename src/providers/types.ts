import type {BackupSiteHandle} from '../backup/site/site-names.js'
import type {EnvironmentSpec, ProviderName} from '../config/types.js'

/**
 * A provider makes clusters exist and hands back a kubeconfig context for each region.
 * Everything inside a cluster then goes through the Kubernetes API, the same for every provider.
 */

export interface Progress {
  /** A short line about what just happened ("node group ng-spot ACTIVE"). */
  update(message: string): void
}

export interface NodeGroupPlan {
  name: string
  capacity: 'on-demand' | 'spot'
  instanceTypes: string[]
  minSize: number
  maxSize: number
  desiredSize: number
  /** The services whose pods this group is meant for (by descriptor `spot`). */
  labels: Record<string, string>
}

export interface ClusterPlan {
  region: string
  role: 'primary' | 'secondary'
  /** Provider-side cluster name, deterministic from environment and region. */
  clusterName: string
  kubernetesVersion?: string
  nodeGroups: NodeGroupPlan[]
  /** Infrastructure mygate will create around the cluster (VPC, roles...), for the plan output. */
  supportingResources: string[]
}

export interface ClusterHandle {
  region: string
  role: 'primary' | 'secondary'
  clusterName: string
  /** The API server URL, when known. */
  endpoint?: string
  /** kubeconfig context name for this cluster. */
  context: string
  /** The region's backup bucket, key and Job identity, when the provider makes them (aws, gcp). */
  backup?: BackupSiteHandle
}

export interface KubeconfigRef {
  /** File written under $MYGATE_HOME (never ~/.kube/config unless asked). */
  path: string
  /** region -> context name. */
  contexts: Record<string, string>
}

export interface DestroyReport {
  removed: string[]
  /** Things that could not be removed, with why (a failure: destroy exits non-zero). */
  leftBehind: Array<{resource: string; reason: string}>
  /** Things deliberately not removed (a cluster the user owns), with why. */
  kept?: Array<{resource: string; reason: string}>
}

export interface DestroyClustersOptions {
  /** Also delete the backup buckets (every object version) and schedule their keys' deletion. */
  deleteBackups?: boolean
}

export interface ClusterProvider {
  readonly name: ProviderName
  /** Checks credentials, regions and anything else that would make ensureClusters fail early. */
  validate(env: EnvironmentSpec): Promise<void>
  /** Pure: what clusters and node groups this environment needs. */
  planClusters(env: EnvironmentSpec): ClusterPlan[]
  /** Creates what is missing and waits for it; converges when run again. */
  ensureClusters(env: EnvironmentSpec, progress: Progress): Promise<ClusterHandle[]>
  /** Writes (or refreshes) the kubeconfig for the environment's clusters. */
  writeKubeconfig(env: EnvironmentSpec, clusters: ClusterHandle[]): Promise<KubeconfigRef>
  /**
   * Removes clusters, node groups and supporting infrastructure, reporting what is left. Backup
   * buckets and their keys are kept (and reported as kept) unless `deleteBackups`.
   */
  destroyClusters(env: EnvironmentSpec, progress: Progress, options?: DestroyClustersOptions): Promise<DestroyReport>
}
