import type {ClusterManagerClient} from '@google-cloud/container'
import {GoogleAuth, OAuth2Client} from 'google-auth-library'
import {type IncomingMessage, type ServerResponse, createServer} from 'node:http'

import {cidrsOverlap} from '../../src/providers/cidr.js'

/**
 * A local fake of the GKE v1 REST endpoints the GCP provider uses, for @google-cloud/container in
 * REST fallback mode (enums travel as integers), and of the Compute Engine v1 network and
 * subnetwork endpoints (under /compute/v1). Operations stay RUNNING for `pollsUntilDone` reads,
 * then finish and take effect; `failNext` makes the next operation of a type end in error.
 *
 * As strict as the real APIs where mygate's requests could trip: a subnetwork whose primary or
 * secondary ranges overlap another subnetwork of its network is refused (Compute does), a cluster
 * on a network or subnetwork that does not exist, or naming secondary ranges its subnetwork lacks,
 * is refused (GKE does), and a network or subnetwork still in use cannot be deleted.
 *
 * For the failover (issue 11): node pools can be read, resized (`nodePools.setSize`, nodeCount per
 * zone) and given autoscaling bounds (`nodePools.setAutoscaling`), as long-running operations. As
 * on GKE, a node pool reports no current size: its `instanceGroupUrls` name one managed instance
 * group per zone (three zones for a regional cluster, one for a zonal one), whose `targetSize`
 * the Compute fake serves (`instanceGroupManagers.get`). Compute also serves firewall rules
 * (insert, get, delete; a rule needs an existing network, a priority in 0-65535 and exactly one of
 * allowed/denied) and backend services (list, get, patch; a patch needs the current fingerprint,
 * else 412 conditionNotMet, and changes the fingerprint).
 */

type OperationType = 'CREATE_CLUSTER' | 'DELETE_CLUSTER' | 'CREATE_NODE_POOL' | 'SET_NODE_POOL_SIZE' | 'UPDATE_CLUSTER'
const OPERATION_TYPE: Record<OperationType, number> = {CREATE_CLUSTER: 1, DELETE_CLUSTER: 2, CREATE_NODE_POOL: 7, SET_NODE_POOL_SIZE: 14, UPDATE_CLUSTER: 6}
/** google.container.v1.Cluster.Status / NodePool.Status / Operation.Status as integers. */
const CLUSTER = {PROVISIONING: 1, RUNNING: 2, STOPPING: 4, ERROR: 5}
const POOL = {PROVISIONING: 1, RUNNING: 2, ERROR: 6}
const OPERATION = {RUNNING: 2, DONE: 3}

export interface FakeNodePool {
  name: string
  initialNodeCount?: number
  autoscaling?: {enabled?: boolean; minNodeCount?: number; maxNodeCount?: number}
  config?: {machineType?: string; spot?: boolean; labels?: Record<string, string>}
  status: number
  /** One managed instance group per zone, as GKE reports them. */
  instanceGroupUrls?: string[]
}

export interface FakeInstanceGroup {
  name: string
  zone: string
  targetSize: number
}

export interface FakeFirewall {
  name: string
  network: string
  direction?: string
  priority?: number
  denied?: Array<{IPProtocol: string}>
  allowed?: Array<{IPProtocol: string}>
  sourceRanges?: string[]
  destinationRanges?: string[]
  description?: string
}

export interface FakeBackendService {
  name: string
  description?: string
  fingerprint: string
  backends: Array<Record<string, unknown> & {group: string}>
}

export interface FakeNetwork {
  name: string
  description?: string
  autoCreateSubnetworks?: boolean
}

export interface FakeSubnetwork {
  name: string
  region: string
  description?: string
  /** projects/P/global/networks/N, as sent. */
  network: string
  ipCidrRange: string
  privateIpGoogleAccess?: boolean
  secondaryIpRanges: Array<{rangeName: string; ipCidrRange: string}>
}

export interface FakeCluster {
  name: string
  location: string
  network?: string
  subnetwork?: string
  ipAllocationPolicy?: {useIpAliases?: boolean; clusterSecondaryRangeName?: string; servicesSecondaryRangeName?: string}
  initialClusterVersion?: string
  resourceLabels?: Record<string, string>
  nodePools: FakeNodePool[]
  status: number
  endpoint: string
  masterAuth: {clusterCaCertificate: string}
}

