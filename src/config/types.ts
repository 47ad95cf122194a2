import type {Tier} from '../catalog/types.js'

export const PROVIDERS = ['local', 'kubeconfig', 'aws', 'gcp'] as const
export type ProviderName = (typeof PROVIDERS)[number]

export const DR_MODES = ['warm-standby', 'pilot-light'] as const
export type DrMode = (typeof DR_MODES)[number]

/** Namespaces every environment uses; the baseline manifests create them. */
export const NAMESPACES = {
  /** The MyGate app services. */
  apps: 'mygate',
  /** MongoDB and Redis. */
  data: 'mygate-data',
  /** mygate's own records: environment state, rollout state, leases, audit. */
  system: 'mygate-system',
} as const

export interface AwsSettings {
  kubernetesVersion?: string
  /** Existing subnets; when absent mygate creates a VPC as eksctl does. */
  subnetIds?: string[]
  clusterRoleArn?: string
  nodeRoleArn?: string
}

/** `drift` in mygate.yaml: what `mygate env diff` must not report (see src/drift/ignore-list.ts). */
export interface DriftSettings {
  ignore: Array<{kind: string; name?: string; namespace?: string; paths: string[]}>
}

export interface GcpSettings {
  project?: string
  kubernetesVersion?: string
  network?: string
}

/** A fully resolved environment (config file + env file + flags, defaults applied). */
export interface EnvironmentSpec {
  name: string
  tier: Tier
  provider: ProviderName
  regions: {primary: string; secondary?: string}
  drMode: DrMode
  /** Image registry prefix, e.g. "registry.mygate.dev". */
  registry: string
  /** Per-service image tag overrides. */
  versions: Record<string, string>
  /** Istio service mesh present: canary weights go through VirtualServices, mTLS is STRICT. */
  mesh: boolean
  /** Time to live for ephemeral environments (duration string), if any. */
  ttl?: string
  /** kubeconfig provider: the context to use (and optional kubeconfig file). */
  context?: string
  kubeconfig?: string
  aws?: AwsSettings
  gcp?: GcpSettings
  /** Differences env diff does not report (mygate.yaml `drift.ignore`). */
  drift?: DriftSettings
}

export interface ProjectConfig {
  /** The file the config came from (undefined when the built-in default is used). */
  file?: string
  registry: string
  environments: EnvironmentSpec[]
}
