import {describe, expect, test} from 'vitest'

import {canaryReplicaSplit, effectiveWeight, virtualServiceRoutes} from '../../../src/rollout/canary-math.js'

describe('canaryReplicaSplit', () => {
  test.each([
    // total, weight, stable, canary
    [10, 0, 10, 0],
    [10, 100, 0, 10],
    [10, 10, 9, 1],
    [10, 25, 8, 2], // 2.5 ties to stable
    [10, 26, 7, 3],
    [10, 50, 5, 5],
    [10, 99, 1, 9], // stable keeps one pod below 100%
    [4, 10, 3, 1], // 0.4 would be 0: a canary weight gets at least one pod
    [3, 50, 2, 1], // odd count, tie to stable
    [3, 60, 1, 2],
    [3, 90, 1, 2], // 2.7 clamped: stable keeps one
    [5, 33, 3, 2],
    [2, 1, 1, 1],
    [2, 50, 1, 1],
    [2, 99, 1, 1],
    [2, 100, 0, 2],
    [1, 0, 1, 0],
    [1, 10, 1, 1], // single replica: one pod of surge
    [1, 90, 1, 1],
    [1, 100, 0, 1],
    [0, 0, 0, 0],
    [0, 50, 0, 0],
    [0, 100, 0, 0],
  ])('%d replicas at %d%% -> stable %d, canary %d', (totalReplicas, weightPercent, stable, canary) => {
    expect(canaryReplicaSplit({totalReplicas, weightPercent})).toEqual({stable, canary})
  })

  test('keeps the total except for the single-replica surge', () => {
    for (let total = 2; total <= 12; total++) {
      for (let weight = 0; weight <= 100; weight++) {
        const split = canaryReplicaSplit({totalReplicas: total, weightPercent: weight})
        expect(split.stable + split.canary).toBe(total)
        if (weight > 0) expect(split.canary).toBeGreaterThanOrEqual(1)
        if (weight < 100) expect(split.stable).toBeGreaterThanOrEqual(1)
      }
    }
  })

  test.each([
    [10, -1],
    [10, 101],
    [10, 12.5],
    [-1, 50],
    [2.5, 50],
  ])('rejects %d replicas at %d%%', (totalReplicas, weightPercent) => {
    expect(() => canaryReplicaSplit({totalReplicas, weightPercent})).toThrow(RangeError)
  })
})

describe('effectiveWeight', () => {
  test.each([
    [9, 1, 10],
    [2, 1, 33],
    [1, 2, 67],
    [1, 1, 50],
    [0, 3, 100],
    [3, 0, 0],
    [0, 0, 0],
  ])('stable %d, canary %d ready -> %d%%', (stable, canary, weight) => {
    expect(effectiveWeight(stable, canary)).toBe(weight)
  })
})

describe('virtualServiceRoutes', () => {
  test.each([
    [0, 100, 0],
    [10, 90, 10],
    [25, 75, 25],
    [100, 0, 100],
  ])('%d%% -> stable %d, canary %d', (weight, stable, canary) => {
    const routes = virtualServiceRoutes(weight)
    expect(routes).toEqual([
      {subset: 'stable', weight: stable},
      {subset: 'canary', weight: canary},
    ])
    expect(routes[0].weight + routes[1].weight).toBe(100)
  })

  test.each([-5, 101, 33.3])('rejects %d', (weight) => {
    expect(() => virtualServiceRoutes(weight)).toThrow(RangeError)
  })
})
