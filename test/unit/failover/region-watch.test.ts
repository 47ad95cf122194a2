import {describe, expect, test} from 'vitest'

import {allHealthy, initialWatchState, lostRegions, observeProbes, type WatchState, type WatchTransition} from '../../../src/failover/watch/region-watch.js'

/** Feeds rounds of "region: ok?" into the state machine; returns the transitions of each round as short strings. */
function drive(rounds: Array<Record<string, boolean>>, threshold: number): {state: WatchState; log: string[][]} {
  let state = initialWatchState(['west', 'east'], threshold)
  const log: string[][] = []
  rounds.forEach((round, i) => {
    const probes = Object.entries(round).map(([region, ok]) => ({region, ok, at: 1000 * i, ...(ok ? {} : {error: 'API did not answer'})}))
    const next = observeProbes(state, probes)
    state = next.state
    log.push(next.transitions.map(short))
  })
  return {state, log}
}

function short(t: WatchTransition): string {
  return t.type === 'blip' ? `blip ${t.region} ${t.failures}/${t.threshold}` : t.type === 'lost' ? `lost ${t.region} since ${t.since} at ${t.at}` : `recovered ${t.region}${t.wasLost ? ' (was lost)' : ''}`
}

const F = false
const T = true

describe('failover watch: when a region counts as lost', () => {
  test.each([
    {name: 'one blip is never a loss', threshold: 3, rounds: [F, T, T], lost: [], last: []},
    {name: 'two blips separated by a good probe start the count over', threshold: 3, rounds: [F, F, T, F, F], lost: [], last: ['blip west 2/3']},
    {name: 'N consecutive failures: lost at the Nth', threshold: 3, rounds: [F, F, F], lost: ['west'], last: ['lost west since 0 at 2000']},
    {name: 'a lost region stays lost without a second transition', threshold: 2, rounds: [F, F, F, F], lost: ['west'], last: []},
    {name: 'threshold 1: the first failure is a loss', threshold: 1, rounds: [F], lost: ['west'], last: ['lost west since 0 at 0']},
    {name: 'a lost region that answers again recovers', threshold: 2, rounds: [F, F, T], lost: [], last: ['recovered west (was lost)']},
  ])('$name', ({threshold, rounds, lost, last}) => {
    const {state, log} = drive(rounds.map((ok) => ({west: ok, east: true})), threshold)
    expect(lostRegions(state)).toEqual(lost)
    expect(log.at(-1)).toEqual(last)
  })

  test('each transition is emitted once, in order, and the failing-since time is the first failure of the run', () => {
    const {log, state} = drive([{west: T, east: T}, {west: F, east: T}, {west: F, east: F}, {west: F, east: T}, {west: T, east: T}], 3)
    expect(log).toEqual([[], ['blip west 1/3'], ['blip west 2/3', 'blip east 1/3'], ['lost west since 1000 at 3000', 'recovered east'], ['recovered west (was lost)']])
    expect(allHealthy(state)).toBe(true)
  })

  test('a region missing from a round keeps its condition (its probe did not run)', () => {
    let state = initialWatchState(['west', 'east'], 2)
    state = observeProbes(state, [{region: 'west', ok: false, at: 0}]).state
    const next = observeProbes(state, [{region: 'east', ok: true, at: 1}])
    expect(next.transitions).toEqual([])
    expect(next.state.regions.find((r) => r.region === 'west')).toMatchObject({condition: 'suspect', failures: 1})
  })

  test.each([0, -1, 1.5])('threshold %s is refused', (threshold) => {
    expect(() => initialWatchState(['a'], threshold)).toThrow(RangeError)
  })
})
