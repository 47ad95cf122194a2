import {describe, expect, test} from 'vitest'

import {UsageError} from '../../../src/errors.js'
import {initialTrafficState, restoreState, switchActiveState, withdrawState, type TrafficState} from '../../../src/traffic-dns/traffic-state.js'

/** Compact view: "a:primary/100" or "b:secondary/0 withdrawn". */
const view = (state: TrafficState) => state.regions.map((r) => `${r.region}:${r.role}/${r.weight}${r.withdrawn ? ' withdrawn' : ''}`)

const failover = initialTrafficState({regions: ['a', 'b'], activeRegion: 'a', mode: 'failover'})
const weighted = initialTrafficState({regions: ['a', 'b'], activeRegion: 'a', mode: 'weighted'})

describe('traffic state moves', () => {
  test.each<[string, TrafficState, (s: TrafficState) => TrafficState, string[]]>([
    ['create: the active region is PRIMARY', failover, (s) => s, ['a:primary/100', 'b:secondary/100']],
    ['create after a failover keeps the recorded active region', initialTrafficState({regions: ['a', 'b'], activeRegion: 'b', mode: 'failover'}), (s) => s, ['a:secondary/100', 'b:primary/100']],
    ['create active-active: both serve equally', weighted, (s) => s, ['a:primary/100', 'b:secondary/100']],
    ['failover switch swaps PRIMARY and SECONDARY', failover, (s) => switchActiveState(s, 'b'), ['a:secondary/100', 'b:primary/100']],
    ['failover switch to the active region changes nothing', failover, (s) => switchActiveState(s, 'a'), ['a:primary/100', 'b:secondary/100']],
    ['switching twice is idempotent', failover, (s) => switchActiveState(switchActiveState(s, 'b'), 'b'), ['a:secondary/100', 'b:primary/100']],
    ['weighted switch: the target serves, the other drops to 0', weighted, (s) => switchActiveState(s, 'b'), ['a:secondary/0', 'b:primary/100']],
    ['withdrawing the PRIMARY hands the role over', failover, (s) => withdrawState(s, 'a'), ['a:secondary/100 withdrawn', 'b:primary/100']],
    ['withdrawing the SECONDARY leaves the PRIMARY', failover, (s) => withdrawState(s, 'b'), ['a:primary/100', 'b:secondary/100 withdrawn']],
    ['withdraw is idempotent', failover, (s) => withdrawState(withdrawState(s, 'a'), 'a'), ['a:secondary/100 withdrawn', 'b:primary/100']],
    ['weighted withdraw sets weight 0', weighted, (s) => withdrawState(s, 'b'), ['a:primary/100', 'b:secondary/0 withdrawn']],
    ['restore brings a fenced region back as the standby', failover, (s) => restoreState(withdrawState(s, 'a'), 'a'), ['a:secondary/100', 'b:primary/100']],
    ['restore of a region that was never withdrawn changes nothing', failover, (s) => restoreState(s, 'b'), ['a:primary/100', 'b:secondary/100']],
    ['weighted restore gives the serving weight back', weighted, (s) => restoreState(withdrawState(s, 'b'), 'b'), ['a:primary/100', 'b:secondary/100']],
    ['switching to a withdrawn region puts it back as PRIMARY', failover, (s) => switchActiveState(withdrawState(s, 'b'), 'b'), ['a:secondary/100', 'b:primary/100']],
    ['one region: withdrawn and restored, it stays PRIMARY', initialTrafficState({regions: ['a'], activeRegion: 'a', mode: 'failover'}), (s) => restoreState(withdrawState(s, 'a'), 'a'), ['a:primary/100']],
  ])('%s', (_case, start, move, expected) => {
    expect(view(move(start))).toEqual(expected)
  })

  test('a region the environment lacks is bad input naming the regions it has', () => {
    expect(() => switchActiveState(failover, 'c')).toThrow(UsageError)
    expect(() => withdrawState(failover, 'c')).toThrow('region "c" has no DNS record in this environment')
  })
})
