import {describe, expect, test} from 'vitest'

import {databaseOf, judgeDrill, rollbackSpanMs} from '../../../src/failover/drill-report.js'
import type {RolledBackWrites} from '../../../src/failover/run-state.js'
import {testService} from '../../helpers/builders.js'

const billingDb = testService({name: 'billing-db', kind: 'mongodb', criticality: {level: 'critical', rto: '15m', rpo: '1m'}})
const billing = testService({name: 'billing', criticality: {level: 'critical', rto: '15m', rpo: '1m'}, dependencies: {database: 'billing-db', services: []}})
const gateway = testService({name: 'gateway', criticality: {level: 'critical', rto: '5m', rpo: '0'}, dependencies: {services: ['billing']}})
const rolledBack = (database: string, commonPoint: string, lastRolledBack: string, entries = 2): RolledBackWrites => ({database, member: `${database}-west-0:27017`, entries, namespaces: [`${database}.x`], commonPoint, lastRolledBack})

describe('rollbackSpanMs', () => {
  test.each([
    ['nothing rolled back', [], 0],
    ['two writes within one second', [rolledBack('billing-db', '1700000000:1', '1700000000:3')], 0],
    ['across 3 seconds', [rolledBack('billing-db', '1700000000:1', '1700000003:1')], 3000],
    ['the widest of two members', [rolledBack('billing-db', '1700000000:1', '1700000001:1'), rolledBack('billing-db', '1700000000:1', '1700000005:1')], 5000],
    ['another database does not count', [rolledBack('auth-db', '1700000000:1', '1700000009:1')], 0],
    ['no entries: no span', [rolledBack('billing-db', '1700000000:1', '1700000009:1', 0)], 0],
    ['unreadable optimes: no span', [{...rolledBack('billing-db', '', ''), commonPoint: undefined}], 0],
  ])('%s', (_name, rollbacks, expected) => {
    expect(rollbackSpanMs(rollbacks, 'billing-db')).toBe(expected)
  })
})

describe('judgeDrill', () => {
  test('every service judged per phase: an app by its database, the gateway at zero', () => {
    const verdict = judgeDrill([billingDb, billing, gateway], [
      {phase: 'outage', rtoMs: 4100, lagSeconds: 0, rollbacks: [rolledBack('billing-db', '1700000000:1', '1700000001:2')]},
      {phase: 'failback', rtoMs: 21_000, lagSeconds: 0, rollbacks: []},
    ])
    expect(verdict.verdict).toBe('met')
    expect(verdict.services.map((s) => `${s.phase}/${s.service} ${s.rtoMs} ${s.rpoMs} ${s.met}`)).toEqual([
      'outage/billing-db 4100 1000 true',
      'outage/billing 4100 1000 true',
      'outage/gateway 4100 0 true',
      'failback/billing-db 21000 0 true',
      'failback/billing 21000 0 true',
      'failback/gateway 21000 0 true',
    ])
  })

  test.each([
    ['an RTO beyond the gateway\'s 5m', 6 * 60_000, 0, [], ['outage: gateway RTO 6m (target 5m), RPO 0ms (target 0ms)']],
    ['billing-db lagging 2m at the switch (RPO 1m)', 1000, 120, [], ['outage: billing-db RTO 1s (target 15m), RPO 2m (target 1m)', 'outage: billing RTO 1s (target 15m), RPO 2m (target 1m)']],
    ['rolled-back writes spanning 90 s', 1000, 0, [rolledBack('billing-db', '1700000000:1', '1700000090:1')], ['outage: billing-db RTO 1s (target 15m), RPO 1m30s (target 1m)', 'outage: billing RTO 1s (target 15m), RPO 1m30s (target 1m)']],
  ])('missed: %s', (_name, rtoMs, lagSeconds, rollbacks, missed) => {
    const verdict = judgeDrill([billingDb, billing, gateway], [{phase: 'outage', rtoMs, lagSeconds, rollbacks}])
    expect(verdict.verdict).toBe('missed')
    expect(verdict.missed).toEqual(missed)
  })

  test('databaseOf: a database is its own, an app its dependency, the rest none', () => {
    expect([billingDb, billing, gateway, testService({name: 'redis', kind: 'redis'})].map(databaseOf)).toEqual(['billing-db', 'billing-db', undefined, undefined])
  })
})
