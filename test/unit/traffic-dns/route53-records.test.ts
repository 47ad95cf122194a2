import {describe, expect, test} from 'vitest'

import {desiredRecords, planRecordChanges, stateFromRecords, type CnameRecord} from '../../../src/providers/aws/route53-records.js'
import {initialTrafficState, switchActiveState, withdrawState, type TrafficState} from '../../../src/traffic-dns/traffic-state.js'

const targets = {a: {endpoint: 'a.elb', healthCheckId: 'hc-a'}, b: {endpoint: 'b.elb', healthCheckId: 'hc-b'}}
const failover = initialTrafficState({regions: ['a', 'b'], activeRegion: 'a', mode: 'failover'})
const weighted = initialTrafficState({regions: ['a', 'b'], activeRegion: 'a', mode: 'weighted'})
const line = (r: CnameRecord) => `${r.SetIdentifier} ${r.ResourceRecords[0].Value} ${r.Failover ?? `w${r.Weight}`} ${r.HealthCheckId}`

describe('Route 53 record plans (pure)', () => {
  test.each<[string, TrafficState, string[]]>([
    ['warm standby / pilot light, a active', failover, ['a a.elb PRIMARY hc-a', 'b b.elb SECONDARY hc-b']],
    ['after a switchover to b', switchActiveState(failover, 'b'), ['a a.elb SECONDARY hc-a', 'b b.elb PRIMARY hc-b']],
    ['a fenced (withdrawn): its record is gone, b is PRIMARY', withdrawState(failover, 'a'), ['b b.elb PRIMARY hc-b']],
    ['active-active: both weighted equally', weighted, ['a a.elb w100 hc-a', 'b b.elb w100 hc-b']],
    ['active-active, b removed: weight 0', withdrawState(weighted, 'b'), ['a a.elb w100 hc-a', 'b b.elb w0 hc-b']],
  ])('%s', (_case, state, expected) => {
    const records = desiredRecords('app.example.com', state, targets)
    expect(records.map(line)).toEqual(expected)
    expect(records.every((r) => r.Name === 'app.example.com.' && r.Type === 'CNAME' && r.TTL === 60)).toBe(true)
  })

  test('a switchover is one batch of two UPSERTs; the same state again is no change', () => {
    const existing = desiredRecords('app.example.com', failover, targets)
    const changes = planRecordChanges('app.example.com', switchActiveState(failover, 'b'), targets, existing)
    expect(changes.map((c) => `${c.Action} ${c.ResourceRecordSet.SetIdentifier} ${c.ResourceRecordSet.Failover}`)).toEqual(['UPSERT a SECONDARY', 'UPSERT b PRIMARY'])
    expect(planRecordChanges('app.example.com', failover, targets, existing)).toEqual([])
  })

  test('withdrawing deletes the exact record; changing routing kind deletes then creates', () => {
    const existing = desiredRecords('app.example.com', failover, targets)
    expect(planRecordChanges('app.example.com', withdrawState(failover, 'a'), targets, existing).map((c) => `${c.Action} ${c.ResourceRecordSet.SetIdentifier}`)).toEqual(['DELETE a', 'UPSERT b'])
    const toWeighted = planRecordChanges('app.example.com', weighted, targets, existing)
    expect(toWeighted.map((c) => `${c.Action} ${c.ResourceRecordSet.SetIdentifier} ${c.ResourceRecordSet.Failover ?? c.ResourceRecordSet.Weight}`)).toEqual([
      'DELETE a PRIMARY',
      'DELETE b SECONDARY',
      'UPSERT a 100',
      'UPSERT b 100',
    ])
  })

  test('records read back into the state they were written from', () => {
    for (const state of [failover, switchActiveState(failover, 'b'), withdrawState(failover, 'a'), weighted, switchActiveState(weighted, 'b')]) {
      expect(stateFromRecords('app.example.com', ['a', 'b'], desiredRecords('app.example.com', state, targets), new Set())).toEqual(state)
    }
    expect(stateFromRecords('app.example.com', ['a', 'b'], desiredRecords('app.example.com', withdrawState(weighted, 'b'), targets), new Set(['b']))).toEqual(withdrawState(weighted, 'b'))
    expect(stateFromRecords('app.example.com', ['a', 'b'], [], new Set())).toBeUndefined()
  })
})
