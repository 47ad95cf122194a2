import {describe, expect, test} from 'vitest'

import type {FlagRolloutState} from '../../../src/flags/flag-rollout-machine.js'
import {rolloutProgress, type RolloutProgress} from '../../../src/flags/rollout-progress.js'
import {createProgress} from '../../../src/ui/progress.js'

const state = {flag: 'upi-autopay', steps: [10, 50, 100]} as FlagRolloutState

/** Plain lines (what CI shows) with a clock the test moves. */
async function linesOf(script: (steps: RolloutProgress, tick: (ms: number) => void) => void): Promise<string[]> {
  let now = Date.parse('2026-12-03T09:00:00Z')
  const lines: string[] = []
  const steps = rolloutProgress(createProgress({mode: 'lines', write: (line) => lines.push(line), now: () => now}), state)
  script(steps, (ms) => (now += ms))
  await steps.close()
  return lines
}

describe('a flag rollout as named phases with a verdict per step', () => {
  test.each([
    {
      name: 'every step passes',
      script: (s: RolloutProgress, tick: (ms: number) => void) => {
        s.atStep(0, 'split 10% on')
        tick(1000)
        s.update('at 10%: pass')
        s.atStep(1, 'split 50% on')
        tick(1000)
        s.atStep(2, 'split 100% on')
        s.stepPassed('analysis passed; rolled out to 100%')
      },
      lines: [
        '▸ step 1/3: upi-autopay at 10%',
        '  split 10% on',
        '  at 10%: pass',
        '✔ step 1/3: upi-autopay at 10%: analysis passed (1s)',
        '▸ step 2/3: upi-autopay at 50%',
        '  split 50% on',
        '✔ step 2/3: upi-autopay at 50%: analysis passed (1s)',
        '▸ step 3/3: upi-autopay at 100%',
        '  split 100% on',
        '✔ step 3/3: upi-autopay at 100%: analysis passed; rolled out to 100% (0ms)',
      ],
    },
    {
      name: 'a failed measurement fails its step; the steps never reached get no line',
      script: (s: RolloutProgress) => {
        s.atStep(0, 'split 10% on')
        s.update('at 10%: fail: error rate 0.3 > 0.001')
        s.stepFailed('turned off: error rate 0.3 > 0.001')
      },
      lines: ['▸ step 1/3: upi-autopay at 10%', '  split 10% on', '  at 10%: fail: error rate 0.3 > 0.001', '✖ step 1/3: upi-autopay at 10%: turned off: error rate 0.3 > 0.001 (0ms)'],
    },
    {
      name: 'a resumed driver carries on at the recorded step; the steps before it passed earlier and get no line',
      script: (s: RolloutProgress) => {
        s.atStep(1, 'carrying on at 50%')
        s.atStep(1, 'at 50%: inconclusive')
        s.stepPaused('paused: no passing analysis at 50% by the end of the pause')
      },
      lines: [
        '▸ step 2/3: upi-autopay at 50%',
        '  carrying on at 50%',
        '  at 50%: inconclusive',
        '⏱ step 2/3: upi-autopay at 50%: paused: no passing analysis at 50% by the end of the pause (0ms)',
      ],
    },
    {
      name: 'an abort skips the running step, naming who',
      script: (s: RolloutProgress) => {
        s.atStep(0, 'split 10% on')
        s.stepAborted('aborted by alice@laptop; flag turned off')
      },
      lines: ['▸ step 1/3: upi-autopay at 10%', '  split 10% on', '↓ step 1/3: upi-autopay at 10%: aborted by alice@laptop; flag turned off (0ms)'],
    },
    {
      name: 'a line before any step started is a note',
      script: (s: RolloutProgress) => s.update('waiting for the lock'),
      lines: ['waiting for the lock'],
    },
  ])('$name', async ({script, lines}) => {
    const out = await linesOf(script)
    expect(out.map((line) => line.replace(/^\[\d\d:\d\d:\d\d\] /, ''))).toEqual(lines)
  })
})
