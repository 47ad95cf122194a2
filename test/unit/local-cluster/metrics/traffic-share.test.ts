import {describe, expect, test} from 'vitest'
import {bucketFractions, latencyCdf, LATENCY_BUCKETS} from '../../../../src/local-cluster/metrics/latency-model.js'
import {shareByReadyPods, shareByWeights} from '../../../../src/local-cluster/metrics/traffic-share.js'

const m = (entries: Record<string, number>) => new Map(Object.entries(entries))
const plain = (map: Map<string, number>) => Object.fromEntries([...map].map(([k, v]) => [k, Number(v.toFixed(6))]))

describe('shareByReadyPods', () => {
  test.each([
    [{v1: 3, v2: 1}, {v1: 0.75, v2: 0.25}],
    [{v1: 1, v2: 1}, {v1: 0.5, v2: 0.5}],
    [{v1: 2, v2: 0}, {v1: 1}],
    [{v1: 0}, {}],
    [{}, {}],
  ])('%j -> %j', (ready, expected) => {
    expect(plain(shareByReadyPods(m(ready)))).toEqual(expected)
  })
})

describe('shareByWeights', () => {
  const subsets: Record<string, Record<string, number>> = {stable: {'1.0': 3}, canary: {'1.1': 1}, mixed: {'1.0': 1, '1.1': 3}, empty: {}}
  const ready = (subset: string | undefined) => m(subset === undefined ? {'1.0': 3, '1.1': 1} : subsets[subset])
  test.each([
    ['90/10 stable/canary', [{subset: 'stable', weight: 90}, {subset: 'canary', weight: 10}], {'1.0': 0.9, '1.1': 0.1}],
    ['100/0', [{subset: 'stable', weight: 100}, {subset: 'canary', weight: 0}], {'1.0': 1}],
    ['0/100', [{subset: 'stable', weight: 0}, {subset: 'canary', weight: 100}], {'1.1': 1}],
    ['a lone destination without weight takes everything', [{subset: 'canary'}], {'1.1': 1}],
    ['weights are normalised', [{subset: 'stable', weight: 1}, {subset: 'canary', weight: 3}], {'1.0': 0.25, '1.1': 0.75}],
    ['inside a subset, versions split by ready pods', [{subset: 'mixed', weight: 100}], {'1.0': 0.25, '1.1': 0.75}],
    ['weight to a subset without ready pods is lost', [{subset: 'stable', weight: 50}, {subset: 'empty', weight: 50}], {'1.0': 0.5}],
    ['no subset: the whole service by ready pods', [{weight: 100}], {'1.0': 0.75, '1.1': 0.25}],
    ['all weights zero: nothing', [{subset: 'stable', weight: 0}], {}],
  ])('%s', (_, routes, expected) => {
    expect(plain(shareByWeights(routes, ready))).toEqual(expected)
  })
})

describe('latency model', () => {
  test('the body has the asked p99, a fault shifts it, and buckets are cumulative', () => {
    expect(latencyCdf(0.1, 100)).toBeCloseTo(0.99, 4)
    expect(latencyCdf(0.9, 100, 800)).toBeCloseTo(0.99, 4)
    expect(latencyCdf(0.7, 100, 800)).toBe(0)
    const fractions = bucketFractions(120)
    expect(fractions).toHaveLength(LATENCY_BUCKETS.length)
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]).toBeGreaterThanOrEqual(fractions[i - 1])
    expect(fractions.at(-1)).toBeCloseTo(1, 6)
  })
})
