import {NotFoundError, oneOf} from '../errors.js'
import type {Catalog, ServiceDescriptor, ServiceKind} from './types.js'

/** Order services are listed in: apps, then databases, then the cache; by name within each. */
const KIND_ORDER: Record<ServiceKind, number> = {app: 0, mongodb: 1, redis: 2}

/** Wraps validated descriptors in a Catalog (sorted, with a name index). Pure; used by the loader and tests. */
export function createCatalog(services: readonly ServiceDescriptor[]): Catalog {
  const sorted = [...services].sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.name.localeCompare(b.name))
  const index = new Map(sorted.map((service) => [service.name, service]))
  return {services: sorted, byName: (name) => index.get(name)}
}

/** The named service, or a NotFoundError listing the known names. */
export function requireService(catalog: Catalog, name: string): ServiceDescriptor {
  const service = catalog.byName(name)
  if (service) return service
  const known = catalog.services.map((s) => s.name)
  throw new NotFoundError(`unknown service "${name}": expected ${oneOf(known)}`, {
    hint: 'run `mygate services list` to see the bundled services',
    details: {name, known},
  })
}

/** Every service `service` depends on directly: its database, its cache and the services it calls. */
export function directDependencies(service: ServiceDescriptor): string[] {
  const {database, cache, services} = service.dependencies
  return [...(database ? [database] : []), ...(cache ? [cache] : []), ...services]
}
