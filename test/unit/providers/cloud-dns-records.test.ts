import {describe, expect, test} from 'vitest'

import {desiredTrafficRecords, planTrafficChange, servingRegions, stateFromTrafficRecords} from '../../../src/providers/gcp/cloud-dns-records.js'
import {initialTrafficState, switchActiveState, withdrawState, type TrafficState} from '../../../src/traffic-dns/traffic-state.js'

const EP = {r1: '34.1.1.1', r2: '34.2.2.2'}
const failover = initialTrafficState({regions: ['r1', 'r2'], activeRegion: 'r1', mode: 'failover'})
const weighted = initialTrafficState({regions: ['r1', 'r2'], activeRegion: 'r1', mode: 'weighted'})

describe('Cloud DNS traffic records', () => {
  test.each<[string, TrafficState, Record<string, string>, unknown]>([
    ['failover: the primary alone, an A record', failover, EP, {name: 'app.example.com.', type: 'A', ttl: 60, rrdatas: ['34.1.1.1']}],
    ['failover after a switchover', switchActiveState(failover, 'r2'), EP, {name: 'app.example.com.', type: 'A', ttl: 60, rrdatas: ['34.2.2.2']}],
    ['failover to a hostname: a CNAME', failover, {r1: 'lb-1.example.net', r2: 'lb-2.example.net'}, {name: 'app.example.com.', type: 'CNAME', ttl: 60, rrdatas: ['lb-1.example.net.']}],
    ['weighted: both regions in a wrr policy', weighted, EP, {name: 'app.example.com.', type: 'A', ttl: 60, routingPolicy: {wrr: {items: [{weight: 100, rrdatas: ['34.1.1.1']}, {weight: 100, rrdatas: ['34.2.2.2']}]}}}],
    ['weighted with r2 withdrawn: r1 only', withdrawState(weighted, 'r2'), EP, {name: 'app.example.com.', type: 'A', ttl: 60, routingPolicy: {wrr: {items: [{weight: 100, rrdatas: ['34.1.1.1']}]}}}],
  ])('%s', (_what, state, endpoints, answer) => {
    const records = desiredTrafficRecords('app.example.com', state, endpoints)
    expect(records[0]).toEqual(answer)
    expect(records[1]).toMatchObject({name: '_mygate.app.example.com.', type: 'TXT'})
    // What is written reads back as the same state and entry points.
    expect(stateFromTrafficRecords('app.example.com', ['r1', 'r2'], records)).toEqual({state, endpoints})
  })

  test('no region serving: only the state record', () => {
    const none = withdrawState(withdrawState(failover, 'r1'), 'r2')
    expect(servingRegions(none)).toEqual([])
    expect(desiredTrafficRecords('app.example.com', none, EP).map((r) => r.type)).toEqual(['TXT'])
  })

  test('a change deletes what differs exactly as read, leaves what matches and anything not mygate\'s', () => {
    const before = desiredTrafficRecords('app.example.com', failover, EP)
    const after = desiredTrafficRecords('app.example.com', switchActiveState(failover, 'r2'), EP)
    const userMx = {name: 'app.example.com.', type: 'MX', ttl: 300, rrdatas: ['10 mail.example.com.']}
    expect(planTrafficChange('app.example.com', after, [...before, userMx])).toEqual({additions: after, deletions: before})
    expect(planTrafficChange('app.example.com', before, [...before, userMx])).toEqual({additions: [], deletions: []})
  })

  test('no state record: undefined (env create has not written the records yet)', () => {
    expect(stateFromTrafficRecords('app.example.com', ['r1', 'r2'], [{name: 'app.example.com.', type: 'A', ttl: 60, rrdatas: ['1.2.3.4']}])).toBeUndefined()
  })
})