interface FakeOperation {
  name: string
  location: string
  operationType: number
  status: number
  polls: number
  error?: {code: number; message: string}
  finish: (failed: boolean) => void
}

export interface RecordedRequest {
  method: string
  path: string
  authorization?: string
  body?: unknown
}

export interface GkeFake {
  port: number
  /** ClusterManagerClient options pointing at this fake. */
  clientOptions: NonNullable<ConstructorParameters<typeof ClusterManagerClient>[0]>
  requests: RecordedRequest[]
  /** Keyed by projects/P/locations/L/clusters/C. */
  clusters: Map<string, FakeCluster>
  /** Base URL of the fake Compute v1 API (the provider's computeEndpoint). */
  computeEndpoint: string
  /** Keyed by projects/P/global/networks/N. */
  networks: Map<string, FakeNetwork>
  /** Keyed by projects/P/regions/R/subnetworks/S. */
  subnetworks: Map<string, FakeSubnetwork>
  /** Keyed by projects/P/zones/Z/instanceGroupManagers/N. */
  instanceGroups: Map<string, FakeInstanceGroup>
  /** Keyed by projects/P/global/firewalls/N. */
  firewalls: Map<string, FakeFirewall>
  /** Keyed by projects/P/global/backendServices/N; tests put the ones GKE Ingress would make. */
  backendServices: Map<string, FakeBackendService>
  pollsUntilDone: number
  failNext(type: OperationType, message: string): void
  /** listClusters in this project answers 403 PERMISSION_DENIED. */
  denyProject(project: string): void
  stop(): Promise<void>
}

export const FAKE_ACCESS_TOKEN = 'fake-gke-token'

