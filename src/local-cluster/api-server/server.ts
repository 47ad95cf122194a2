import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import type {Socket} from 'node:net'

import {ApiError, apiErrors, qualifiedResource} from '../store/api-error.js'
import {apiGroup, apiGroupList, apiResourceList, apiVersions, groupVersions, SERVER_VERSION} from './discovery.js'
import {decideApiFault, type FaultDecision, injectedLatency, runWithLostResponse} from './faults.js'
import {handleOpenApi} from './openapi-handler.js'
import {handlePodLog} from './pod-log.js'
import {resolveType} from './request-context.js'
import {handleResource} from './resource-handlers.js'
import {writeError, writeJson} from './respond.js'
import {parseRoute, type Route} from './routes.js'
import {handleServiceProxy, serviceProxyTarget} from './service-proxy.js'
import type {ApiServer, ApiServerOptions} from './types.js'

/** Verbs as the API server's metrics name them: list and watch are GETs without a name. */
function verbOf(method: string, route: Route, query: URLSearchParams): string {
  if (route.kind !== 'resource') return method.toLowerCase()
  const hasName = route.route.name !== undefined
  switch (method) {
    case 'GET':
      return hasName ? 'get' : query.get('watch') === 'true' || query.get('watch') === '1' ? 'watch' : 'list'
    case 'POST':
      return 'create'
    case 'PUT':
      return 'update'
    case 'PATCH':
      return 'patch'
    case 'DELETE':
      return hasName ? 'delete' : 'deletecollection'
    default:
      return method.toLowerCase()
  }
}

/**
 * Starts the Kubernetes-compatible API server for a store on plain HTTP (127.0.0.1 by default).
 * Every request is handled inside one try/catch: a bug answers 500 with a Status and is logged,
 * the server keeps serving.
 */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const {store} = options
  const log = options.logger ?? (() => undefined)
  const stats = {requests: 0, byVerb: {} as Record<string, number>}
  const sockets = new Set<Socket>()
  const faultTurns = {error: 0, lost: 0}
  let address = ''

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const route = parseRoute(url.pathname)
    const method = req.method ?? 'GET'
    const verb = verbOf(method, route, url.searchParams)
    stats.requests++
    stats.byVerb[verb] = (stats.byVerb[verb] ?? 0) + 1

    if (route.kind === 'health') return void writeText(res, 'ok')
    if (route.kind === 'version') return writeJson(res, 200, SERVER_VERSION)
    if (route.kind === 'openapi') return handleOpenApi(req, res, url.pathname, store)
    if (route.kind === 'discovery') return handleDiscovery(res, url.pathname)
    if (route.kind === 'notFound') throw apiErrors.pathNotFound()

    const fault = options.requestHooks?.apiFaults?.()
    let lose: FaultDecision['lose']
    if (fault) {
      await injectedLatency(fault)
      const write = ['create', 'update', 'patch', 'delete', 'deletecollection'].includes(verb) && route.route.subresource !== 'proxy'
      const decision = decideApiFault(fault, {write, resource: qualifiedResource(route.route), name: route.route.name}, faultTurns)
      if (decision.reject) {
        faultTurns.error++
        throw decision.reject
      }
      if (decision.lose) faultTurns.lost++
      lose = decision.lose
    }
    const proxy = serviceProxyTarget(route.route, url)
    if (proxy) return handleServiceProxy(req, res, proxy, options.serviceProxy)
    const {group, resource, namespace, name, subresource} = route.route
    if (group === '' && resource === 'pods' && subresource === 'log' && namespace !== undefined && name !== undefined && route.route.rest === '/') {
      return handlePodLog(req, res, store, namespace, name, url.searchParams, options.podLogs)
    }
    const type = resolveType(store, route.route)
    const run = () =>
      handleResource({
        req,
        res,
        route: route.route,
        type,
        query: url.searchParams,
        store,
        log,
        bookmarkIntervalMs: options.bookmarkIntervalMs ?? 10_000,
      })
    if (lose) return runWithLostResponse(req, res, lose, run)
    await run()
  }

  const handleDiscovery = (res: ServerResponse, pathname: string): void => {
    const segments = pathname.split('/').filter((s) => s !== '')
    const types = store.types()
    if (segments.length === 1 && segments[0] === 'api') return writeJson(res, 200, apiVersions(address))
    if (segments.length === 1) return writeJson(res, 200, apiGroupList(types))
    if (segments[0] === 'api') {
      const list = apiResourceList(types, '', segments[1])
      if (!list) throw apiErrors.pathNotFound()
      return writeJson(res, 200, list)
    }
    if (segments.length === 2) {
      const versions = groupVersions(types, segments[1])
      if (versions.length === 0) throw apiErrors.pathNotFound()
      return writeJson(res, 200, apiGroup(segments[1], versions))
    }
    const list = apiResourceList(types, segments[1], segments[2])
    if (!list) throw apiErrors.pathNotFound()
    writeJson(res, 200, list)
  }

  const server = createServer({keepAliveTimeout: 65_000}, (req, res) => {
    if (options.logRequests) res.on('finish', () => log(`api-server: ${req.method} ${req.url} ${res.statusCode} accept=${req.headers.accept ?? ''} content-type=${req.headers['content-type'] ?? ''}`))
    handle(req, res).catch((error: unknown) => {
      if (!(error instanceof ApiError)) log(`api-server: ${req.method} ${req.url} failed`)
      try {
        writeError(res, error, log)
      } catch (writeFailure) {
        log(`api-server: could not answer ${req.method} ${req.url}: ${String(writeFailure)}`)
        res.destroy()
      }
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const bound = server.address()
  const port = typeof bound === 'object' && bound ? bound.port : 0
  const host = options.host ?? '127.0.0.1'
  address = `${host}:${port}`
  return {
    url: `http://${host}:${port}`,
    port,
    stats: () => ({requests: stats.requests, byVerb: {...stats.byVerb}}),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        // Watches and idle keep-alive connections would hold close() open forever.
        for (const socket of sockets) socket.destroy()
      }),
  }
}

function writeText(res: ServerResponse, text: string): void {
  res.writeHead(200, {'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text)})
  res.end(text)
}
