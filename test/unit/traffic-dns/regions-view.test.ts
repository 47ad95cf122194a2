import {describe, expect, test} from 'vitest'

import {describeRegions} from '../../../src/traffic-dns/regions-view.js'
import {initialTrafficState, withdrawState} from '../../../src/traffic-dns/traffic-state.js'

describe('describeRegions: the describe() answer Route 53 and Cloud DNS share', () => {
  const endpoints: Record<string, string> = {a: 'lb-a.example.com'}

  test('failover mode: no weights; endpoint and health only where known; withdrawn kept', () => {
    const state = withdrawState(initialTrafficState({regions: ['a', 'b'], activeRegion: 'a', mode: 'failover'}), 'b')
    expect(describeRegions({name: 'app.demo.example.com', state, active: ['a'], endpointOf: (r) => endpoints[r], healthOf: (r) => (r === 'a' ? true : undefined)})).toEqual({
      name: 'app.demo.example.com',
      mode: 'failover',
      active: ['a'],
      regions: [
        {region: 'a', endpoint: 'lb-a.example.com', healthy: true, withdrawn: false},
        {region: 'b', withdrawn: true},
      ],
    })
  })

  test('weighted mode: every region with its weight; an unhealthy region says so', () => {
    const state = initialTrafficState({regions: ['a', 'b'], activeRegion: 'a', mode: 'weighted'})
    const view = describeRegions({name: 'n', state, active: ['a'], healthOf: (r) => r === 'a'})
    expect(view.regions).toEqual([
      {region: 'a', healthy: true, weight: 100, withdrawn: false},
      {region: 'b', healthy: false, weight: 100, withdrawn: false},
    ])
  })
})