export async function startGkeFake(): Promise<GkeFake> {
  const clusters = new Map<string, FakeCluster>()
  const networks = new Map<string, FakeNetwork>()
  const subnetworks = new Map<string, FakeSubnetwork>()
  const instanceGroups = new Map<string, FakeInstanceGroup>()
  const firewalls = new Map<string, FakeFirewall>()
  const backendServices = new Map<string, FakeBackendService>()
  const operations = new Map<string, FakeOperation>()
  const computeOperations = new Map<string, {name: string; region?: string; status: string; polls: number; finish: () => void}>()
  const failures = new Map<OperationType, string>()
  const denied = new Set<string>()
  const requests: RecordedRequest[] = []
  let counter = 0

  const send = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, {'content-type': 'application/json'})
    response.end(JSON.stringify(body))
  }
  const googleError = (response: ServerResponse, code: number, status: string, message: string) =>
    send(response, code, {error: {code, message, status}})

  const startOperation = (location: string, type: OperationType, finish: (failed: boolean) => void): FakeOperation => {
    counter++
    const failure = failures.get(type)
    failures.delete(type)
    const operation: FakeOperation = {
      name: `operation-${counter}`,
      location,
      operationType: OPERATION_TYPE[type],
      status: OPERATION.RUNNING,
      polls: 0,
      ...(failure ? {error: {code: 8, message: failure}} : {}),
      finish,
    }
    operations.set(operation.name, operation)
    return operation
  }
  const operationJson = (operation: FakeOperation) => ({
    name: operation.name,
    zone: operation.location,
    location: operation.location,
    operationType: operation.operationType,
    status: operation.status,
    ...(operation.error ? {error: operation.error, statusMessage: operation.error.message} : {}),
  })

  const fake: GkeFake = {
    port: 0,
    clientOptions: {},
    requests,
    clusters,
    computeEndpoint: '',
    networks,
    subnetworks,
    instanceGroups,
    firewalls,
    backendServices,
    pollsUntilDone: 2,
    failNext: (type, message) => failures.set(type, message),
    denyProject: (project) => denied.add(project),
    stop: async () => new Promise<void>((resolve) => server.close(() => resolve())),
  }

  /** Compute's error shape: {error: {code, message, errors: [{reason}]}}. */
  const computeError = (response: ServerResponse, code: number, reason: string, message: string) =>
    send(response, code, {error: {code, message, errors: [{reason, message, domain: 'global'}]}})

  const startComputeOperation = (project: string, region: string | undefined, finish: () => void) => {
    counter++
    const operation = {name: `operation-compute-${counter}`, region, status: 'RUNNING', polls: 0, finish}
    computeOperations.set(operation.name, operation)
    return {
      kind: 'compute#operation',
      name: operation.name,
      status: operation.status,
      ...(region ? {region: `https://compute.googleapis.com/compute/v1/projects/${project}/regions/${region}`} : {}),
    }
  }

  /** GKE makes one managed instance group per zone of the pool, sized to its node count. */
  const attachInstanceGroups = (project: string, location: string, clusterName: string, pool: FakeNodePool) => {
    const zones = /-[a-z]$/.test(location) ? [location] : ['a', 'b', 'c'].map((zone) => `${location}-${zone}`)
    pool.instanceGroupUrls = zones.map((zone) => {
      const name = `gke-${clusterName}-${pool.name}-grp`
      instanceGroups.set(`projects/${project}/zones/${zone}/instanceGroupManagers/${name}`, {name, zone, targetSize: pool.initialNodeCount ?? 0})
      return `https://www.googleapis.com/compute/v1/projects/${project}/zones/${zone}/instanceGroupManagers/${name}`
    })
  }
  const groupKey = (url: string) => url.replace(/^.*\/compute\/v1\//, '')

  const handleCompute = (request: IncomingMessage, response: ServerResponse, path: string, parsed: Record<string, unknown> | undefined): void => {
    const method = request.method
    let match: RegExpMatchArray | null
    if ((match = path.match(/^\/compute\/v1\/projects\/([^/]+)\/(?:global|regions\/([^/]+))\/operations\/([^/]+)$/)) && method === 'GET') {
      const operation = computeOperations.get(match[3])
      if (!operation) return computeError(response, 404, 'notFound', `The resource 'operations/${match[3]}' was not found`)
      operation.polls++
      if (operation.status !== 'DONE' && operation.polls >= fake.pollsUntilDone) {
        operation.status = 'DONE'
        operation.finish()
      }
      return send(response, 200, {kind: 'compute#operation', name: operation.name, status: operation.status})
    }
    if ((match = path.match(/^\/compute\/v1\/projects\/([^/]+)\/global\/networks$/)) && method === 'POST') {
      const network = parsed as unknown as FakeNetwork
      const key = `projects/${match[1]}/global/networks/${network.name}`
      if (networks.has(key)) return computeError(response, 409, 'alreadyExists', `The resource '${key}' already exists`)
      return send(response, 200, startComputeOperation(match[1], undefined, () => networks.set(key, {...network})))
    }
    if ((match = path.match(/^\/compute\/v1\/(projects\/([^/]+)\/global\/networks\/([^/]+))$/))) {
      const key = match[1]
      const network = networks.get(key)
      if (!network) return computeError(response, 404, 'notFound', `The resource '${key}' was not found`)
      if (method === 'GET') return send(response, 200, network)
      if (method === 'DELETE') {
        const user = [...subnetworks.values()].find((subnetwork) => subnetwork.network === key)
        if (user) return computeError(response, 400, 'resourceInUseByAnotherResource', `The network resource '${key}' is already being used by '${user.name}'`)
        return send(response, 200, startComputeOperation(match[2], undefined, () => networks.delete(key)))
      }
    }
    if ((match = path.match(/^\/compute\/v1\/projects\/([^/]+)\/regions\/([^/]+)\/subnetworks$/)) && method === 'POST') {
      const subnetwork = parsed as unknown as FakeSubnetwork
      const key = `projects/${match[1]}/regions/${match[2]}/subnetworks/${subnetwork.name}`
      if (subnetworks.has(key)) return computeError(response, 409, 'alreadyExists', `The resource '${key}' already exists`)
      if (!networks.has(subnetwork.network)) return computeError(response, 404, 'notFound', `The resource '${subnetwork.network}' was not found`)
      const ranges = (candidate: FakeSubnetwork) => [candidate.ipCidrRange, ...(candidate.secondaryIpRanges ?? []).map((range) => range.ipCidrRange)]
      for (const other of subnetworks.values()) {
        if (other.network !== subnetwork.network) continue
        for (const mine of ranges(subnetwork)) {
          const clash = ranges(other).find((theirs) => cidrsOverlap(mine, theirs))
          if (clash) return computeError(response, 400, 'invalid', `Invalid IPCidrRange: ${mine} conflicts with existing subnetwork '${other.name}' in region '${other.region}' (${clash}).`)
        }
      }
      return send(response, 200, startComputeOperation(match[1], match[2], () => subnetworks.set(key, {...subnetwork, region: match![2]})))
    }
    if ((match = path.match(/^\/compute\/v1\/(projects\/([^/]+)\/regions\/([^/]+)\/subnetworks\/([^/]+))$/))) {
      const key = match[1]
      const subnetwork = subnetworks.get(key)
      if (!subnetwork) return computeError(response, 404, 'notFound', `The resource '${key}' was not found`)
      if (method === 'GET') return send(response, 200, subnetwork)
      if (method === 'DELETE') {
        const user = [...clusters.values()].find((cluster) => cluster.subnetwork === subnetwork.name && cluster.location.startsWith(subnetwork.region))
        if (user) return computeError(response, 400, 'resourceInUseByAnotherResource', `The subnetwork resource '${key}' is already being used by cluster '${user.name}'`)
        return send(response, 200, startComputeOperation(match[2], match[3], () => subnetworks.delete(key)))
      }
    }
    if ((match = path.match(/^\/compute\/v1\/(projects\/[^/]+\/zones\/[^/]+\/instanceGroupManagers\/[^/]+)$/)) && method === 'GET') {
      const group = instanceGroups.get(match[1])
      if (!group) return computeError(response, 404, 'notFound', `The resource '${match[1]}' was not found`)
      return send(response, 200, {kind: 'compute#instanceGroupManager', name: group.name, zone: group.zone, targetSize: group.targetSize})
    }
    if ((match = path.match(/^\/compute\/v1\/projects\/([^/]+)\/global\/firewalls$/)) && method === 'POST') {
      const rule = parsed as unknown as FakeFirewall
      const key = `projects/${match[1]}/global/firewalls/${rule.name}`
      if (firewalls.has(key)) return computeError(response, 409, 'alreadyExists', `The resource '${key}' already exists`)
      if (!networks.has(rule.network)) return computeError(response, 404, 'notFound', `The resource '${rule.network}' was not found`)
      if (rule.priority !== undefined && (rule.priority < 0 || rule.priority > 65535)) return computeError(response, 400, 'invalid', `Invalid value for field 'resource.priority': '${rule.priority}'.`)
      if (Boolean(rule.denied?.length) === Boolean(rule.allowed?.length)) return computeError(response, 400, 'invalid', 'Exactly one of allowed or denied must be set.')
      return send(response, 200, startComputeOperation(match[1], undefined, () => firewalls.set(key, {...rule})))
    }
    if ((match = path.match(/^\/compute\/v1\/(projects\/([^/]+)\/global\/firewalls\/([^/]+))$/))) {
      const key = match[1]
      const rule = firewalls.get(key)
      if (!rule) return computeError(response, 404, 'notFound', `The resource '${key}' was not found`)
      if (method === 'GET') return send(response, 200, rule)
      if (method === 'DELETE') return send(response, 200, startComputeOperation(match[2], undefined, () => firewalls.delete(key)))
    }
    if ((match = path.match(/^\/compute\/v1\/projects\/([^/]+)\/global\/backendServices$/)) && method === 'GET') {
      const prefix = `projects/${match[1]}/`
      return send(response, 200, {kind: 'compute#backendServiceList', items: [...backendServices.entries()].filter(([key]) => key.startsWith(prefix)).map(([, service]) => service)})
    }
    if ((match = path.match(/^\/compute\/v1\/(projects\/([^/]+)\/global\/backendServices\/([^/]+))$/))) {
      const key = match[1]
      const service = backendServices.get(key)
      if (!service) return computeError(response, 404, 'notFound', `The resource '${key}' was not found`)
      if (method === 'GET') return send(response, 200, service)
      if (method === 'PATCH') {
        const change = parsed as Partial<FakeBackendService>
        if (change.fingerprint !== service.fingerprint) return computeError(response, 412, 'conditionNotMet', 'Supplied fingerprint does not match current metadata fingerprint.')
        counter++
        const fingerprint = Buffer.from(`fp-${counter}`).toString('base64')
        return send(response, 200, startComputeOperation(match[2], undefined, () => backendServices.set(key, {...service, ...change, fingerprint})))
      }
    }
    return computeError(response, 404, 'notFound', `the Compute fake does not serve ${method} ${path}`)
  }

  /** GKE refuses a cluster whose network, subnetwork or secondary range names do not exist. */
  const clusterNetworkProblem = (project: string, location: string, cluster: Partial<FakeCluster>): string | undefined => {
    if (!cluster.network) return undefined
    if (!networks.has(`projects/${project}/global/networks/${cluster.network}`)) return `Network "${cluster.network}" does not exist.`
    if (!cluster.subnetwork) return undefined
    const region = location.replace(/-[a-z]$/, '')
    const subnetwork = subnetworks.get(`projects/${project}/regions/${region}/subnetworks/${cluster.subnetwork}`)
    if (!subnetwork) return `Subnetwork "${cluster.subnetwork}" does not exist in region ${region}.`
    const names = new Set(subnetwork.secondaryIpRanges.map((range) => range.rangeName))
    for (const wanted of [cluster.ipAllocationPolicy?.clusterSecondaryRangeName, cluster.ipAllocationPolicy?.servicesSecondaryRangeName]) {
      if (wanted && !names.has(wanted)) return `secondary range "${wanted}" not found in subnetwork "${cluster.subnetwork}".`
    }
    return undefined
  }

  const handle = (request: IncomingMessage, response: ServerResponse, body: string) => {
    const path = (request.url ?? '').split('?')[0]
    const parsed = body ? JSON.parse(body) : undefined
    requests.push({method: request.method ?? '', path, authorization: request.headers.authorization, body: parsed})
    if (path.startsWith('/compute/v1/')) return handleCompute(request, response, path, parsed)
    let match: RegExpMatchArray | null

    if ((match = path.match(/^\/v1\/projects\/([^/]+)\/locations\/-\/clusters$/)) && request.method === 'GET') {
      if (denied.has(match[1])) return googleError(response, 403, 'PERMISSION_DENIED', `Permission denied on project ${match[1]}.`)
      const prefix = `projects/${match[1]}/`
      return send(response, 200, {clusters: [...clusters.entries()].filter(([key]) => key.startsWith(prefix)).map(([, c]) => c)})
    }
    if ((match = path.match(/^\/v1\/(projects\/[^/]+\/locations\/([^/]+))\/operations\/([^/]+)$/)) && request.method === 'GET') {
      const operation = operations.get(match[3])
      if (!operation) return googleError(response, 404, 'NOT_FOUND', `operation ${match[3]} not found`)
      operation.polls++
      if (operation.status !== OPERATION.DONE && operation.polls >= fake.pollsUntilDone) {
        operation.status = OPERATION.DONE
        operation.finish(operation.error !== undefined)
      }
      return send(response, 200, operationJson(operation))
    }
    if ((match = path.match(/^\/v1\/(projects\/[^/]+\/locations\/([^/]+))\/clusters$/)) && request.method === 'POST') {
      const cluster = parsed.cluster as Partial<FakeCluster>
      const key = `${match[1]}/clusters/${cluster.name}`
      if (clusters.has(key)) return googleError(response, 409, 'ALREADY_EXISTS', `Already exists: ${key}.`)
      const problem = clusterNetworkProblem(match[1].split('/')[1], match[2], cluster)
      if (problem) return googleError(response, 400, 'INVALID_ARGUMENT', problem)
      const created: FakeCluster = {
        name: cluster.name!,
        location: match[2],
        network: cluster.network,
        subnetwork: cluster.subnetwork,
        ipAllocationPolicy: cluster.ipAllocationPolicy,
        initialClusterVersion: cluster.initialClusterVersion,
        resourceLabels: cluster.resourceLabels,
        nodePools: (cluster.nodePools ?? []).map((pool) => ({...pool, status: POOL.PROVISIONING})),
        status: CLUSTER.PROVISIONING,
        endpoint: `203.0.113.${clusters.size + 10}`,
        masterAuth: {clusterCaCertificate: Buffer.from(`fake CA of ${cluster.name}`).toString('base64')},
      }
      clusters.set(key, created)
      for (const pool of created.nodePools) attachInstanceGroups(match[1].split('/')[1], match[2], created.name, pool)
      const operation = startOperation(match[2], 'CREATE_CLUSTER', (failed) => {
        created.status = failed ? CLUSTER.ERROR : CLUSTER.RUNNING
        for (const pool of created.nodePools) pool.status = failed ? POOL.ERROR : POOL.RUNNING
      })
      return send(response, 200, operationJson(operation))
    }
    if ((match = path.match(/^\/v1\/(projects\/[^/]+\/locations\/([^/]+)\/clusters\/[^/]+)\/nodePools$/)) && request.method === 'POST') {
      const cluster = clusters.get(match[1])
      if (!cluster) return googleError(response, 404, 'NOT_FOUND', `Not found: ${match[1]}.`)
      const pool = parsed.nodePool as FakeNodePool
      if (cluster.nodePools.some((existing) => existing.name === pool.name)) {
        return googleError(response, 409, 'ALREADY_EXISTS', `Already exists: node pool ${pool.name}.`)
      }
      const created = {...pool, status: POOL.PROVISIONING}
      cluster.nodePools.push(created)
      attachInstanceGroups(match[1].split('/')[1], match[2], cluster.name, created)
      const operation = startOperation(match[2], 'CREATE_NODE_POOL', (failed) => {
        created.status = failed ? POOL.ERROR : POOL.RUNNING
      })
      return send(response, 200, operationJson(operation))
    }
    if ((match = path.match(/^\/v1\/(projects\/[^/]+\/locations\/([^/]+)\/clusters\/[^/]+)\/nodePools\/([^/:]+)(?::(setSize|setAutoscaling))?$/))) {
      const cluster = clusters.get(match[1])
      const pool = cluster?.nodePools.find((candidate) => candidate.name === match![3])
      if (!pool) return googleError(response, 404, 'NOT_FOUND', `Not found: ${match[1]}/nodePools/${match[3]}.`)
      if (request.method === 'GET' && !match[4]) return send(response, 200, pool)
      if (request.method === 'POST' && match[4] === 'setSize') {
        const nodeCount = Number(parsed?.nodeCount ?? 0)
        if (!Number.isInteger(nodeCount) || nodeCount < 0) return googleError(response, 400, 'INVALID_ARGUMENT', `node_count must be non-negative, got ${parsed?.nodeCount}.`)
        const operation = startOperation(match[2], 'SET_NODE_POOL_SIZE', (failed) => {
          if (failed) return
          for (const url of pool.instanceGroupUrls ?? []) instanceGroups.get(groupKey(url))!.targetSize = nodeCount
        })
        return send(response, 200, operationJson(operation))
      }
      if (request.method === 'POST' && match[4] === 'setAutoscaling') {
        const autoscaling = parsed?.autoscaling as FakeNodePool['autoscaling']
        if (autoscaling?.enabled && (autoscaling.minNodeCount ?? 0) > (autoscaling.maxNodeCount ?? 0)) {
          return googleError(response, 400, 'INVALID_ARGUMENT', 'Autoscaling min_node_count must not be greater than max_node_count.')
        }
        const operation = startOperation(match[2], 'UPDATE_CLUSTER', (failed) => {
          if (!failed) pool.autoscaling = autoscaling
        })
        return send(response, 200, operationJson(operation))
      }
    }
    if ((match = path.match(/^\/v1\/(projects\/[^/]+\/locations\/([^/]+)\/clusters\/[^/]+)$/))) {
      const cluster = clusters.get(match[1])
      if (!cluster) return googleError(response, 404, 'NOT_FOUND', `Not found: ${match[1]}.`)
      if (request.method === 'GET') return send(response, 200, cluster)
      if (request.method === 'DELETE') {
        cluster.status = CLUSTER.STOPPING
        const key = match[1]
        const operation = startOperation(match[2], 'DELETE_CLUSTER', (failed) => {
          if (!failed) clusters.delete(key)
        })
        return send(response, 200, operationJson(operation))
      }
    }
    return googleError(response, 404, 'NOT_FOUND', `the GKE fake does not serve ${request.method} ${path}`)
  }

  const server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => {
      try {
        handle(request, response, body)
      } catch (error) {
        send(response, 500, {error: {code: 500, message: String(error), status: 'INTERNAL'}})
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  fake.port = typeof address === 'object' && address ? address.port : 0

  const authClient = new OAuth2Client()
  authClient.setCredentials({access_token: FAKE_ACCESS_TOKEN, expiry_date: Date.now() + 3_600_000})
  fake.computeEndpoint = `http://127.0.0.1:${fake.port}/compute/v1`
  fake.clientOptions = {
    fallback: true,
    apiEndpoint: '127.0.0.1',
    port: fake.port,
    protocol: 'http',
    auth: new GoogleAuth({authClient}),
  }
  return fake
}
