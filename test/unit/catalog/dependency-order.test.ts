import {describe, expect, test} from 'vitest'

import {createCatalog, requireService} from '../../../src/catalog/catalog.js'
import {dependencyLayers, dependencyOrder, findDependencyCycle} from '../../../src/catalog/dependency-order.js'
import {loadCatalog} from '../../../src/catalog/load-catalog.js'
import type {ServiceDescriptor} from '../../../src/catalog/types.js'
import {NotFoundError, UsageError} from '../../../src/errors.js'
import {testService} from '../../helpers/builders.js'

const app = (name: string, services: string[] = [], database?: string, cache?: string): ServiceDescriptor =>
  testService({name, dependencies: {services, ...(database ? {database} : {}), ...(cache ? {cache} : {})}})
const mongo = (name: string) => testService({name, kind: 'mongodb'})
const redis = (name = 'redis') => testService({name, kind: 'redis'})

const names = (services: ServiceDescriptor[]) => services.map((service) => service.name)

describe('dependencyOrder', () => {
  test.each<[string, ServiceDescriptor[], string[]]>([
    ['an empty catalog', [], []],
    ['one service', [app('a')], ['a']],
    ['a chain, listed backwards', [app('a', ['b']), app('b', ['c']), app('c')], ['c', 'b', 'a']],
    ['a diamond', [app('top', ['left', 'right']), app('left', ['base']), app('right', ['base']), app('base')], ['base', 'left', 'right', 'top']],
    ['data before apps even when the app has no dependency', [app('alpha'), mongo('zeta-db'), redis()], ['zeta-db', 'redis', 'alpha']],
    ['database and cache before their app', [app('auth', [], 'auth-db', 'redis'), mongo('auth-db'), redis()], ['auth-db', 'redis', 'auth']],
    ['independent apps by name', [app('c'), app('a'), app('b')], ['a', 'b', 'c']],
  ])('%s', (_what, services, expected) => {
    expect(names(dependencyOrder(createCatalog(services)))).toEqual(expected)
  })

  const catalog = createCatalog([
    app('gateway', ['auth', 'users', 'billing']),
    app('billing', ['users'], 'billing-db'),
    app('users', ['auth'], 'users-db'),
    app('auth', [], 'auth-db', 'redis'),
    mongo('auth-db'),
    mongo('users-db'),
    mongo('billing-db'),
    redis(),
  ])

  test('the whole catalog: data first, gateway last', () => {
    expect(names(dependencyOrder(catalog))).toEqual(['auth-db', 'billing-db', 'users-db', 'redis', 'auth', 'users', 'billing', 'gateway'])
  })

  test.each<[string, string[], boolean, string[]]>([
    ['a subset keeps the catalog order, whatever order it is given in', ['gateway', 'auth', 'billing'], false, ['auth', 'billing', 'gateway']],
    ['an indirect dependency between two selected services is respected', ['billing', 'auth'], false, ['auth', 'billing']],
    ['a single service', ['users'], false, ['users']],
    ['with dependencies pulls in the transitive closure', ['billing'], true, ['auth-db', 'billing-db', 'users-db', 'redis', 'auth', 'users', 'billing']],
    ['duplicates are listed once', ['auth', 'auth'], false, ['auth']],
  ])('%s', (_what, selected, withDependencies, expected) => {
    expect(names(dependencyOrder(catalog, selected, {withDependencies}))).toEqual(expected)
  })

  test('an unknown name is NotFoundError listing the known ones', () => {
    expect(() => dependencyOrder(catalog, ['auth', 'payroll'])).toThrow(NotFoundError)
    expect(() => dependencyOrder(catalog, ['payroll'])).toThrow('unknown service "payroll": expected one of auth, billing, gateway, users, auth-db')
  })

  test('a cycle is a UsageError naming it', () => {
    const cyclic = createCatalog([app('a', ['b']), app('b', ['c']), app('c', ['a']), app('d')])
    expect(() => dependencyOrder(cyclic)).toThrow(UsageError)
    expect(() => dependencyOrder(cyclic)).toThrow('service dependencies form a cycle: a -> b -> c -> a')
  })

  test('the bundled catalog: every service after all it depends on, gateway last', async () => {
    const bundled = await loadCatalog()
    const order = names(dependencyOrder(bundled))
    expect(order).toHaveLength(bundled.services.length)
    expect(order.at(-1)).toBe('gateway')
    const firstApp = order.findIndex((name) => bundled.byName(name)?.kind === 'app')
    expect(order.slice(firstApp).every((name) => bundled.byName(name)?.kind === 'app')).toBe(true)
    for (const service of bundled.services) {
      const deps = [service.dependencies.database, service.dependencies.cache, ...service.dependencies.services].filter(Boolean) as string[]
      for (const dep of deps) expect(order.indexOf(dep), `${dep} before ${service.name}`).toBeLessThan(order.indexOf(service.name))
    }
  })
})

describe('dependencyLayers', () => {
  test('groups into waves by longest chain below each service', () => {
    const catalog = createCatalog([app('gateway', ['users', 'auth']), app('users', ['auth'], 'users-db'), app('auth', [], 'auth-db'), mongo('auth-db'), mongo('users-db')])
    expect(dependencyLayers(catalog).map(names)).toEqual([['auth-db', 'users-db'], ['auth'], ['users'], ['gateway']])
  })

  test('a subset drops empty waves', () => {
    const catalog = createCatalog([app('gateway', ['users']), app('users', ['auth']), app('auth')])
    expect(dependencyLayers(catalog, ['gateway', 'auth']).map(names)).toEqual([['auth'], ['gateway']])
  })
})

describe('findDependencyCycle', () => {
  test.each<[string, ServiceDescriptor[], string[] | undefined]>([
    ['none', [app('a', ['b']), app('b')], undefined],
    ['a self-loop', [app('a', ['a'])], ['a', 'a']],
    ['two services', [app('a', ['b']), app('b', ['a'])], ['a', 'b', 'a']],
    ['a cycle below an acyclic entry', [app('a', ['b']), app('b', ['c']), app('c', ['b'])], ['b', 'c', 'b']],
    ['unknown names are ignored', [app('a', ['ghost'])], undefined],
  ])('%s', (_what, services, expected) => {
    expect(findDependencyCycle(services)).toEqual(expected)
  })
})

describe('requireService', () => {
  test('returns the descriptor by name', () => {
    expect(requireService(createCatalog([app('billing')]), 'billing').name).toBe('billing')
  })

  test('an unknown name lists the known ones and points at services list', () => {
    const error = (() => {
      try {
        requireService(createCatalog([app('billing'), app('auth')]), 'nope')
      } catch (thrown) {
        return thrown
      }
      return undefined
    })()
    expect(error).toBeInstanceOf(NotFoundError)
    expect((error as NotFoundError).message).toBe('unknown service "nope": expected one of auth, billing')
    expect((error as NotFoundError).hint).toContain('mygate services list')
  })
})
