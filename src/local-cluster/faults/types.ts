import type {ResourceType} from '../store/types.js'

/**
 * A service fault, stored as `apiVersion: local.mygate.dev/v1, kind: Fault` (resource `faults`,
 * namespaced). It applies to the pods of its namespace whose `app.kubernetes.io/name` label is
 * `service` and, when `version` is set, whose `app.kubernetes.io/version` label is `version`.
 */
export interface FaultSpec {
  service: string
  version?: string
  /** Share of requests answered 5xx, 0..1 (metrics only). */
  errorRate?: number
  /** Added to every request's latency (metrics only). */
  latencyMs?: number
  /** Containers exit 1 at start: CrashLoopBackOff, never Ready; Job pods fail. */
  crash?: boolean
  /** Containers run, readiness fails: Running but not Ready. */
  notReady?: boolean
  /**
   * For a database service (a `-db` StatefulSet in its namespace): its secondaries in this
   * cluster replicate this many milliseconds behind the primary (the data plane's lag).
   */
  replicationLagMs?: number
  /**
   * A flag fault: `errorRate` hits only the requests of `service` that get this flag's on-variant
   * (`mygate local fault --flag NAME`), not the service as a whole.
   */
  flag?: string
}

export const FAULT_API_VERSION = 'local.mygate.dev/v1'
export const FAULT_KIND = 'Fault'
export const FAULTS = {group: 'local.mygate.dev', resource: 'faults'} as const

/** The labels a pod's service and version are read from. */
export const SERVICE_LABEL = 'app.kubernetes.io/name'
export const VERSION_LABEL = 'app.kubernetes.io/version'

/** The Fault type, for stores that do not register it themselves (unit and integration tests). */
export const FAULT_RESOURCE_TYPE: ResourceType = {
  group: 'local.mygate.dev',
  version: 'v1',
  resource: 'faults',
  kind: 'Fault',
  listKind: 'FaultList',
  singular: 'fault',
  namespaced: true,
}
