/**
 * Request latency as a shifted log-normal distribution, so the simulated histogram has a
 * realistic long tail: the body is log-normal with the given p99, and an injected latency fault
 * shifts every request by its delay.
 */

/** Histogram bucket upper bounds in seconds (+Inf is implicit): fine around the 50 ms - 1 s range analysis cares about. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 2.5, 5, 10] as const

/** Spread of the log-normal body; with sigma 0.5, p99 / p50 = e^(2.326 * 0.5) ≈ 3.2. */
const SIGMA = 0.5
const Z99 = 2.326_347_874

/** Error function (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
function erf(x: number): number {
  const sign = x < 0 ? -1 : 1
  const t = 1 / (1 + 0.327_591_1 * Math.abs(x))
  const y = 1 - ((((1.061_405_429 * t - 1.453_152_027) * t + 1.421_413_741) * t - 0.284_496_736) * t + 0.254_829_592) * t * Math.exp(-x * x)
  return sign * y
}

/** P(latency <= seconds) for a body with this p99 (ms), shifted by `shiftMs`. */
export function latencyCdf(seconds: number, p99Ms: number, shiftMs = 0): number {
  const x = seconds * 1000 - shiftMs
  if (x <= 0) return 0
  const median = p99Ms / Math.exp(Z99 * SIGMA)
  return 0.5 * (1 + erf((Math.log(x) - Math.log(median)) / (SIGMA * Math.SQRT2)))
}

/** Mean latency in seconds of the same distribution (for the histogram's _sum). */
export function meanLatencySeconds(p99Ms: number, shiftMs = 0): number {
  const median = p99Ms / Math.exp(Z99 * SIGMA)
  return (median * Math.exp((SIGMA * SIGMA) / 2) + shiftMs) / 1000
}

/** Cumulative fraction of requests at or below each bucket bound (the +Inf bucket is 1). */
export function bucketFractions(p99Ms: number, shiftMs = 0): number[] {
  return LATENCY_BUCKETS.map((le) => latencyCdf(le, p99Ms, shiftMs))
}
