import {requireService} from '../catalog/catalog.js'
import {loadCatalog} from '../catalog/load-catalog.js'
import {NAMESPACES} from '../config/types.js'
import {cachedKubeconfigPath, connectEnvironment} from '../env/connect.js'
import {environmentFromKubeconfig} from '../env/kubeconfig-extension.js'
import {NotFoundError, oneOf, UsageError} from '../errors.js'
import {readFlagSet} from '../flags/flag-store.js'
import {onVariantOf, servicesOf} from '../flags/types.js'
import {mygateHome} from '../home.js'
import type {KubeObject} from '../kube/types.js'
import {localClusterName} from '../providers/local/local-provider.js'
import {setApiFaults, setClusterDown} from './control-client.js'
import type {ApiFaultSettings, LostResponseMode} from '../local-cluster/api-server/index.js'
import {faultObjectName} from '../local-cluster/faults/fault-store.js'

/** A fault request from `mygate local fault` (or a test): what to break, where. */
export interface FaultRequest {
  env: string
  service?: string
  version?: string
  errorRate?: number
  latencyMs?: number
  crash?: boolean
  notReady?: boolean
  /** For a database service (`billing-db`): its secondaries replicate this far behind, in ms. */
  replicationLagMs?: number
  /** Take this region's cluster offline (its API server stops listening). */
  regionDown?: string
  /** API-level faults on every cluster of the environment (or --region's). */
  apiErrorRate?: number
  apiStatuses?: number[]
  apiLatencyMs?: number
  /** Share of writes committed whose response is then lost, 0..1. */
  apiLostResponseRate?: number
  /** How the response is lost: dropped connection, a 5xx after the write, or both in turn (default). */
  apiLostResponse?: LostResponseMode
  /** Retry-After (whole seconds) of injected 429 and 503 answers; default 1, as kube-apiserver sends. */
  apiRetryAfterSeconds?: number
  region?: string
  clear?: boolean
  /**
   * A flag fault: requests that get this flag's on-variant fail at `errorRate`, in every service
   * the flag names in metadata.services (--service narrows it to one of them).
   */
  flag?: string
}

export interface FaultResult {
  env: string
  /** One line per change made, e.g. "visitors 1.3.0: errorRate=0.3 in demo-local-1". */
  changes: string[]
}

const FAULT_API_VERSION = 'local.mygate.dev/v1'

