import type {Block, PhaseTracker, Progress} from '../ui/progress.js'
import type {FlagRolloutState} from './flag-rollout-machine.js'

/**
 * A flag rollout on the progress model (src/ui/progress.ts): one named phase per step,
 * "step 2/3: upi-autopay at 50%", started when its split is written (or when a resumed driver
 * picks it up), updated with each measurement, and ended with a verdict:
 *
 *   ✔ succeeded   its analysis passed and the rollout moved on (or finished)
 *   ✖ failed      a measurement failed and the flag was turned off (the reason is the summary)
 *   ⏱ timed out   no passing measurement by the end of its pause: the rollout paused for a person
 *   ↓ skipped     never reached (turned off or aborted before), or aborted while it ran
 *
 * Steps a resumed driver finds already passed end as succeeded without a line of their own (the
 * resume note says where it carries on); the tree shows them done.
 */
export interface RolloutProgress {
  /** The driver works on the step at `index` (its split written, or found written on resume). */
  atStep(index: number, message: string): void
  /** A line under the running step (a measurement, a wait). */
  update(message: string): void
  /** The running step passed: the rollout moves on or finishes. */
  stepPassed(summary: string): void
  stepFailed(summary: string): void
  stepPaused(summary: string): void
  stepAborted(summary: string): void
  /** Ends what is open and waits for the rendering (call in a `finally`). */
  close(): Promise<void>
}

export function stepTitle(state: Pick<FlagRolloutState, 'flag' | 'steps'>, index: number): string {
  return `step ${index + 1}/${state.steps.length}: ${state.flag} at ${state.steps[index]}%`
}

export function rolloutProgress(progress: Progress, state: FlagRolloutState): RolloutProgress {
  const block: Block = progress.block(state.steps.map((_, index) => ({title: stepTitle(state, index)})))
  let current: PhaseTracker | undefined
  const endCurrent = (end: (phase: PhaseTracker) => void) => {
    if (current && !current.verdict) end(current)
  }
  return {
    atStep(index, message) {
      const phase = block.phases[index]
      if (phase === current && phase.started) {
        phase.update(message)
        return
      }
      endCurrent((p) => p.end('succeeded', 'analysis passed'))
      // Steps before this one passed earlier (a resumed rollout): done, without a line.
      for (const earlier of block.phases.slice(0, index)) if (!earlier.verdict) earlier.end('succeeded', 'passed before')
      current = phase
      phase.start()
      phase.update(message)
    },
    update(message) {
      if (current && !current.verdict) current.update(message)
      else progress.note(message)
    },
    stepPassed: (summary) => endCurrent((p) => p.end('succeeded', summary)),
    stepFailed: (summary) => endCurrent((p) => p.end('failed', summary)),
    stepPaused: (summary) => endCurrent((p) => p.end('timed out', summary)),
    stepAborted: (summary) => endCurrent((p) => p.end('skipped', summary)),
    close: () => block.close(),
  }
}
