import type {IncomingMessage, ServerResponse} from 'node:http'

import {apiErrors} from '../store/api-error.js'
import {readBody} from './body.js'
import type {ResourceRoute} from './routes.js'
import type {ServiceProxyHandler, ServiceProxyRequest} from './types.js'

export interface ProxyTarget {
  namespace: string
  service: string
  port?: string
  path: string
  query: URLSearchParams
}

/** Recognises `/api/v1/namespaces/NS/services/NAME[:PORT]/proxy[/PATH]`. */
export function serviceProxyTarget(route: ResourceRoute, url: URL): ProxyTarget | undefined {
  if (route.group !== '' || route.resource !== 'services' || route.subresource !== 'proxy' || !route.namespace || !route.name) return undefined
  const [service, port] = route.name.split(':')
  // The path after /proxy, taken from the raw URL so encoding and a trailing slash survive.
  const marker = `/services/${encodeURIComponent(route.name)}/proxy`
  const raw = url.pathname.includes(marker) ? url.pathname.slice(url.pathname.indexOf(marker) + marker.length) : (route.rest ?? '/')
  return {namespace: route.namespace, service, ...(port ? {port} : {}), path: raw === '' ? '/' : raw, query: url.searchParams}
}

export async function handleServiceProxy(req: IncomingMessage, res: ServerResponse, target: ProxyTarget, handler: ServiceProxyHandler | undefined): Promise<void> {
  const body = await readBody(req)
  const request: ServiceProxyRequest = {...target, method: req.method ?? 'GET', body}
  const response = handler ? await handler(request) : undefined
  if (!response) throw apiErrors.serviceUnavailable(`no endpoints available for service "${target.service}"`)
  const payload = typeof response.body === 'string' ? Buffer.from(response.body) : response.body
  res.writeHead(response.status, {'Content-Type': 'application/json', ...response.headers, 'Content-Length': payload.length})
  res.end(payload)
}