export function validateFaultRequest(request: FaultRequest): void {
  const serviceFault = request.errorRate !== undefined || request.latencyMs !== undefined || request.crash || request.notReady || request.replicationLagMs !== undefined
  const apiFault = request.apiErrorRate !== undefined || request.apiLatencyMs !== undefined || request.apiLostResponseRate !== undefined
  if (request.apiLostResponse !== undefined && request.apiLostResponseRate === undefined) {
    throw new UsageError(`--api-lost-response ${request.apiLostResponse} needs --api-lost-response-rate`, {hint: 'e.g. --api-lost-response-rate 0.1 --api-lost-response drop'})
  }
  if (request.replicationLagMs !== undefined && !(Number.isFinite(request.replicationLagMs) && request.replicationLagMs >= 0)) {
    throw new UsageError(`--replication-lag ${request.replicationLagMs} must be a duration >= 0`, {hint: 'e.g. --replication-lag 2m'})
  }
  if (!request.clear && !serviceFault && !apiFault && !request.regionDown) {
    throw new UsageError('no fault given', {
      hint: 'pass one of --error-rate, --latency-ms, --crash, --not-ready, --replication-lag, --region-down, --api-error-rate, --api-latency-ms, --api-lost-response-rate, or --clear',
    })
  }
  for (const [flag, value] of [['--error-rate', request.errorRate], ['--api-error-rate', request.apiErrorRate], ['--api-lost-response-rate', request.apiLostResponseRate]] as const) {
    if (value !== undefined && Number.isNaN(value)) throw new UsageError(`${flag} is not a number`, {hint: `e.g. ${flag} 0.3 for 30%`})
    if (value !== undefined && !(value >= 0 && value <= 1)) throw new UsageError(`${flag} ${value} is outside 0..1`, {hint: `e.g. ${flag} 0.3 for 30%`})
  }
  for (const [flag, value] of [['--latency-ms', request.latencyMs], ['--api-latency-ms', request.apiLatencyMs]] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) throw new UsageError(`${flag} ${value} must be a whole number >= 0`)
  }
  if (request.apiRetryAfterSeconds !== undefined) {
    if (!(Number.isInteger(request.apiRetryAfterSeconds) && request.apiRetryAfterSeconds >= 0)) {
      throw new UsageError(`--api-retry-after ${request.apiRetryAfterSeconds} must be a whole number of seconds >= 0`, {hint: 'e.g. --api-retry-after 0'})
    }
    if (request.apiErrorRate === undefined && request.apiLostResponseRate === undefined) {
      throw new UsageError('--api-retry-after needs --api-error-rate or --api-lost-response-rate', {hint: 'e.g. --api-error-rate 0.2 --api-status 429 --api-retry-after 0'})
    }
  }
  for (const status of request.apiStatuses ?? []) {
    if (![500, 503, 429, 409].includes(status)) throw new UsageError(`--api-status ${status} is not one of 500, 503, 429, 409`)
  }
  if (request.flag !== undefined) {
    if (request.latencyMs !== undefined || request.crash || request.notReady || request.replicationLagMs !== undefined) {
      throw new UsageError('--flag takes --error-rate only', {hint: 'e.g. `mygate local fault --env demo --flag upi-autopay --error-rate 0.3`'})
    }
    if (!request.clear && request.errorRate === undefined) throw new UsageError('--flag needs --error-rate (or --clear)', {hint: 'e.g. --flag upi-autopay --error-rate 0.3'})
    return
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
  if (request.replicationLagMs !== undefined) await requireDatabaseService(request.service as string)
  const result: FaultResult = {env: request.env, changes: []}
  // The cached kubeconfig says what the environment is, so region and API faults (and clearing
  // them) work even while its API servers are down or failing.
  const known = await environmentFromKubeconfig(cachedKubeconfigPath(request.env, home))
  if (!known) {
    throw new NotFoundError(`environment "${request.env}" not found`, {hint: 'see `mygate env list`, or create it with `mygate env create`'})
  }
  if (known.spec.provider !== 'local') {
    throw new UsageError(`environment "${request.env}" runs on provider ${known.spec.provider}; faults can be injected only into local environments`)
  }
  const allRegions = [known.spec.regions.primary, ...(known.spec.regions.secondary ? [known.spec.regions.secondary] : [])]
  for (const region of [request.region, request.regionDown]) {
    if (region && !allRegions.includes(region)) {
      throw new UsageError(`environment "${request.env}" has no region "${region}"`, {hint: `its regions: ${allRegions.join(', ')}`})
    }
  }
  const regions = request.region ? [request.region] : allRegions

  if (request.regionDown) {
    const cluster = localClusterName(request.env, request.regionDown)
    await setClusterDown(home, cluster, !request.clear)
    result.changes.push(`${request.clear ? 'restored' : 'took down'} region ${request.regionDown} (cluster ${cluster})`)
  }

  const apiFault = request.apiErrorRate !== undefined || request.apiLatencyMs !== undefined || request.apiLostResponseRate !== undefined
  if (apiFault || (request.clear && !request.service && !request.regionDown)) {
    for (const region of regions) {
      const cluster = localClusterName(request.env, region)
      const faults: ApiFaultSettings | undefined =
        request.clear || !apiFault
          ? undefined
          : {
              errorRate: request.apiErrorRate ?? 0,
              statuses: request.apiStatuses?.length ? request.apiStatuses : [503],
              latencyMs: request.apiLatencyMs ?? 0,
              ...(request.apiLostResponseRate !== undefined ? {lostResponseRate: request.apiLostResponseRate, lostResponse: request.apiLostResponse ?? 'both'} : {}),
              ...(request.apiRetryAfterSeconds !== undefined ? {retryAfterSeconds: request.apiRetryAfterSeconds} : {}),
            }
      await setApiFaults(home, cluster, faults)
      result.changes.push(faults ? `API faults in ${cluster}: ${describeApiFaults(faults)}` : `cleared API faults in ${cluster}`)
    }
  }
  if (request.flag !== undefined) await applyFlagFault(request, regions, home, result)
  else if (request.service) await applyServiceFault(request, regions, home, result)
  return result
}

/** `error rate 0.1 (503/429), lost responses 0.05 (drop), +0ms[, Retry-After 0s]`: one line per cluster in the result. */
function describeApiFaults(faults: ApiFaultSettings): string {
  const lost = faults.lostResponseRate ? `, lost responses ${faults.lostResponseRate} (${faults.lostResponse ?? 'both'})` : ''
  const retryAfter = faults.retryAfterSeconds === undefined ? '' : `, Retry-After ${faults.retryAfterSeconds}s`
  return `error rate ${faults.errorRate} (${faults.statuses.join('/')})${lost}, +${faults.latencyMs}ms${retryAfter}`
}

/** A replication-lag fault is for a MongoDB service of the catalog; anything else is bad input. */
async function requireDatabaseService(name: string): Promise<void> {
  const catalog = await loadCatalog()
  const service = requireService(catalog, name)
  if (service.kind !== 'mongodb') {
    const databases = catalog.services.filter((s) => s.kind === 'mongodb').map((s) => s.name)
    const own = service.dependencies?.database
    throw new UsageError(`${name} is not a database service: --replication-lag applies to a MongoDB service`, {
      hint: own ? `use --service ${own} (${name}'s database)` : `one of: ${databases.join(', ')}`,
    })
  }
}

