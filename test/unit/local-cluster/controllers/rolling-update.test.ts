import {describe, expect, test} from 'vitest'
import {availabilityThreshold, newReplicaSetSize, proportionalScale, resolveFenceposts, scaledValue, scaleDownOldReplicaSets} from '../../../../src/local-cluster/controllers/rolling-update.js'

describe('scaledValue', () => {
  test.each([
    [3, 10, true, 3],
    ['3', 10, false, 3],
    ['25%', 10, true, 3],
    ['25%', 10, false, 2],
    ['0%', 10, true, 0],
    ['100%', 10, false, 10],
    ['100%', 7, true, 7],
    ['50%', 1, true, 1],
    ['50%', 1, false, 0],
    ['33%', 3, true, 1],
    ['33%', 3, false, 0],
    ['abc', 10, true, undefined],
    [-1, 10, true, undefined],
    [undefined, 10, true, undefined],
  ])('%j of %i (round up %s) = %j', (value, total, up, expected) => {
    expect(scaledValue(value as number | string | undefined, total, up)).toBe(expected)
  })
})

describe('resolveFenceposts', () => {
  test.each([
    // replicas, maxSurge, maxUnavailable, surge, unavailable
    [10, undefined, undefined, 3, 2],
    [1, undefined, undefined, 1, 0],
    [1, 0, '25%', 0, 1], // both resolve to 0: unavailable forced to 1
    [4, '0%', '0%', 0, 1],
    [10, '100%', 0, 10, 0],
    [10, 0, '100%', 0, 10],
    [5, '25%', '25%', 2, 1],
    [0, '25%', '25%', 0, 1],
    [3, 1, 0, 1, 0],
  ])('%i replicas, surge %j, unavailable %j -> %i/%i', (replicas, surge, unavailable, wantSurge, wantUnavailable) => {
    expect(resolveFenceposts(replicas, surge, unavailable)).toEqual({maxSurge: wantSurge, maxUnavailable: wantUnavailable})
  })
})

describe('newReplicaSetSize', () => {
  test.each([
    // replicas, maxSurge, new, all, expected
    [10, 3, 0, 10, 3], // worked example, first step
    [10, 3, 3, 11, 5],
    [10, 3, 3, 13, 3], // no room
    [10, 0, 0, 10, 0], // surge 0: wait for old to scale down
    [10, 0, 0, 8, 2],
    [10, 3, 12, 12, 10], // too big: straight down to replicas
    [1, 1, 0, 1, 1],
    [3, 1, 2, 4, 2],
    [0, 0, 0, 0, 0],
  ])('%i replicas, surge %i, new %i, all %i -> %i', (replicas, maxSurge, newReplicas, allReplicas, expected) => {
    expect(newReplicaSetSize({replicas, maxSurge, newReplicas, allReplicas})).toBe(expected)
  })
})

