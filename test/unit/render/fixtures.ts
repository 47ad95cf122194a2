import {createCatalog} from '../../../src/catalog/catalog.js'
import type {Catalog, ServiceDescriptor, TierSettings} from '../../../src/catalog/types.js'
import {testService} from '../../helpers/builders.js'

export const catalogOf = (services: ServiceDescriptor[]): Catalog => createCatalog(services)

const dataTier = (replicas: number, storage: string): TierSettings => ({
  replicas,
  resources: {requests: {cpu: '250m', memory: '512Mi'}, limits: {cpu: '1', memory: '1Gi'}},
  storage,
})

export function testMongo(name: string): ServiceDescriptor {
  return testService({
    name,
    kind: 'mongodb',
    image: {repository: 'mongo', tag: '7.0.14'},
    port: 27017,
    probes: {liveness: '', readiness: '', type: 'tcp'},
    tiers: {dev: dataTier(1, '1Gi'), staging: dataTier(3, '10Gi'), prod: dataTier(3, '50Gi')},
    autoscaling: undefined,
    secrets: [{env: 'MONGO_INITDB_ROOT_PASSWORD', secretName: `${name}-credentials`, key: 'password'}],
  })
}

export function testRedis(name = 'redis'): ServiceDescriptor {
  return testService({
    name,
    kind: 'redis',
    image: {repository: 'redis', tag: '7.4'},
    port: 6379,
    probes: {liveness: '', readiness: '', type: 'tcp'},
    tiers: {dev: dataTier(1, '1Gi'), staging: dataTier(1, '5Gi'), prod: dataTier(2, '10Gi')},
    autoscaling: undefined,
  })
}

/** A small platform with every shape: gateway, apps with databases, cache and service calls. */
export function testPlatform(): Catalog {
  return catalogOf([
    testService({name: 'gateway', dependencies: {services: ['auth', 'billing'], cache: 'redis'}}),
    testService({name: 'auth', dependencies: {database: 'auth-db', services: []}, secrets: [{env: 'JWT_KEY', secretName: 'auth-jwt', key: 'key'}]}),
    testService({name: 'billing', port: 9090, dependencies: {database: 'billing-db', cache: 'redis', services: ['auth']}, autoscaling: undefined}),
    testMongo('auth-db'),
    testMongo('billing-db'),
    testRedis(),
  ])
}
