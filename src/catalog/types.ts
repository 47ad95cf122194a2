/**
 * The bundled service catalog: one descriptor per file in services/.
 * The YAML schema that validates these lives in src/catalog/ beside the loader; these types are
 * what the rest of mygate consumes after validation (defaults applied).
 */

export const TIERS = ['dev', 'staging', 'prod'] as const
export type Tier = (typeof TIERS)[number]

export const ROLLOUT_STRATEGIES = ['rolling', 'blue-green', 'canary'] as const
export type RolloutStrategy = (typeof ROLLOUT_STRATEGIES)[number]

/** app: a MyGate microservice (Deployment); mongodb / redis: data services (StatefulSet). */
export type ServiceKind = 'app' | 'mongodb' | 'redis'

export type ProbeType = 'http' | 'tcp'

export const SERVICE_KINDS = ['app', 'mongodb', 'redis'] as const

export type Criticality = 'critical' | 'high' | 'standard'

export interface ResourceSpec {
  requests: {cpu: string; memory: string}
  limits: {cpu: string; memory: string}
}

export interface TierSettings {
  replicas: number
  resources: ResourceSpec
  /** Storage per replica, data services only (e.g. "10Gi"). */
  storage?: string
}

export interface AutoscalingSpec {
  minReplicas: number
  maxReplicas: number
  targetCPUUtilizationPercentage: number
}

export interface AnalysisThresholds {
  /** Highest acceptable share of 5xx responses, 0..1. */
  maxErrorRate: number
  /** Highest acceptable p99 latency in milliseconds. */
  maxP99LatencyMs: number
  /** How often a measurement is taken, as a duration string ("30s"). */
  interval: string
  /** How many failed measurements abort the rollout. */
  failureLimit: number
  /**
   * Requests in the analysis window before the error rate may pass (src/analysis/sample-size.ts);
   * fewer is inconclusive. The catalog always sets it (default DEFAULT_MIN_REQUESTS, 20); absent
   * only in rollout records written before it existed, which take the default.
   */
  minRequests?: number
}

export interface RolloutDefaults {
  strategy: RolloutStrategy
  /** Canary traffic weights in percent, strictly increasing, ending at 100. */
  canarySteps: number[]
  /** Pause between canary steps (duration string). */
  stepPause: string
  analysis: AnalysisThresholds
}

/**
 * How mygate makes a secret value itself (descriptor key `secrets[].generate`); a reference
 * without one is external: its value comes from the user (`mygate secrets set`).
 * - random, created once by `env create` when absent and never changed by a re-run:
 *   `username`, `password`, `mongodb-keyfile` (a replica set's shared key file),
 *   `rsa-private-key` (PKCS#8 PEM);
 * - derived, rebuilt from other values whenever they change: `rsa-public-key` (SPKI PEM of the
 *   `rsa-private-key` in the same Secret), `mongodb-uri` (connection string of the reading
 *   service's database: members, replica set, the database's generated root credentials).
 * src/secrets/generators.ts holds the recipes.
 */
export const SECRET_GENERATORS = ['username', 'password', 'mongodb-keyfile', 'rsa-private-key', 'rsa-public-key', 'mongodb-uri'] as const
export type SecretGenerator = (typeof SECRET_GENERATORS)[number]

export interface SecretReference {
  /** Environment variable the secret is exposed as. */
  env: string
  secretName: string
  key: string
  /** Set when mygate generates or derives the value; absent for external secrets. */
  generate?: SecretGenerator
}

export interface Dependencies {
  /** Name of the mongodb descriptor this service owns, if any. */
  database?: string
  /** Name of the redis descriptor, if used. */
  cache?: string
  /** Other app services this one calls. */
  services: string[]
}

export interface RecoveryTargets {
  level: Criticality
  /** Recovery time objective (duration string, e.g. "15m"). */
  rto: string
  /** Recovery point objective (duration string, e.g. "5m"). */
  rpo: string
}

export interface BackupPolicy {
  enabled: boolean
  /** Cron schedule (5 fields). */
  schedule?: string
  /** IANA time zone of the schedule and of retention's days, weeks and months (default UTC). */
  timeZone?: string
  /** Every backup younger than this is kept (duration string, e.g. "7d"). */
  retention?: string
  /** The newest backup of each of the N most recent days / ISO weeks / months is kept too. */
  keepDaily?: number
  keepWeekly?: number
  keepMonthly?: number
}

export interface ServiceDescriptor {
  name: string
  description: string
  kind: ServiceKind
  image: {repository: string; tag: string}
  port: number
  /**
   * How the kubelet checks the container. `type` 'http' (the default when absent): liveness and
   * readiness are GET paths on `port`. 'tcp' (MongoDB, Redis, which speak no HTTP): a TCP socket
   * check on `port`, and liveness/readiness are empty strings.
   */
  probes: {liveness: string; readiness: string; type?: ProbeType}
  tiers: Record<Tier, TierSettings>
  autoscaling?: AutoscalingSpec
  rollout: RolloutDefaults
  dependencies: Dependencies
  secrets: SecretReference[]
  criticality: RecoveryTargets
  backup: BackupPolicy
  /** May run on spot / preemptible capacity. */
  spot: boolean
  /** Where the descriptor came from, for error messages. */
  source: {file: string}
}

export interface Catalog {
  services: ServiceDescriptor[]
  byName(name: string): ServiceDescriptor | undefined
}
