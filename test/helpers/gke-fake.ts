import type {ClusterManagerClient} from '@google-cloud/container'
import {GoogleAuth, OAuth2Client} from 'google-auth-library'
import {type IncomingMessage, type ServerResponse, createServer} from 'node:http'

/**
 * A local fake of the GKE v1 REST endpoints the GCP provider uses, for @google-cloud/container in
 * REST fallback mode (enums travel as integers). Operations stay RUNNING for `pollsUntilDone`
 * reads, then finish and take effect; `failNext` makes the next operation of a type end in error.
 */

type OperationType = 'CREATE_CLUSTER' | 'DELETE_CLUSTER' | 'CREATE_NODE_POOL'
const OPERATION_TYPE: Record<OperationType, number> = {CREATE_CLUSTER: 1, DELETE_CLUSTER: 2, CREATE_NODE_POOL: 7}
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
}

export interface FakeCluster {
  name: string
  location: string
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
  pollsUntilDone: number
  failNext(type: OperationType, message: string): void
  /** listClusters in this project answers 403 PERMISSION_DENIED. */
  denyProject(project: string): void
  stop(): Promise<void>
}

export const FAKE_ACCESS_TOKEN = 'fake-gke-token'

export async function startGkeFake(): Promise<GkeFake> {
  const clusters = new Map<string, FakeCluster>()
  const operations = new Map<string, FakeOperation>()
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
    pollsUntilDone: 2,
    failNext: (type, message) => failures.set(type, message),
    denyProject: (project) => denied.add(project),
    stop: async () => new Promise<void>((resolve) => server.close(() => resolve())),
  }

  const handle = (request: IncomingMessage, response: ServerResponse, body: string) => {
    const path = (request.url ?? '').split('?')[0]
    const parsed = body ? JSON.parse(body) : undefined
    requests.push({method: request.method ?? '', path, authorization: request.headers.authorization, body: parsed})
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
      const created: FakeCluster = {
        name: cluster.name!,
        location: match[2],
        initialClusterVersion: cluster.initialClusterVersion,
        resourceLabels: cluster.resourceLabels,
        nodePools: (cluster.nodePools ?? []).map((pool) => ({...pool, status: POOL.PROVISIONING})),
        status: CLUSTER.PROVISIONING,
        endpoint: `203.0.113.${clusters.size + 10}`,
        masterAuth: {clusterCaCertificate: Buffer.from(`fake CA of ${cluster.name}`).toString('base64')},
      }
      clusters.set(key, created)
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
      const operation = startOperation(match[2], 'CREATE_NODE_POOL', (failed) => {
        created.status = failed ? POOL.ERROR : POOL.RUNNING
      })
      return send(response, 200, operationJson(operation))
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
  fake.clientOptions = {
    fallback: true,
    apiEndpoint: '127.0.0.1',
    port: fake.port,
    protocol: 'http',
    auth: new GoogleAuth({authClient}),
  }
  return fake
}
