import type {Tier} from '../catalog/types.js'

export const PROVIDERS = ['local', 'kubeconfig', 'aws', 'gcp'] as const
export type ProviderName = (typeof PROVIDERS)[number]

/** active-active: both regions run at full scale and serve through weighted DNS records. */
export const DR_MODES = ['warm-standby', 'pilot-light', 'active-active'] as const
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

/** The environment's one public DNS name (`dns:` in mygate.yaml). */
export interface DnsSettings {
  /** The hosted zone the user owns (Route 53 / Cloud DNS), e.g. example.com; mygate never creates or deletes it. */
  zone: string
  /** The fully qualified name inside the zone, e.g. app.demo.example.com. */
  name: string
}

/** One region's entry point settings (`entry: {REGION: ...}` in mygate.yaml). */
export interface RegionEntrySettings {
  /** TLS: an ACM certificate ARN (aws; regional, so one per region) or a certificate name (gcp: a ManagedCertificate or a pre-shared SSL certificate). */
  tls?: {certificateArn?: string; certificateName?: string}
  /** WAF: an AWS WAFv2 web ACL ARN (aws) or a Cloud Armor security policy name (gcp). */
  waf?: {webAclArn?: string; securityPolicy?: string}
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
  /** The public DNS name; local environments default to NAME.mygate.local. */
  dns?: DnsSettings
  /** Per-region entry point settings, by region name. */
  entry?: Record<string, RegionEntrySettings>
  /** Differences env diff does not report (mygate.yaml `drift.ignore`). */
  drift?: DriftSettings
}

export interface ProjectConfig {
  /** The file the config came from (undefined when the built-in default is used). */
  file?: string
  registry: string
  environments: EnvironmentSpec[]
}
