import {describe, expect, test} from 'vitest'

import {lowerToStandby, nodesFor, plannedGroupSizes, raiseToFull} from '../../../src/providers/node-group-sizing.js'
import {ON_DEMAND_GROUP, SPOT_GROUP} from '../../../src/providers/node-groups.js'
import {testService} from '../../helpers/builders.js'

const size = (minSize: number, maxSize: number, desiredSize: number) => ({minSize, maxSize, desiredSize})
const GiB = 1024 ** 3

describe('raiseToFull: every bound at least the plan\'s, nothing lowered', () => {
  test.each([
    ['standby to full', size(1, 3, 1), size(1, 3, 2), size(1, 3, 2)],
    ['an autoscaler grew it past the plan', size(1, 6, 5), size(1, 3, 2), size(1, 6, 5)],
    ['spot standby floor above the full floor', size(1, 3, 1), size(0, 3, 1), size(1, 3, 1)],
    ['prod from a shrunken group', size(1, 4, 1), size(3, 12, 3), size(3, 12, 3)],
  ])('%s: live %o, full %o -> %o', (_label, live, full, expected) => {
    expect(raiseToFull(live, full)).toEqual(expected)
  })
})

describe('lowerToStandby: the standby size, never below what the pods need', () => {
  test.each([
    [size(1, 3, 1), 0, size(1, 3, 1)],
    [size(1, 3, 1), 1, size(1, 3, 1)],
    [size(1, 3, 1), 2, size(1, 3, 2)],
    [size(1, 3, 1), 5, size(1, 5, 5)],
    [size(3, 12, 3), 4, size(3, 12, 4)],
  ])('standby %o, pods need %i nodes -> %o', (standby, needed, expected) => {
    expect(lowerToStandby(standby, needed)).toEqual(expected)
  })
})

describe('nodesFor', () => {
  test.each([
    [{cpuMilli: 0, memoryBytes: 0}, {cpuMilli: 2000, memoryBytes: 8 * GiB}, 0],
    [{cpuMilli: 2000, memoryBytes: 1 * GiB}, {cpuMilli: 2000, memoryBytes: 8 * GiB}, 1],
    [{cpuMilli: 2500, memoryBytes: 3 * GiB}, {cpuMilli: 2000, memoryBytes: 8 * GiB}, 2],
    [{cpuMilli: 100, memoryBytes: 17 * GiB}, {cpuMilli: 2000, memoryBytes: 8 * GiB}, 3],
    [{cpuMilli: 100, memoryBytes: 0}, {cpuMilli: 0, memoryBytes: 0}, Number.POSITIVE_INFINITY],
  ])('needs %o, one node offers %o -> %s', (needs, perNode, expected) => {
    expect(nodesFor(needs, perNode)).toBe(expected)
  })
})

describe('plannedGroupSizes', () => {
  const services = [testService({name: 'visitors', spot: true})]
  test('full is the tier\'s sizes; standby is the minimum, at least one node', () => {
    expect(plannedGroupSizes('dev', services, 'full')).toEqual(new Map([[ON_DEMAND_GROUP, size(1, 3, 2)], [SPOT_GROUP, size(0, 3, 1)]]))
    expect(plannedGroupSizes('dev', services, 'standby')).toEqual(new Map([[ON_DEMAND_GROUP, size(1, 3, 1)], [SPOT_GROUP, size(1, 3, 1)]]))
    expect(plannedGroupSizes('prod', [], 'full')).toEqual(new Map([[ON_DEMAND_GROUP, size(3, 12, 3)]]))
  })
})

describe('every size sent is one EKS and GKE accept (min <= desired <= max)', () => {
  // moto does not check this; EKS answers InvalidParameterException and GKE INVALID_ARGUMENT.
  test('for valid live and planned sizes, raised and lowered sizes stay valid', () => {
    let seed = 7
    const next = (limit: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % limit
    const valid = () => {
      const minSize = next(4)
      const maxSize = minSize + next(10)
      return size(minSize, maxSize, minSize + next(maxSize - minSize + 1))
    }
    for (let i = 0; i < 500; i++) {
      const raised = raiseToFull(valid(), valid())
      const lowered = lowerToStandby(valid(), next(20))
      for (const result of [raised, lowered]) {
        expect(result.minSize).toBeLessThanOrEqual(result.desiredSize)
        expect(result.desiredSize).toBeLessThanOrEqual(result.maxSize)
      }
    }
  })
})
