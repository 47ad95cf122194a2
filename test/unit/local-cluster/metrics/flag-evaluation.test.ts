import {describe, expect, test} from 'vitest'

import {evaluateFlagSpec, RESIDENTS} from '../../../../src/local-cluster/metrics/flag-evaluation.js'

const flag = (extra: Record<string, unknown>) => ({state: 'ENABLED', variants: {on: true, off: false}, defaultVariant: 'off', metadata: {services: 'billing,visitors'}, ...extra})

describe('flag evaluation with flagd-core over the simulated residents', () => {
  test.each([1, 10, 50, 90])('a %i%% fractional split gives the on-variant about that share of residents', (percent) => {
    const [info] = evaluateFlagSpec({flags: {f: flag({targeting: {fractional: [['on', percent], ['off', 100 - percent]]}})}})
    const on = info.shares.get('on') ?? 0
    // murmurhash buckets over 1000 residents: within 3 points of the weight.
    expect(Math.abs(on * 100 - percent)).toBeLessThan(3)
    expect(on + (info.shares.get('off') ?? 0)).toBeCloseTo(1, 10)
    expect(info.services).toEqual(['billing', 'visitors'])
  })

  test('residents keep their bucket as the split grows (the same key hashes the same)', () => {
    const share = (p: number) => evaluateFlagSpec({flags: {f: flag({targeting: {fractional: [['on', p], ['off', 100 - p]]}})}})[0].shares.get('on') ?? 0
    expect(share(10)).toBeLessThanOrEqual(share(50))
    expect(share(50)).toBeLessThanOrEqual(share(100))
    expect(share(100)).toBe(1)
  })

  test('without targeting everyone gets the default variant', () => {
    const [info] = evaluateFlagSpec({flags: {f: flag({})}})
    expect([...info.shares]).toEqual([['off', 1]])
  })

  test('a disabled flag serves no variant (code defaults), so its requests carry no flag labels', () => {
    const [info] = evaluateFlagSpec({flags: {f: flag({state: 'DISABLED'})}})
    expect(info.shares.size).toBe(0)
  })

  test('the on-variant comes from metadata.onVariant', () => {
    const [info] = evaluateFlagSpec({flags: {f: {state: 'ENABLED', variants: {v2: 'new', v1: 'old'}, defaultVariant: 'v1', metadata: {onVariant: 'v2'}} as Record<string, unknown>}})
    expect(info.onVariant).toBe('v2')
    expect(info.shares.get('v1')).toBe(1)
    expect(RESIDENTS).toBe(1000)
  })
})
