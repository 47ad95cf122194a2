import {describe, expect, test} from 'vitest'

import {createCatalog} from '../../../src/catalog/catalog.js'
import {UsageError} from '../../../src/errors.js'
import {chooseTarget, databaseOrder, parseOverrides, planFailover, planLines, stepBatches} from '../../../src/failover/plan.js'
import {testService} from '../../helpers/builders.js'

const catalog = createCatalog([
  testService({name: 'billing-db', kind: 'mongodb'}),
  testService({name: 'auth-db', kind: 'mongodb'}),
  testService({name: 'orphan-db', kind: 'mongodb'}),
  testService({name: 'redis', kind: 'redis'}),
  testService({name: 'auth', dependencies: {database: 'auth-db', services: []}}),
  testService({name: 'billing', dependencies: {database: 'billing-db', services: ['auth']}}),
  testService({name: 'gateway', dependencies: {services: ['auth', 'billing']}}),
])
const spec = {name: 'demo', regions: {primary: 'a', secondary: 'b'}}

describe('planFailover', () => {
  test('a planned switchover: scale up, primaries in dependency order, redis, traffic, verify, then shrink the source and record', () => {
    const plan = planFailover({spec, activeRegion: 'a', catalog, mode: 'planned'})
    expect(plan).toMatchObject({from: 'a', to: 'b', mode: 'planned', overrides: []})
    expect(plan.steps.map((s) => `${s.id}@${s.region}`)).toEqual([
      'scale-target@b',
      'move-primary:auth-db@b',
      'move-primary:billing-db@b',
      'move-primary:orphan-db@b',
      'redis:redis@b',
      'switch-traffic@b',
      'verify-gateway@b',
      'scale-source@a',
      'record-active@b',
    ])
    expect(plan.checks).toEqual(['target-cluster', 'database-lag', 'versions', 'capacity', 'dns', 'backup-age'])
  })

  test('a forced failover fences the source first, forces the survivors, and never scales the lost source', () => {
    const plan = planFailover({spec, activeRegion: 'b', catalog, mode: 'forced'})
    expect(plan.from).toBe('b')
    expect(plan.to).toBe('a')
    const ids = plan.steps.map((s) => s.id)
    expect(ids[0]).toBe('fence-source')
    expect(plan.steps[0].region).toBe('b')
    expect(ids).toContain('force-primary:billing-db')
    expect(ids).not.toContain('scale-source')
    expect(ids.some((id) => id.startsWith('move-primary'))).toBe(false)
    expect(ids.indexOf('fence-source')).toBeLessThan(ids.indexOf('force-primary:auth-db'))
  })

  test.each(['planned', 'forced'] as const)('%s: the databases and Redis move as one parallel batch, after the target scales and before any traffic step', (mode) => {
    const plan = planFailover({spec, activeRegion: 'a', catalog, mode})
    const batches = stepBatches(plan.steps).map((batch) => batch.map((s) => s.id))
    const databases = batches.find((batch) => batch.length > 1)
    const kind = mode === 'planned' ? 'move-primary' : 'force-primary'
    expect(databases).toEqual([`${kind}:auth-db`, `${kind}:billing-db`, `${kind}:orphan-db`, 'redis:redis'])
    expect(batches.filter((batch) => batch.length > 1)).toHaveLength(1)
    const at = batches.indexOf(databases as string[])
    expect(batches.slice(0, at).flat()).toContain('scale-target')
    expect(batches.slice(at + 1).flat()).toEqual(expect.arrayContaining(['switch-traffic', 'verify-gateway', 'record-active']))
  })

  test.each([
    [[], []],
    [[{id: 'a'}], [['a']]],
    [[{id: 'a'}, {id: 'b', group: 'g'}, {id: 'c', group: 'g'}, {id: 'd'}], [['a'], ['b', 'c'], ['d']]],
    [[{id: 'a', group: 'g'}, {id: 'b', group: 'h'}, {id: 'c', group: 'g'}], [['a'], ['b'], ['c']]],
    [[{id: 'a'}, {id: 'b'}], [['a'], ['b']]],
  ])('stepBatches %j -> %j', (steps, expected) => {
    expect(stepBatches(steps).map((batch) => batch.map((s) => s.id))).toEqual(expected)
  })

  test('step ids are unique (the state store keys progress by them)', () => {
    for (const mode of ['planned', 'forced'] as const) {
      const ids = planFailover({spec, activeRegion: 'a', catalog, mode}).steps.map((s) => s.id)
      expect(new Set(ids).size).toBe(ids.length)
    }
  })

  test('the dry-run lines number the steps and mark overridden checks', () => {
    const lines = planLines(planFailover({spec, activeRegion: 'a', catalog, mode: 'planned', overrides: ['backup-age']}))
    expect(lines[0]).toBe('Planned switchover of demo: a -> b')
    expect(lines[1]).toContain('backup-age (overridden)')
    expect(lines[2]).toBe('  1. scale b to full: apps at the recorded versions, HPA bounds')
  })
})

describe('databaseOrder', () => {
  test('data before the apps that depend on it; unowned databases last', () => {
    expect(databaseOrder(catalog)).toEqual(['auth-db', 'billing-db', 'orphan-db'])
  })
})

describe('bad input: one clear line each', () => {
  test.each([
    [{name: 'solo', regions: {primary: 'a'}}, 'a', undefined, 'environment "solo" has no secondary region: there is nowhere to fail over to', 'mygate env create solo --secondary-region REGION'],
    [spec, 'a', 'c', '--to "c" is not a region of environment "demo"', 'use one of a, b'],
    [spec, 'a', 'a', '--to "a" is already the active region of "demo"', 'fail over to b, or leave --to out'],
  ])('%o active %s --to %s', (environment, active, to, message, hint) => {
    let thrown: unknown
    try {
      chooseTarget(environment, active, to)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(UsageError)
    expect((thrown as UsageError).message).toBe(message)
    expect((thrown as UsageError).hint).toContain(hint)
  })

  test('the default target is the region that is not active', () => {
    expect(chooseTarget(spec, 'b', undefined)).toBe('a')
  })

  test('an unknown --override names the known checks', () => {
    try {
      parseOverrides(['dns', 'lag'])
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError)
      expect((error as UsageError).message).toBe('--override "lag" is not a readiness check')
      expect((error as UsageError).hint).toContain('database-lag')
    }
  })

  test('overrides are deduplicated', () => {
    expect(parseOverrides(['dns', 'dns', 'capacity'])).toEqual(['dns', 'capacity'])
  })
})