/** A Fault applies to the pods of its namespace: databases and the cache run in the data namespace. */
async function faultNamespace(service: string): Promise<string> {
  const descriptor = (await loadCatalog()).byName(service)
  return descriptor && descriptor.kind !== 'app' ? NAMESPACES.data : NAMESPACES.apps
}

/** Service faults are Fault objects in the cluster, read by the simulated kubelet and the metrics. */
async function applyServiceFault(request: FaultRequest, regions: string[], home: string, result: FaultResult): Promise<void> {
  const service = request.service as string
  const namespace = await faultNamespace(service)
  const connection = await connectEnvironment(request.env, {home, tolerateUnreachable: true})
  try {
    for (const region of regions) {
      const client = connection.clients.get(region)
      if (!client) continue
      if (request.clear) {
        const existing = await client.list(FAULT_API_VERSION, 'Fault', {namespace})
        for (const fault of existing.items) {
          const spec = fault.spec as {service?: string; version?: string}
          if (spec.service === service && (!request.version || spec.version === request.version)) {
            await client.delete({apiVersion: FAULT_API_VERSION, kind: 'Fault', name: String(fault.metadata.name), namespace})
            result.changes.push(`cleared fault ${fault.metadata.name} in ${region}`)
          }
        }
        continue
      }
      const spec = {
        service,
        ...(request.version ? {version: request.version} : {}),
        ...(request.errorRate !== undefined ? {errorRate: request.errorRate} : {}),
        ...(request.latencyMs !== undefined ? {latencyMs: request.latencyMs} : {}),
        ...(request.crash ? {crash: true} : {}),
        ...(request.notReady ? {notReady: true} : {}),
        ...(request.replicationLagMs !== undefined ? {replicationLagMs: request.replicationLagMs} : {}),
      }
      const fault: KubeObject = {
        apiVersion: FAULT_API_VERSION,
        kind: 'Fault',
        metadata: {name: faultObjectName(service, request.version), namespace, labels: {'app.kubernetes.io/managed-by': 'mygate'}},
        spec,
      }
      await client.apply(fault)
      const what = Object.entries(spec)
        .filter(([k]) => k !== 'service' && k !== 'version')
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')
      result.changes.push(`${service}${request.version ? ` ${request.version}` : ''}: ${what} in ${region}`)
    }
  } finally {
    connection.close()
  }
}

/**
 * Flag faults are Fault objects with `flag` set, one per service that evaluates the flag (its
 * metadata.services, read from the environment's FeatureFlag): the traffic model fails that share
 * of the requests that get the flag's on-variant, and only those.
 */
async function applyFlagFault(request: FaultRequest, regions: string[], home: string, result: FaultResult): Promise<void> {
  const flag = request.flag as string
  const connection = await connectEnvironment(request.env, {home, tolerateUnreachable: true})
  try {
    const {set} = await readFlagSet(connection.primary)
    const definition = set.flags[flag]
    if (!definition) {
      throw new NotFoundError(`flag "${flag}" not found in ${request.env}`, {hint: `${oneOf(Object.keys(set.flags).sort())} (see \`mygate flags list --env ${request.env}\`)`})
    }
    const all = servicesOf(definition)
    if (all.length === 0) throw new UsageError(`flag ${flag} names no services in metadata.services`, {hint: `set them: \`mygate flags set ${flag} --env ${request.env} --services SERVICE\``})
    if (request.service && !all.includes(request.service)) throw new UsageError(`flag ${flag} is not evaluated by ${request.service}`, {hint: `its services: ${all.join(', ')}`})
    const services = request.service ? [request.service] : all
    for (const region of regions) {
      const client = connection.clients.get(region)
      if (!client) continue
      for (const service of services) {
        const namespace = await faultNamespace(service)
        const name = faultObjectName(service, request.version, flag)
        if (request.clear) {
          if (await client.delete({apiVersion: FAULT_API_VERSION, kind: 'Fault', name, namespace})) result.changes.push(`cleared flag fault ${name} in ${region}`)
          continue
        }
        const spec = {service, flag, ...(request.version ? {version: request.version} : {}), errorRate: request.errorRate}
        await client.apply({apiVersion: FAULT_API_VERSION, kind: 'Fault', metadata: {name, namespace, labels: {'app.kubernetes.io/managed-by': 'mygate'}}, spec})
        result.changes.push(`${service}${request.version ? ` ${request.version}` : ''} requests with ${flag}=${onVariantOf(definition)}: errorRate=${request.errorRate} in ${region}`)
      }
    }
  } finally {
    connection.close()
  }
}
