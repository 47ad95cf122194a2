import {describe, expect, test} from 'vitest'

import {growthOf, growthUnknownOn, judgeNodeCapacity, type NodeGrowth} from '../../../src/failover/node-capacity.js'

const Mi = 1024 * 1024
const node = {cpuMilli: 2000, memoryBytes: 8192 * Mi}
const groups = (nodes: number, maxNodes: number): NodeGrowth => ({kind: 'node-groups', nodes, maxNodes, perNode: node})
const kubeconfig: NodeGrowth = {kind: 'unknown', reason: growthUnknownOn('kubeconfig')}
const cpu = (cpuMilli: number) => ({cpuMilli, memoryBytes: 0})

describe('judgeNodeCapacity: available, or can be requested from the node groups', () => {
  test.each([
    ['fits the free room', cpu(1000), cpu(1500), groups(2, 6), 'pass', /node groups at 2 of max 6 nodes/],
    ['one node short, room below max', cpu(3000), cpu(1000), groups(2, 6), 'warn', /1 more node\(s\) can be requested \(2 -> 3 of max 6\)/],
    ['exactly at max', cpu(5000), cpu(1000), groups(2, 4), 'warn', /2 more node\(s\) can be requested \(2 -> 4 of max 4\)/],
    ['beyond max', cpu(9000), cpu(1000), groups(2, 4), 'fail', /4 more node\(s\) needed, node groups at 2 of max 4 nodes: raise/],
    ['memory decides', {cpuMilli: 0, memoryBytes: 9000 * Mi}, {cpuMilli: 0, memoryBytes: 100 * Mi}, groups(1, 1), 'fail', /2 more node\(s\) needed/],
    ['kubeconfig fits: pass, and says what it could not know', cpu(100), cpu(1000), kubeconfig, 'pass', /whether more nodes can be requested is unknown/],
    ['kubeconfig short: unknown is the strictest case', cpu(3000), cpu(1000), kubeconfig, 'fail', /needs 3000m CPU .* free 1000m .*unknown/],
    ['local short', cpu(3000), cpu(1000), {kind: 'unknown', reason: growthUnknownOn('local')} as NodeGrowth, 'fail', /simulated nodes are all there are/],
  ])('%s', (_label, needed, free, growth, verdict, measured) => {
    const result = judgeNodeCapacity(needed, free, growth)
    expect(result).toMatchObject({check: 'capacity', verdict})
    expect(result.measured).toMatch(measured)
  })
})

describe('growthOf', () => {
  test('sums desired and max over groups, times zones on a regional GKE pool', () => {
    const growth = growthOf(
      [
        {name: 'ng-on-demand', size: {minSize: 1, maxSize: 3, desiredSize: 2}, zones: 3},
        {name: 'ng-spot', size: {minSize: 0, maxSize: 3, desiredSize: 1}},
      ],
      node,
    )
    expect(growth).toEqual({kind: 'node-groups', nodes: 7, maxNodes: 12, perNode: node})
  })
})
