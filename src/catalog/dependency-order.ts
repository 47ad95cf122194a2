import {UsageError} from '../errors.js'
import {directDependencies, requireService} from './catalog.js'
import type {Catalog, ServiceDescriptor, ServiceKind} from './types.js'

/**
 * Dependency ordering of the catalog, pure. Environment creation deploys in this order and a
 * release train walks it, so a service is only started once what it calls is up.
 */

export interface OrderOptions {
  /** Also include everything the named services depend on, transitively. Default false. */
  withDependencies?: boolean
}

/** Among services whose dependencies are met, data comes first, then apps; by name within. */
const KIND_RANK: Record<ServiceKind, number> = {mongodb: 0, redis: 1, app: 2}

/**
 * The first dependency cycle found, as a closed path (`['a', 'b', 'a']`), or undefined.
 * Names that are not in `services` are ignored here (the loader reports them separately).
 */
export function findDependencyCycle(services: readonly ServiceDescriptor[]): string[] | undefined {
  const byName = new Map(services.map((service) => [service.name, service]))
  const state = new Map<string, 'visiting' | 'done'>()
  const stack: string[] = []
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name]
    const service = byName.get(name)
    if (!service) return undefined
    state.set(name, 'visiting')
    stack.push(name)
    for (const dependency of directDependencies(service).sort()) {
      const cycle = visit(dependency)
      if (cycle) return cycle
    }
    stack.pop()
    state.set(name, 'done')
    return undefined
  }
  for (const name of [...byName.keys()].sort()) {
    const cycle = visit(name)
    if (cycle) return cycle
  }
  return undefined
}

function selection(catalog: Catalog, names: readonly string[] | undefined, options: OrderOptions): Set<string> {
  if (names === undefined) return new Set(catalog.services.map((service) => service.name))
  const selected = new Set<string>()
  const add = (name: string) => {
    if (selected.has(name)) return
    const service = requireService(catalog, name)
    selected.add(name)
    if (options.withDependencies) for (const dependency of directDependencies(service)) add(dependency)
  }
  for (const name of names) add(name)
  return selected
}

function assertAcyclic(catalog: Catalog): void {
  const cycle = findDependencyCycle(catalog.services)
  if (cycle) {
    throw new UsageError(`service dependencies form a cycle: ${cycle.join(' -> ')}`, {
      hint: `remove one of these dependencies from services/${cycle[0]}.yaml`,
      details: {cycle},
    })
  }
}

/**
 * Services in dependency order: every service after everything it depends on. Ties are broken
 * so data services come first and the result is deterministic (by kind, then name); the gateway,
 * which calls every app, therefore comes last.
 *
 * With `names`, only those services are returned, still in the catalog-wide order (so an
 * indirect dependency between two selected services is respected). Unknown names throw
 * NotFoundError; a cycle throws UsageError naming it.
 *
 * Example: auth -> auth-db, users -> users-db + auth, gateway -> auth + users gives
 * auth-db, users-db, auth, users, gateway.
 */
export function dependencyOrder(catalog: Catalog, names?: readonly string[], options: OrderOptions = {}): ServiceDescriptor[] {
  assertAcyclic(catalog)
  const selected = selection(catalog, names, options)
  const inCatalog = (name: string) => catalog.byName(name) !== undefined
  const remaining = new Map(catalog.services.map((service) => [service.name, directDependencies(service).filter(inCatalog).length]))
  const dependents = new Map<string, string[]>()
  for (const service of catalog.services) {
    for (const dependency of directDependencies(service).filter(inCatalog)) {
      dependents.set(dependency, [...(dependents.get(dependency) ?? []), service.name])
    }
  }
  const rank = (service: ServiceDescriptor) => `${KIND_RANK[service.kind]}:${service.name}`
  const ready = catalog.services.filter((service) => remaining.get(service.name) === 0)
  const order: ServiceDescriptor[] = []
  while (ready.length > 0) {
    ready.sort((a, b) => rank(a).localeCompare(rank(b)))
    const next = ready.shift() as ServiceDescriptor
    order.push(next)
    for (const dependent of dependents.get(next.name) ?? []) {
      const left = (remaining.get(dependent) ?? 0) - 1
      remaining.set(dependent, left)
      if (left === 0) ready.push(catalog.byName(dependent) as ServiceDescriptor)
    }
  }
  return order.filter((service) => selected.has(service.name))
}

/**
 * The same order grouped into waves that can be deployed in parallel: wave 0 depends on nothing,
 * wave n only on earlier waves (its depth is the longest dependency chain below it).
 */
export function dependencyLayers(catalog: Catalog, names?: readonly string[], options: OrderOptions = {}): ServiceDescriptor[][] {
  const full = dependencyOrder(catalog)
  const depth = new Map<string, number>()
  for (const service of full) {
    const below = directDependencies(service).map((name) => depth.get(name) ?? -1)
    depth.set(service.name, Math.max(-1, ...below) + 1)
  }
  const selected = new Set(dependencyOrder(catalog, names, options).map((service) => service.name))
  const layers: ServiceDescriptor[][] = []
  for (const service of full) {
    if (!selected.has(service.name)) continue
    const level = depth.get(service.name) ?? 0
    ;(layers[level] ??= []).push(service)
  }
  return layers.filter((layer) => layer !== undefined && layer.length > 0)
}
