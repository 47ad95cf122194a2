import type {Clock} from '../../clock.js'
import {formatDuration} from '../../duration.js'
import {initialWatchState, observeProbes, type RegionProbe, type WatchState, type WatchTransition} from './region-watch.js'

/**
 * The loop of `failover watch`, with its I/O injected (watch.ts wires the real one; tests a fake
 * clock and scripted probes): probe every interval, fold the round into the state machine
 * (region-watch.ts), and hand each lost region to `onLost` until it settles the loss: handled (a
 * run of its own) or needs a human (alerted). A settled loss is not handled again until the region
 * has recovered; a loss that is still waiting (MongoDB electing) is asked again next round.
 *
 * `once`: probe until there is a verdict, then return it: every region healthy in a round, or
 * every lost region settled. A failing region is probed again (interval apart) until it recovers
 * or reaches the threshold, so `--once` never declares a loss on one blip either.
 */

export type LossOutcome = 'handled' | 'needs-human' | 'waiting'
export type WatchVerdict = 'healthy' | 'handled' | 'needs-human'

export interface WatchLoopOptions {
  regions: readonly string[]
  threshold: number
  intervalMs: number
  once: boolean
  clock: Clock
  probe: () => Promise<RegionProbe[]>
  /** A lost region: act or alert. Called each round until it returns something other than 'waiting'. */
  onLost: (region: string, lost: {since: number; lostAt: number; error?: string}) => Promise<LossOutcome>
  /** Human lines (stderr). */
  onLine: (line: string) => void
  signal?: AbortSignal
}

export interface WatchSummary {
  verdict: WatchVerdict
  rounds: number
  /** Each lost region and what became of it. */
  losses: Array<{region: string; outcome: Exclude<LossOutcome, 'waiting'>}>
  state: WatchState
}

export async function runWatchLoop(options: WatchLoopOptions): Promise<WatchSummary> {
  let state = initialWatchState(options.regions, options.threshold)
  const settled = new Map<string, Exclude<LossOutcome, 'waiting'>>()
  const losses: WatchSummary['losses'] = []
  let rounds = 0
  for (;;) {
    const probes = await options.probe()
    rounds++
    const observed = observeProbes(state, probes)
    state = observed.state
    for (const transition of observed.transitions) {
      options.onLine(transitionLine(transition))
      if (transition.type === 'recovered') settled.delete(transition.region)
    }
    let waiting = false
    for (const watch of state.regions) {
      if (watch.condition !== 'lost' || settled.has(watch.region)) continue
      const outcome = await options.onLost(watch.region, {since: watch.failingSince ?? watch.lostAt ?? options.clock.now(), lostAt: watch.lostAt ?? options.clock.now(), ...(watch.lastError ? {error: watch.lastError} : {})})
      if (outcome === 'waiting') {
        waiting = true
        continue
      }
      settled.set(watch.region, outcome)
      losses.push({region: watch.region, outcome})
    }
    const failing = state.regions.filter((r) => r.condition !== 'healthy')
    const verdict: WatchVerdict = [...settled.values()].includes('needs-human') ? 'needs-human' : settled.size > 0 ? 'handled' : 'healthy'
    const decided = failing.length === 0 || (!waiting && failing.every((r) => settled.has(r.region)))
    if ((options.once && decided) || options.signal?.aborted) return {verdict: failing.length === 0 && options.once ? 'healthy' : verdict, rounds, losses, state}
    await sleep(options.clock, options.intervalMs, options.signal)
    if (options.signal?.aborted) return {verdict, rounds, losses, state}
  }
}

function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = clock.setTimer(() => {
      signal?.removeEventListener('abort', stop)
      resolve()
    }, ms)
    const stop = () => {
      timer.cancel()
      resolve()
    }
    signal?.addEventListener('abort', stop, {once: true})
  })
}

export function transitionLine(t: WatchTransition): string {
  switch (t.type) {
    case 'blip':
      return `probe failed for ${t.region} (${t.failures}/${t.threshold})${t.error ? `: ${t.error}` : ''}`
    case 'lost':
      return `${t.region} LOST after ${t.failures} failed probes in a row (failing for ${formatDuration(t.at - t.since)})${t.error ? `: ${t.error}` : ''}`
    case 'recovered':
      return t.wasLost ? `${t.region} answers again (it was lost)` : `${t.region} answers again after ${t.failures} failed probe(s)`
  }
}
