/** A request path under /api or /apis, taken apart. */
export interface ResourceRoute {
  group: string
  version: string
  namespace?: string
  resource: string
  name?: string
  subresource?: string
  /** What follows the subresource (the service proxy's path). */
  rest?: string
}

export type Route =
  | {kind: 'resource'; route: ResourceRoute}
  | {kind: 'discovery'; path: string}
  | {kind: 'openapi'; path: string}
  | {kind: 'health'}
  | {kind: 'version'}
  | {kind: 'notFound'}

/**
 * Maps a path onto a route. `/api/v1/namespaces/X` is the namespace X itself; anything after it
 * other than its own subresources (`status`, `finalize`) is a resource inside that namespace.
 */
export function parseRoute(pathname: string): Route {
  if (pathname === '/healthz' || pathname === '/readyz' || pathname === '/livez' || pathname.startsWith('/healthz/') || pathname.startsWith('/readyz/') || pathname.startsWith('/livez/')) {
    return {kind: 'health'}
  }
  if (pathname === '/version' || pathname === '/version/') return {kind: 'version'}
  if (pathname === '/openapi/v2' || pathname.startsWith('/openapi/v3') || pathname === '/swagger.json' || pathname === '/swagger-2.0.0.pb-v1') return {kind: 'openapi', path: pathname}
  const segments = pathname.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s))
  let group: string
  let version: string
  let rest: string[]
  if (segments[0] === 'api') {
    if (segments.length <= 2) return {kind: 'discovery', path: pathname}
    group = ''
    version = segments[1]
    rest = segments.slice(2)
  } else if (segments[0] === 'apis') {
    if (segments.length <= 3) return {kind: 'discovery', path: pathname}
    group = segments[1]
    version = segments[2]
    rest = segments.slice(3)
  } else {
    return {kind: 'notFound'}
  }
  let namespace: string | undefined
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))) {
    namespace = rest[1]
    rest = rest.slice(2)
  }
  const [resource, name, subresource, ...tail] = rest
  if (!resource) return {kind: 'notFound'}
  return {
    kind: 'resource',
    route: {
      group,
      version,
      resource,
      ...(namespace !== undefined ? {namespace} : {}),
      ...(name !== undefined ? {name} : {}),
      ...(subresource !== undefined ? {subresource} : {}),
      ...(subresource !== undefined ? {rest: `/${tail.join('/')}`} : {}),
    },
  }
}
