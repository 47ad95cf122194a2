import {beforeAll, describe, expect, test} from 'vitest'

import {loadCatalog} from '../../../src/catalog/load-catalog.js'
import type {Catalog} from '../../../src/catalog/types.js'
import {imagePatch, templateImage} from '../../../src/deploy/deploy-database.js'
import {parseDeployFlags, type DeployFlags} from '../../../src/deploy/deploy-input.js'
import {UsageError} from '../../../src/errors.js'
import type {KubeObject} from '../../../src/kube/types.js'

/** `mygate deploy` of a MongoDB service: its request, and the refusals that name the flag and the fix. */
let catalog: Catalog
beforeAll(async () => {
  catalog = await loadCatalog()
})

describe('parseDeployFlags for a database', () => {
  test.each<[string, Partial<DeployFlags>, string, string]>([
    ['--version: the descriptor\'s repository', {version: '7.0.14'}, 'mongo:7.0.14', '7.0.14'],
    ['--image: as given', {image: 'mirror.example.com/mongo:7.0.15'}, 'mirror.example.com/mongo:7.0.15', '7.0.15'],
  ])('%s', (_name, flags, image, version) => {
    const request = parseDeployFlags({services: ['billing-db'], ...flags}, catalog)
    expect(request.services).toEqual([])
    expect(request.databases.map((d) => [d.descriptor.name, d.image, d.version])).toEqual([['billing-db', image, version]])
    expect(request.readyTimeoutMs).toBe(600_000)
  })

  test.each<[string, Partial<DeployFlags>, RegExp]>([
    ['a rollout strategy', {canary: true}, /^--canary does not apply to billing-db: a database is upgraded by role/],
    ['blue-green', {blueGreen: true}, /^--blue-green does not apply to billing-db/],
    ['canary steps', {steps: '10,100'}, /^--steps does not apply to billing-db/],
  ])('refuses %s', (_name, flags, message) => {
    expect(() => parseDeployFlags({services: ['billing-db'], version: '7.0.14', ...flags}, catalog)).toThrow(message)
  })

  test('a database in a release train with app services is refused, naming the order', () => {
    const error = (() => {
      try {
        parseDeployFlags({services: ['billing', 'billing-db'], version: '7.0.14'}, catalog)
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).message).toBe('billing-db: a database is upgraded on its own, not in a release train with app services')
    expect((error as UsageError).hint).toBe('deploy billing-db first, then the app services')
  })

  test('redis stays refused', () => {
    expect(() => parseDeployFlags({services: ['redis'], version: '7.2.5'}, catalog)).toThrow(/redis is a redis data service; mygate deploy rolls out app services and upgrades MongoDB databases only/)
  })
})

describe('the StatefulSet patch', () => {
  const set = (labels: Record<string, string>): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: {name: 'billing-db'},
    spec: {template: {metadata: {labels}, spec: {containers: [{name: 'mongod', image: 'mongo:7.0'}, {name: 'exporter', image: 'x:1'}]}}},
  })
  test('moves the mongod container by name and the version labels where the template has one', () => {
    expect(templateImage(set({}))).toBe('mongo:7.0')
    expect(imagePatch(set({'app.kubernetes.io/version': '7.0'}), 'mongo:7.0.14', '7.0.14')).toEqual({
      metadata: {labels: {'app.kubernetes.io/version': '7.0.14'}},
      spec: {template: {metadata: {labels: {'app.kubernetes.io/version': '7.0.14'}}, spec: {containers: [{name: 'mongod', image: 'mongo:7.0.14'}]}}},
    })
    expect(imagePatch(set({}), 'mongo:7.0.14', '7.0.14')).toEqual({
      metadata: {labels: {'app.kubernetes.io/version': '7.0.14'}},
      spec: {template: {spec: {containers: [{name: 'mongod', image: 'mongo:7.0.14'}]}}},
    })
  })
})
