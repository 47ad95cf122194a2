import {NAMESPACES} from '../config/types.js'
import {connectEnvironment} from '../env/connect.js'
import {UsageError} from '../errors.js'
import {mygateHome} from '../home.js'
import type {KubeObject} from '../kube/types.js'
import {localClusterName} from '../providers/local/local-provider.js'
import {setApiFaults, setClusterDown} from './daemon/control-client.js'

/** A fault request from `mygate local fault` (or a test): what to break, where. */
export interface FaultRequest {
  env: string
  service?: string
  version?: string
  errorRate?: number
  latencyMs?: number
  crash?: boolean
  notReady?: boolean
  /** Take this region's cluster offline (its API server stops listening). */
  regionDown?: string
  /** API-level faults on every cluster of the environment (or --region's). */
  apiErrorRate?: number
  apiStatuses?: number[]
  apiLatencyMs?: number
  region?: string
  clear?: boolean
}

export interface FaultResult {
  env: string
  /** One line per change made, e.g. "visitors 1.3.0: errorRate=0.3 in demo-local-1". */
  changes: string[]
}

const FAULT_API_VERSION = 'local.mygate.dev/v1'

/** Name of the Fault object for a service (and version): one per target, updated in place. */
export function faultName(service: string, version?: string): string {
  return `${service}-${version ? version.replace(/[^a-z0-9-]/gi, '-').toLowerCase() : 'all-versions'}`
}

export function validateFaultRequest(request: FaultRequest): void {
  const serviceFault = request.errorRate !== undefined || request.latencyMs !== undefined || request.crash || request.notReady
  const apiFault = request.apiErrorRate !== undefined || request.apiLatencyMs !== undefined
  if (!request.clear && !serviceFault && !apiFault && !request.regionDown) {
    throw new UsageError('no fault given', {hint: 'pass one of --error-rate, --latency-ms, --crash, --not-ready, --region-down, --api-error-rate, --api-latency-ms, or --clear'})
  }
  for (const [flag, value] of [['--error-rate', request.errorRate], ['--api-error-rate', request.apiErrorRate]] as const) {
    if (value !== undefined && !(value >= 0 && value <= 1)) throw new UsageError(`${flag} ${value} is outside 0..1`, {hint: `e.g. ${flag} 0.3 for 30%`})
  }
  for (const [flag, value] of [['--latency-ms', request.latencyMs], ['--api-latency-ms', request.apiLatencyMs]] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) throw new UsageError(`${flag} ${value} must be a whole number >= 0`)
  }
  for (const status of request.apiStatuses ?? []) {
    if (![500, 503, 429, 409].includes(status)) throw new UsageError(`--api-status ${status} is not one of 500, 503, 429, 409`)
  }
  if (serviceFault && !request.service) throw new UsageError('a service fault needs --service', {hint: 'see `mygate services list`'})
}

/**
 * Injects or clears faults in a local environment: service faults as Fault objects through the
 * Kubernetes API (so the simulated kubelet and metrics see them), region and API faults through
 * the local control plane's daemon.
 */
export async function injectFaults(request: FaultRequest, options: {home?: string} = {}): Promise<FaultResult> {
  validateFaultRequest(request)
  const home = options.home ?? mygateHome()
  const result: FaultResult = {env: request.env, changes: []}

  if (request.regionDown) {
    const cluster = localClusterName(request.env, request.regionDown)
    await setClusterDown(home, cluster, !request.clear)
    result.changes.push(`${request.clear ? 'restored' : 'took down'} region ${request.regionDown} (cluster ${cluster})`)
    if (!request.service && request.apiErrorRate === undefined && request.apiLatencyMs === undefined) return result
  }

  const connection = await connectEnvironment(request.env, {home, tolerateUnreachable: true})
  try {
    if (connection.record.provider !== 'local') {
      throw new UsageError(`environment "${request.env}" runs on provider ${connection.record.provider}; faults can be injected only into local environments`)
    }
    const regions = request.region ? [request.region] : [...connection.clients.keys()]
    if (request.apiErrorRate !== undefined || request.apiLatencyMs !== undefined || (request.clear && !request.service && !request.regionDown)) {
      for (const region of regions) {
        const cluster = localClusterName(request.env, region)
        const faults = request.clear
          ? undefined
          : {errorRate: request.apiErrorRate ?? 0, statuses: request.apiStatuses?.length ? request.apiStatuses : [503], latencyMs: request.apiLatencyMs ?? 0}
        await setApiFaults(home, cluster, faults)
        result.changes.push(faults ? `API faults in ${cluster}: error rate ${faults.errorRate} (${faults.statuses.join('/')}), +${faults.latencyMs}ms` : `cleared API faults in ${cluster}`)
      }
    }
    if (request.service) {
      for (const region of regions) {
        const client = connection.clients.get(region)
        if (!client) continue
        const name = faultName(request.service, request.version)
        if (request.clear) {
          const existing = await client.list(FAULT_API_VERSION, 'Fault', {namespace: NAMESPACES.apps})
          for (const fault of existing.items) {
            const spec = fault.spec as {service?: string; version?: string}
            if (spec.service === request.service && (!request.version || spec.version === request.version)) {
              await client.delete({apiVersion: FAULT_API_VERSION, kind: 'Fault', name: String(fault.metadata.name), namespace: NAMESPACES.apps})
              result.changes.push(`cleared fault ${fault.metadata.name} in ${region}`)
            }
          }
          continue
        }
        const fault: KubeObject = {
          apiVersion: FAULT_API_VERSION,
          kind: 'Fault',
          metadata: {name, namespace: NAMESPACES.apps, labels: {'app.kubernetes.io/managed-by': 'mygate'}},
          spec: {
            service: request.service,
            ...(request.version ? {version: request.version} : {}),
            ...(request.errorRate !== undefined ? {errorRate: request.errorRate} : {}),
            ...(request.latencyMs !== undefined ? {latencyMs: request.latencyMs} : {}),
            ...(request.crash ? {crash: true} : {}),
            ...(request.notReady ? {notReady: true} : {}),
          },
        }
        await client.apply(fault)
        const what = Object.entries(fault.spec as Record<string, unknown>)
          .filter(([k]) => k !== 'service' && k !== 'version')
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')
        result.changes.push(`${request.service}${request.version ? ` ${request.version}` : ''}: ${what} in ${region}`)
      }
    }
  } finally {
    connection.close()
  }
  return result
}
