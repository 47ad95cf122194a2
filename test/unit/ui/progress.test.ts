import {describe, expect, test} from 'vitest'

import {createProgress, runPhases} from '../../../src/ui/progress.js'

/** Lines mode with a clock the test moves: what CI logs show. */
function linesProgress() {
  let now = Date.parse('2026-11-23T12:00:00Z')
  const lines: string[] = []
  const progress = createProgress({mode: 'lines', write: (line) => lines.push(line), now: () => now})
  return {progress, lines, tick: (ms: number) => (now += ms)}
}

describe('the progress model in plain lines', () => {
  test('a phase with steps: start, updates, a verdict per step, the phase verdict; unstarted steps are summarised, not listed', async () => {
    const {progress, lines, tick} = linesProgress()
    const block = progress.block([{title: 'visitors: canary', steps: ['step 1/3: set weight 50%', 'step 2/3: pause 1s', 'step 3/3: promote', {title: 'roll back', optional: true}]}])
    const [phase] = block.phases
    phase.steps[0].start()
    phase.update('weight 50%: 1 stable / 1 canary')
    tick(1500)
    phase.steps[0].end('succeeded')
    phase.steps[1].start()
    tick(200)
    phase.steps[1].end('failed', 'pods crash-looping')
    phase.steps[3].start()
    phase.update('traffic back on stable')
    phase.steps[3].end('succeeded')
    phase.end('failed', 'rolled back')
    await block.close()
    progress.result('Result: ROLLED BACK — visitors 1.0.0 serves all traffic')
    expect(lines).toEqual([
      '[12:00:00] ▸ visitors: canary',
      '[12:00:00] ▸ step 1/3: set weight 50%',
      '[12:00:00]   weight 50%: 1 stable / 1 canary',
      '[12:00:01] ✔ step 1/3: set weight 50% (1.5s)',
      '[12:00:01] ▸ step 2/3: pause 1s',
      '[12:00:01] ✖ step 2/3: pause 1s: pods crash-looping (200ms)',
      '[12:00:01] ▸ roll back',
      '[12:00:01]   traffic back on stable',
      '[12:00:01] ✔ roll back (0ms)',
      '[12:00:01] ✖ visitors: canary: rolled back (1.7s)',
      'Result: ROLLED BACK — visitors 1.0.0 serves all traffic',
    ])
    expect(phase.steps.map((s) => s.verdict)).toEqual(['succeeded', 'failed', 'skipped', 'succeeded'])
  })

  test('phases that run at once carry their label on every step line', () => {
    const {progress, lines} = linesProgress()
    const block = progress.block([{title: 'users: canary', label: '[users] ', steps: ['step 1/1: set weight 100%']}, {title: 'auth: canary', label: '[auth] ', steps: ['step 1/1: set weight 100%']}], {concurrent: true})
    block.phases[0].start()
    block.phases[1].start()
    block.phases[0].steps[0].start()
    block.phases[1].steps[0].start()
    block.phases[1].update('weight 100%')
    block.phases[0].steps[0].end('timed out', 'not ready after 30s')
    expect(lines.map((l) => l.slice(11))).toEqual([
      '▸ users: canary', '▸ auth: canary', '▸ [users] step 1/1: set weight 100%', '▸ [auth] step 1/1: set weight 100%', '  [auth] weight 100%',
      '⏱ [users] step 1/1: set weight 100%: not ready after 30s (0ms)',
    ])
  })

  test('end() is idempotent, and ending a phase settles its open steps', async () => {
    const {progress} = linesProgress()
    const block = progress.block([{title: 'p', steps: ['a', 'b']}, {title: 'never started'}])
    const [phase, other] = block.phases
    phase.steps[0].start()
    phase.end('failed', 'boom')
    phase.end('succeeded')
    phase.steps[0].end('succeeded')
    expect([phase.verdict, phase.steps[0].verdict, phase.steps[1].verdict]).toEqual(['failed', 'failed', 'skipped'])
    await block.close()
    expect(other.verdict).toBe('skipped')
  })

  test('silent mode writes nothing but keeps the verdicts', async () => {
    const lines: string[] = []
    const progress = createProgress({mode: 'silent', write: (line) => lines.push(line)})
    const block = progress.block([{title: 'p'}])
    block.phases[0].start()
    block.phases[0].end('succeeded')
    progress.result('Result: SUCCESS')
    await block.close()
    expect(lines).toEqual([])
    expect(block.phases[0].verdict).toBe('succeeded')
  })
})

describe('runPhases (a fixed list of phases)', () => {
  test('runs them in order and returns each one\'s timing and summary, in the lines the env commands always printed', async () => {
    const lines: string[] = []
    let now = Date.parse('2026-11-23T12:00:00Z')
    const timings = await runPhases(
      [
        {title: 'Clusters', run: async (ctx) => (ctx.update('cluster demo-local-1 ready'), (now += 16), 1), summarize: (n) => `${n} cluster ready`},
        {title: 'Record', run: async () => undefined},
      ],
      {interactive: false, write: (line) => lines.push(line), now: () => now},
    )
    expect(timings).toEqual([{title: 'Clusters', elapsedMs: 16, summary: '1 cluster ready'}, {title: 'Record', elapsedMs: 0, summary: undefined}])
    expect(lines).toEqual([
      '[12:00:00] ▸ Clusters', '[12:00:00]   cluster demo-local-1 ready', '[12:00:00] ✔ Clusters: 1 cluster ready (16ms)', '[12:00:00] ▸ Record', '[12:00:00] ✔ Record (0ms)',
    ])
  })

  test('stops at the first failure: that phase fails, the rest never start, the error is rethrown', async () => {
    const lines: string[] = []
    const ran: string[] = []
    const failing = runPhases(
      [
        {title: 'Baseline', run: async () => void ran.push('Baseline')},
        {title: 'Services', run: async () => Promise.reject(new Error('2 services not ready'))},
        {title: 'Record', run: async () => void ran.push('Record')},
      ],
      {interactive: false, write: (line) => lines.push(line.slice(11))},
    )
    await expect(failing).rejects.toThrow('2 services not ready')
    expect(ran).toEqual(['Baseline'])
    expect(lines).toEqual(['▸ Baseline', expect.stringMatching(/^✔ Baseline \(\d+ms\)$/), '▸ Services', expect.stringMatching(/^✖ Services \(\d+ms\)$/)])
  })
})
