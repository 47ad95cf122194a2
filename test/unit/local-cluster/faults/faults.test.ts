import {describe, expect, test} from 'vitest'
import {clearFaults, faultObjectName, faultsFor, injectFault, listFaults, NO_FAULTS} from '../../../../src/local-cluster/faults/index.js'
import type {FaultSpec} from '../../../../src/local-cluster/faults/types.js'
import {createObjectStore} from '../../../../src/local-cluster/store/index.js'

describe('faultsFor', () => {
  const faults: FaultSpec[] = [
    {service: 'visitors', version: '2.0.0', errorRate: 0.3},
    {service: 'visitors', latencyMs: 200},
    {service: 'visitors', version: '2.0.0', errorRate: 0.5, latencyMs: 100, crash: true},
    {service: 'billing', notReady: true},
    {service: 'billing-db', replicationLagMs: 120_000},
    {service: 'billing-db', replicationLagMs: 5000},
  ]
  test.each([
    ['visitors', '2.0.0', {errorRate: 1 - 0.7 * 0.5, latencyMs: 300, crash: true, notReady: false, replicationLagMs: 0}],
    ['visitors', '1.0.0', {errorRate: 0, latencyMs: 200, crash: false, notReady: false, replicationLagMs: 0}],
    ['visitors', undefined, {errorRate: 0, latencyMs: 200, crash: false, notReady: false, replicationLagMs: 0}],
    ['billing', '9', {errorRate: 0, latencyMs: 0, crash: false, notReady: true, replicationLagMs: 0}],
    // Several lag faults: the largest wins.
    ['billing-db', '7.0', {errorRate: 0, latencyMs: 0, crash: false, notReady: false, replicationLagMs: 120_000}],
    ['other', '1', NO_FAULTS],
    [undefined, '1', NO_FAULTS],
  ])('%s %s', (service, version, expected) => {
    const effects = faultsFor(service, version, faults)
    expect({...effects, errorRate: Number(effects.errorRate.toFixed(10))}).toEqual({...expected, errorRate: Number(expected.errorRate.toFixed(10))})
  })

  test.each([
    [{service: 's', errorRate: 7}, 1],
    [{service: 's', errorRate: -1}, 0],
    [{service: 's', errorRate: Number.NaN}, 0],
  ])('error rates are clamped: %j -> %d', (fault, expected) => {
    expect(faultsFor('s', undefined, [fault]).errorRate).toBe(expected)
  })
})

describe('injectFault / clearFaults against the store', () => {
  test('one Fault object per service and version, replaced in place, cleared by filter', () => {
    const store = createObjectStore()
    store.create({group: '', resource: 'namespaces'}, {apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'mygate'}})
    const first = injectFault(store, 'mygate', {service: 'visitors', version: '2.0.0', errorRate: 0.3})
    expect(first).toMatchObject({apiVersion: 'local.mygate.dev/v1', kind: 'Fault', metadata: {name: 'visitors-2-0-0', namespace: 'mygate'}})
    injectFault(store, 'mygate', {service: 'visitors', version: '2.0.0', latencyMs: 500})
    injectFault(store, 'mygate', {service: 'visitors', crash: true})
    injectFault(store, 'mygate', {service: 'billing', notReady: true})
    expect(listFaults(store, 'mygate')).toHaveLength(3)
    expect(listFaults(store, 'mygate').find((f) => f.version === '2.0.0')).toEqual({service: 'visitors', version: '2.0.0', latencyMs: 500})
    expect(clearFaults(store, {namespace: 'mygate', service: 'visitors', version: '2.0.0'})).toBe(1)
    expect(clearFaults(store, {service: 'visitors'})).toBe(1)
    expect(listFaults(store).map((f) => f.service)).toEqual(['billing'])
  })

  test.each([
    ['visitors', '1.2.0', 'visitors-1-2-0'],
    ['visitors', undefined, 'visitors-all-versions'],
    ['Visitors', 'v2_beta', 'visitors-v2-beta'],
  ])('faultObjectName(%s, %s) = %s', (service, version, name) => {
    expect(faultObjectName(service, version)).toBe(name)
  })
})
