import type {IncomingMessage, ServerResponse} from 'node:http'

import type {KubeObject} from '../../kube/types.js'
import {apiErrors} from '../store/api-error.js'
import type {LocalObjectStore} from '../store/object-store.js'
import type {ResourceType} from '../store/types.js'
import {servedVersions} from './discovery.js'
import type {ResourceRoute} from './routes.js'

/** Everything a resource handler needs about one request. */
export interface ResourceRequest {
  req: IncomingMessage
  res: ServerResponse
  route: ResourceRoute
  type: ResourceType
  query: URLSearchParams
  store: LocalObjectStore
  log: (line: string) => void
  bookmarkIntervalMs: number
}

/** Resolves the route's type; a resource the group/version does not serve is 404 as on a real server. */
export function resolveType(store: LocalObjectStore, route: ResourceRoute): ResourceType {
  const type = store.typeFor({group: route.group, resource: route.resource})
  if (!type || !servedVersions(type).includes(route.version)) throw apiErrors.pathNotFound()
  if (route.namespace !== undefined && !type.namespaced) throw apiErrors.pathNotFound()
  return type
}

export function groupVersion(type: ResourceType, version: string): string {
  return type.group === '' ? version : `${type.group}/${version}`
}

/** `?dryRun=All` (the only value the API defines). */
export function isDryRun(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun')
  for (const value of values) if (value !== 'All') throw apiErrors.badRequest(`Invalid dry run value: "${value}": supported values: "All"`)
  return values.length > 0
}

export function fieldManagerOf(req: IncomingMessage, query: URLSearchParams): string {
  const given = query.get('fieldManager')
  if (given) {
    if (given.length > 128) throw apiErrors.badRequest('fieldManager: Too long: may not be longer than 128')
    return given
  }
  // The real server names an anonymous writer after its user agent's program name.
  return String(req.headers['user-agent'] ?? 'unknown').split('/')[0] || 'unknown'
}

/**
 * Checks a body's apiVersion/kind against the URL and puts the URL's namespace and name in,
 * as the real server does (a mismatch is 400 BadRequest).
 */
export function bindObjectToRoute(input: unknown, request: Pick<ResourceRequest, 'route' | 'type'>): KubeObject {
  const {route, type} = request
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw apiErrors.badRequest('the request body must be a JSON object')
  const object = input as KubeObject
  const expected = groupVersion(type, route.version)
  // Like the real decoder: a missing apiVersion/kind defaults to the endpoint's, a wrong one is 400.
  object.apiVersion ??= expected
  object.kind ??= type.kind
  if (object.kind !== type.kind) {
    throw apiErrors.badRequest(`the kind in the data (${String(object.kind)}) does not match the expected kind (${type.kind}) for the URL`)
  }
  if (object.apiVersion !== expected) {
    throw apiErrors.badRequest(`the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${expected})`)
  }
  object.metadata ??= {}
  if (typeof object.metadata !== 'object' || Array.isArray(object.metadata)) throw apiErrors.badRequest('metadata must be an object')
  if (type.namespaced) {
    const namespace = route.namespace
    if (namespace === undefined) throw apiErrors.pathNotFound()
    if (object.metadata.namespace !== undefined && object.metadata.namespace !== '' && object.metadata.namespace !== namespace) {
      throw apiErrors.badRequest('the namespace of the provided object does not match the namespace sent on the request')
    }
    object.metadata.namespace = namespace
  }
  if (route.name !== undefined) {
    if (object.metadata.name !== undefined && object.metadata.name !== route.name) {
      throw apiErrors.badRequest(`the name of the object (${String(object.metadata.name)}) does not match the name on the URL (${route.name})`)
    }
    object.metadata.name = route.name
  }
  return object
}
