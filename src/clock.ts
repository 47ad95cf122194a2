/**
 * Time as code that waits sees it: the current time and one-shot timers. Production code uses
 * `systemClock`; tests pass a fake they advance by hand (test/helpers/fake-clock.ts), so waits of
 * minutes run in microseconds and a timer can be made to fire early, as real ones sometimes do.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number
  /**
   * Calls `fire` once, about `ms` from now. Like setTimeout it may fire a little early or late:
   * callers that need a deadline to have passed check now() when it fires.
   */
  setTimer(fire: () => void, ms: number): {cancel(): void}
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fire, ms) {
    const timer = setTimeout(fire, ms)
    return {cancel: () => clearTimeout(timer)}
  },
}
