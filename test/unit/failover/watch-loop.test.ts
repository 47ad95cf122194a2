import {describe, expect, test} from 'vitest'

import {runWatchLoop, type LossOutcome, type WatchSummary} from '../../../src/failover/watch/watch-loop.js'
import {fakeClock, settle} from '../../helpers/fake-clock.js'

/**
 * The watch loop with a fake clock and scripted probes: rounds come `intervalMs` apart on the
 * clock, a loss is handed to onLost only after the threshold, once per episode, and `once` returns
 * the verdict its exit code is made of.
 */
function script(rounds: Array<Record<string, boolean>>) {
  let i = 0
  return async () => {
    const round = rounds[Math.min(i++, rounds.length - 1)]
    return Object.entries(round).map(([region, ok]) => ({region, ok, at: 0}))
  }
}

async function runToEnd(clock: ReturnType<typeof fakeClock>, promise: Promise<WatchSummary>, stepMs: number, maxSteps = 50): Promise<WatchSummary> {
  let done: WatchSummary | undefined
  void promise.then((s) => (done = s))
  for (let i = 0; i < maxSteps && done === undefined; i++) {
    await clock.advance(stepMs)
    await settle()
  }
  if (done === undefined) throw new Error('the loop did not finish')
  return done
}

const up = {west: true, east: true}
const westDown = {west: false, east: true}

describe('failover watch loop (fake clock)', () => {
  test('--once on a healthy environment: one round, verdict healthy, no timer armed', async () => {
    const clock = fakeClock()
    const summary = await runWatchLoop({regions: ['west', 'east'], threshold: 3, intervalMs: 10_000, once: true, clock, probe: script([up]), onLost: async () => 'handled', onLine: () => undefined})
    expect(summary).toMatchObject({verdict: 'healthy', rounds: 1, losses: []})
    expect(clock.armed).toBe(0)
  })

  test('--once with one blip keeps probing, interval apart, and a good probe makes it healthy (never a loss)', async () => {
    const clock = fakeClock()
    const lines: string[] = []
    const lost: string[] = []
    const start = clock.now()
    const summary = await runToEnd(
      clock,
      runWatchLoop({regions: ['west', 'east'], threshold: 3, intervalMs: 10_000, once: true, clock, probe: script([westDown, up]), onLost: async (r) => (lost.push(r), 'handled'), onLine: (l) => lines.push(l)}),
      10_000,
    )
    expect(summary).toMatchObject({verdict: 'healthy', rounds: 2})
    expect(lost).toEqual([])
    expect(clock.now() - start).toBe(10_000)
    expect(lines).toEqual(['probe failed for west (1/3)', 'west answers again after 1 failed probe(s)'])
  })

  test.each([
    {outcome: 'handled' as const, verdict: 'handled'},
    {outcome: 'needs-human' as const, verdict: 'needs-human'},
  ])('--once: lost after the threshold (3 rounds, 20 s), onLost once, verdict $verdict', async ({outcome, verdict}) => {
    const clock = fakeClock()
    const calls: Array<{region: string; lostAt: number; since: number}> = []
    const start = clock.now()
    const summary = await runToEnd(
      clock,
      runWatchLoop({regions: ['west', 'east'], threshold: 3, intervalMs: 10_000, once: true, clock, probe: script([westDown]), onLost: async (region, lost) => (calls.push({region, ...lost}), outcome), onLine: () => undefined}),
      10_000,
    )
    expect(summary).toMatchObject({verdict, rounds: 3, losses: [{region: 'west', outcome}]})
    expect(calls).toHaveLength(1)
    expect(clock.now() - start).toBe(20_000)
  })

  test('a waiting loss is asked again each round until it settles', async () => {
    const clock = fakeClock()
    const answers: LossOutcome[] = ['waiting', 'waiting', 'needs-human']
    let asked = 0
    const summary = await runToEnd(
      clock,
      runWatchLoop({regions: ['west', 'east'], threshold: 2, intervalMs: 5000, once: true, clock, probe: script([westDown]), onLost: async () => answers[asked++], onLine: () => undefined}),
      5000,
    )
    expect(asked).toBe(3)
    expect(summary).toMatchObject({verdict: 'needs-human', rounds: 4})
  })

  test('watching: a settled loss is not handled again while lost, and again after the region recovered and was lost anew', async () => {
    const clock = fakeClock()
    const controller = new AbortController()
    const rounds = [westDown, westDown, westDown, westDown, up, westDown, westDown, up]
    let i = 0
    const calls: string[] = []
    const promise = runWatchLoop({
      regions: ['west', 'east'],
      threshold: 2,
      intervalMs: 1000,
      once: false,
      clock,
      probe: async () => {
        if (i === rounds.length - 1) controller.abort()
        return Object.entries(rounds[Math.min(i++, rounds.length - 1)]).map(([region, ok]) => ({region, ok, at: clock.now()}))
      },
      onLost: async (region) => (calls.push(`${region}@${clock.now()}`), 'needs-human'),
      onLine: () => undefined,
      signal: controller.signal,
    })
    const summary = await runToEnd(clock, promise, 1000)
    const start = Date.parse('2026-11-23T12:00:00Z')
    expect(calls).toEqual([`west@${start + 1000}`, `west@${start + 6000}`])
    expect(summary.rounds).toBe(8)
  })
})
