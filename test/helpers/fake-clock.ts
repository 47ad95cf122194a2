import type {Clock} from '../../src/clock.js'

/**
 * A clock that moves only when the test says so. `advance(ms)` fires every timer that falls due,
 * in order, letting the code each one wakes run to its next wait before moving on. `earlyByMs`
 * makes timers fire that much before their deadline, as Node's sometimes do.
 */
export interface FakeClock extends Clock {
  /** Moves time forward by `ms`, firing the timers due on the way. */
  advance(ms: number): Promise<void>
  /** Timers armed so far (every setTimer call). */
  readonly armed: number
  /** When each timer fired, and the deadline it was armed for. */
  readonly fired: Array<{at: number; deadline: number}>
  /** Timers waiting to fire. */
  readonly pending: number
  earlyByMs: number
}

/** Lets every promise chain that does not wait on a timer run to its end. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
}

export function fakeClock(start = Date.parse('2026-11-23T12:00:00Z')): FakeClock {
  let now = start
  let sequence = 0
  const timers = new Map<number, {fireAt: number; deadline: number; fire: () => void}>()
  const clock: FakeClock = {
    earlyByMs: 0,
    armed: 0,
    fired: [],
    get pending() {
      return timers.size
    },
    now: () => now,
    setTimer(fire, ms) {
      const id = ++sequence
      ;(clock as {armed: number}).armed++
      const deadline = now + ms
      // Early by a rounding error on a real wait; a timer of a millisecond or two fires on time.
      timers.set(id, {fireAt: ms > clock.earlyByMs ? deadline - clock.earlyByMs : deadline, deadline, fire})
      return {cancel: () => timers.delete(id)}
    },
    async advance(ms) {
      const until = now + ms
      await settle()
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.fireAt <= until).sort((a, b) => a[1].fireAt - b[1].fireAt || a[0] - b[0])[0]
        if (due === undefined) break
        const [id, timer] = due
        timers.delete(id)
        now = Math.max(now, timer.fireAt)
        clock.fired.push({at: now, deadline: timer.deadline})
        timer.fire()
        await settle()
      }
      now = until
      await settle()
    },
  }
  return clock
}
