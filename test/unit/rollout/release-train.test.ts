import {describe, expect, test} from 'vitest'

import {UsageError} from '../../../src/errors.js'
import {planReleaseTrain, servicesToSkip, trainOutcome} from '../../../src/rollout/release-train.js'

const graph = (edges: Record<string, string[]>) => (name: string) => edges[name] ?? []

describe('planReleaseTrain', () => {
  test.each([
    ['independent services, concurrency 2', ['a', 'b', 'c', 'd'], {}, 2, [['a', 'b'], ['c', 'd']]],
    ['independent services, concurrency 10', ['a', 'b', 'c'], {}, 10, [['a', 'b', 'c']]],
    ['a dependency goes first', ['web', 'api', 'sync'], {web: ['api']}, 2, [['api', 'sync'], ['web']]],
    ['a chain', ['c', 'b', 'a'], {c: ['b'], b: ['a']}, 3, [['a'], ['b'], ['c']]],
    ['dependencies outside the train are ignored', ['visitors'], {visitors: ['billing', 'notify']}, 1, [['visitors']]],
    ['diamond', ['top', 'left', 'right', 'base'], {top: ['left', 'right'], left: ['base'], right: ['base']}, 4, [['base'], ['left', 'right'], ['top']]],
    ['concurrency 1 is one at a time in dependency order', ['web', 'api'], {web: ['api']}, 1, [['api'], ['web']]],
    ['duplicates and self-dependencies', ['a', 'a', 'b'], {a: ['a']}, 5, [['a', 'b']]],
  ])('%s', (_name, services, edges, concurrency, waves) => {
    expect(planReleaseTrain({services, dependsOn: graph(edges), concurrency}).waves).toEqual(waves)
  })

  test('a cycle is a UsageError naming it', () => {
    const plan = () => planReleaseTrain({services: ['a', 'b', 'c'], dependsOn: graph({a: ['b'], b: ['c'], c: ['a']}), concurrency: 2})
    expect(plan).toThrow(UsageError)
    expect(plan).toThrow('the services in this deploy depend on each other in a cycle: a -> b -> c -> a')
  })

  test.each([0, -1, 1.5])('concurrency %d is refused', (concurrency) => {
    expect(() => planReleaseTrain({services: ['a'], dependsOn: graph({}), concurrency})).toThrow(UsageError)
  })
})

describe('a train with one failure', () => {
  // gate depends on visitors; notify depends on gate; billing is independent.
  const train = planReleaseTrain({
    services: ['visitors', 'billing', 'gate', 'notify'],
    dependsOn: graph({gate: ['visitors'], notify: ['gate']}),
    concurrency: 2,
  })

  test('dependents of the failed service, direct and transitive, are skipped', () => {
    expect(train.waves).toEqual([['visitors', 'billing'], ['gate'], ['notify']])
    const skip = servicesToSkip(train, [
      {service: 'visitors', outcome: 'rolledBack', reason: 'error rate 0.31 > 0.01 for visitors 1.3.0 (1 of 1 allowed failures)'},
      {service: 'billing', outcome: 'succeeded'},
    ])
    expect([...skip]).toEqual([
      ['gate', 'visitors'],
      ['notify', 'gate'],
    ])
  })

  test('the outcome says which succeeded, rolled back and were skipped', () => {
    const outcome = trainOutcome(train, [
      {service: 'visitors', outcome: 'rolledBack', reason: 'error rate 0.31 > 0.01 for visitors 1.3.0 (1 of 1 allowed failures)'},
      {service: 'billing', outcome: 'succeeded'},
    ])
    expect(outcome).toEqual({
      succeeded: ['billing'],
      rolledBack: [{service: 'visitors', reason: 'error rate 0.31 > 0.01 for visitors 1.3.0 (1 of 1 allowed failures)'}],
      failed: [],
      skipped: [
        {service: 'gate', because: 'needs visitors'},
        {service: 'notify', because: 'needs gate'},
      ],
      ok: false,
      summary: 'Result: 1 succeeded (billing), 1 rolled back (visitors), 2 skipped (gate: needs visitors, notify: needs gate)',
    })
  })

  test('all succeeded', () => {
    const outcome = trainOutcome(train, ['visitors', 'billing', 'gate', 'notify'].map((service) => ({service, outcome: 'succeeded' as const})))
    expect(outcome.ok).toBe(true)
    expect(outcome.summary).toBe('Result: 4 succeeded (visitors, billing, gate, notify)')
  })

  test('an interrupted train reports the rest as not started; failed and aborted are told apart', () => {
    const outcome = trainOutcome(train, [
      {service: 'visitors', outcome: 'succeeded'},
      {service: 'billing', outcome: 'failed', reason: 'forbidden'},
      {service: 'gate', outcome: 'aborted', reason: 'aborted by alice'},
    ])
    expect(outcome.summary).toBe('Result: 1 succeeded (visitors), 1 rolled back (gate), 1 failed (billing), 1 skipped (notify: needs gate)')
    const interrupted = trainOutcome(train, [{service: 'visitors', outcome: 'succeeded'}])
    expect(interrupted.skipped).toEqual([
      {service: 'billing', because: 'not started'},
      {service: 'gate', because: 'not started'},
      {service: 'notify', because: 'not started'},
    ])
  })
})