describe('scaleDownOldReplicaSets', () => {
  test('worked example: 10 replicas, 25%/25%, old 10/10 available, new 3 not ready -> old 8', () => {
    const result = scaleDownOldReplicaSets({replicas: 10, maxUnavailable: 2, oldSets: [{name: 'old', replicas: 10, availableReplicas: 10}], newSet: {replicas: 3, availableReplicas: 0}})
    expect(result.get('old')).toBe(8)
  })

  test('never drops availability below replicas - maxUnavailable when the new pods are unavailable', () => {
    const result = scaleDownOldReplicaSets({replicas: 10, maxUnavailable: 2, oldSets: [{name: 'old', replicas: 8, availableReplicas: 8}], newSet: {replicas: 5, availableReplicas: 0}})
    expect(result.get('old')).toBe(8)
  })

  test('unhealthy old pods are cleaned up first, even at the availability floor', () => {
    const result = scaleDownOldReplicaSets({replicas: 4, maxUnavailable: 1, oldSets: [{name: 'old', replicas: 4, availableReplicas: 2}], newSet: {replicas: 1, availableReplicas: 0}})
    // room = 5 total - 3 min - 1 new unavailable = 1: one unhealthy old pod goes; 2 available <= 3: no more.
    expect(result.get('old')).toBe(3)
  })

  test('oldest sets shrink first', () => {
    const result = scaleDownOldReplicaSets({
      replicas: 4,
      maxUnavailable: 1,
      oldSets: [
        {name: 'oldest', replicas: 2, availableReplicas: 2},
        {name: 'older', replicas: 2, availableReplicas: 2},
      ],
      newSet: {replicas: 2, availableReplicas: 2},
    })
    // 6 available - 3 minimum = 3 to remove: both of oldest, one of older.
    expect(result.get('oldest')).toBe(0)
    expect(result.get('older')).toBe(1)
  })

  test('nothing old left: nothing to do', () => {
    expect([...scaleDownOldReplicaSets({replicas: 3, maxUnavailable: 0, oldSets: [{name: 'a', replicas: 0, availableReplicas: 0}], newSet: {replicas: 3, availableReplicas: 3}})]).toEqual([['a', 0]])
  })

  test.each([
    // replicas, surge, unavailable, a full rollout never exceeds replicas + surge and never drops below replicas - unavailable
    [10, '25%', '25%'],
    [1, 0, 1],
    [1, 1, 0],
    [3, '100%', 0],
    [7, 2, 3],
    [5, '0%', '40%'],
  ])('a simulated rollout of %i replicas (surge %j, unavailable %j) keeps its fenceposts and finishes', (replicas, surge, unavailable) => {
    const {maxSurge, maxUnavailable} = resolveFenceposts(replicas, surge, unavailable)
    let oldReplicas = replicas
    let oldAvailable = replicas
    let newReplicas = 0
    let newAvailable = 0
    for (let round = 0; round < 100 && (newAvailable < replicas || oldReplicas > 0); round++) {
      newReplicas = newReplicaSetSize({replicas, maxSurge, newReplicas, allReplicas: oldReplicas + newReplicas})
      oldReplicas = scaleDownOldReplicaSets({replicas, maxUnavailable, oldSets: [{name: 'old', replicas: oldReplicas, availableReplicas: oldAvailable}], newSet: {replicas: newReplicas, availableReplicas: newAvailable}}).get('old') ?? 0
      oldAvailable = Math.min(oldAvailable, oldReplicas)
      expect(oldReplicas + newReplicas).toBeLessThanOrEqual(replicas + maxSurge)
      expect(oldAvailable + newAvailable).toBeGreaterThanOrEqual(replicas - maxUnavailable)
      newAvailable = newReplicas // pods become available between rounds
    }
    expect({newReplicas, newAvailable, oldReplicas}).toEqual({newReplicas: replicas, newAvailable: replicas, oldReplicas: 0})
  })
})

describe('availabilityThreshold', () => {
  test.each([
    [{replicas: 10, strategy: 'RollingUpdate' as const}, 2],
    [{replicas: 10, strategy: 'Recreate' as const}, 0],
    [{replicas: 0, strategy: 'RollingUpdate' as const}, 0],
    [{replicas: 2, strategy: 'RollingUpdate' as const, maxUnavailable: 5}, 2],
  ])('%j -> %i', (input, expected) => {
    expect(availabilityThreshold(input)).toBe(expected)
  })
})

describe('proportionalScale', () => {
  const set = (name: string, replicas: number, createdAt: number, maxReplicasAnnotation?: number) => ({name, replicas, createdAt, maxReplicasAnnotation})
  test.each([
    // replicas, maxSurge, status replicas, sets, expected sizes
    ['worked example: 10 -> 20 mid-rollout', 20, 5, 13, [set('old', 8, 1, 13), set('new', 5, 2, 13)], {old: 15, new: 10}],
    ['scale down 10 -> 5 mid-rollout', 5, 2, 13, [set('old', 8, 1, 13), set('new', 5, 2, 13)], {old: 4, new: 3}],
    ['to zero: everything goes', 0, 0, 13, [set('old', 8, 1, 13), set('new', 5, 2, 13)], {old: 0, new: 0}],
    ['equal sizes: the newer gets the leftover when growing', 7, 1, 4, [set('a', 2, 1, 4), set('b', 2, 2, 4)], {a: 4, b: 4}],
    ['without annotations the status replica count is the base', 20, 5, 10, [set('old', 5, 1), set('new', 5, 2)], {old: 12, new: 13}],
    ['inactive sets stay at zero', 20, 5, 13, [set('old', 8, 1, 13), set('new', 5, 2, 13), set('older', 0, 0, 13)], {old: 15, new: 10, older: 0}],
  ] as const)('%s', (_, replicas, maxSurge, statusReplicas, sets, expected) => {
    const result = Object.fromEntries(proportionalScale({replicas, maxSurge, statusReplicas, sets: [...sets]}))
    expect(result).toEqual(expected)
    const active = Object.values(result).reduce((a, b) => a + b, 0)
    expect(active).toBe(replicas > 0 ? replicas + maxSurge : 0)
  })
})
