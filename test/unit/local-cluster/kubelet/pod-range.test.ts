import {describe, expect, test} from 'vitest'

import {buildNodes, nodePodCidr} from '../../../../src/local-cluster/kubelet/nodes.js'

describe('a cluster\'s Pod range: each node gets a /24 of it', () => {
  test.each([
    ['10.244.0.0/16', 0, '10.244.0.0/24'],
    ['10.244.0.0/16', 2, '10.244.2.0/24'],
    ['10.245.0.0/16', 1, '10.245.1.0/24'],
  ])('%s, node %i: %s', (range, index, expected) => {
    expect(nodePodCidr(range, index)).toBe(expected)
  })

  test.each(['10.244.0.0/24', '10.244.1.0/16', 'ten'])('%s is refused (not A.B.0.0/16)', (range) => {
    expect(() => nodePodCidr(range, 0)).toThrow(`pod range ${range} is not a /16`)
  })

  test('nodes take the range given, 10.244.0.0/16 by default', () => {
    const specOf = (podCidr?: string) => buildNodes({clusterName: 'c', region: 'r', now: 0, ...(podCidr ? {podCidr} : {})}).map((n) => (n.spec as {podCIDR: string}).podCIDR)
    expect(specOf()).toEqual(['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24'])
    expect(specOf('10.245.0.0/16')).toEqual(['10.245.0.0/24', '10.245.1.0/24', '10.245.2.0/24'])
  })
})
