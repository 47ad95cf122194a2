import {describe, expect, test} from 'vitest'
import type {KubeObject} from '../../../../src/kube/types.js'
import {buildNodes} from '../../../../src/local-cluster/kubelet/nodes.js'
import {allocatePodIp} from '../../../../src/local-cluster/kubelet/pod-ip.js'
import {pickNode} from '../../../../src/local-cluster/kubelet/scheduler.js'

const nodes = buildNodes({clusterName: 'c', region: 'eu-west-1', now: 0})
const pod = (spec: Record<string, unknown> = {}): KubeObject => ({apiVersion: 'v1', kind: 'Pod', metadata: {name: 'p'}, spec: {containers: [], ...spec}})

describe('buildNodes', () => {
  test('three nodes across three zones with region, zone, instance type and capacity labels', () => {
    expect(nodes.map((n) => n.metadata.labels?.['topology.kubernetes.io/zone'])).toEqual(['eu-west-1-a', 'eu-west-1-b', 'eu-west-1-c'])
    expect(nodes.map((n) => n.metadata.labels?.['mygate.dev/capacity'])).toEqual(['on-demand', 'on-demand', 'spot'])
    for (const node of nodes) {
      expect(node.metadata.labels?.['topology.kubernetes.io/region']).toBe('eu-west-1')
      expect(node.metadata.labels?.['node.kubernetes.io/instance-type']).toBeTruthy()
      expect((node.status as {nodeInfo: {kubeletVersion: string}}).nodeInfo.kubeletVersion).toMatch(/^v1\.\d+/)
    }
  })
})

describe('pickNode', () => {
  test.each([
    ['no constraints: least loaded, then by name', {}, {'c-node-1': 2, 'c-node-2': 1, 'c-node-3': 1}, 'c-node-2'],
    ['nodeSelector on capacity', {nodeSelector: {'mygate.dev/capacity': 'spot'}}, {}, 'c-node-3'],
    [
      'required node affinity In',
      {affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: 'topology.kubernetes.io/zone', operator: 'In', values: ['eu-west-1-b']}]}]}}}},
      {},
      'c-node-2',
    ],
    [
      'affinity terms are ORed',
      {affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: 'x', operator: 'Exists'}]}, {matchExpressions: [{key: 'mygate.dev/capacity', operator: 'NotIn', values: ['on-demand']}]}]}}}},
      {},
      'c-node-3',
    ],
  ])('%s', (_, spec, load, expected) => {
    expect(pickNode(pod(spec), nodes, (n) => (load as Record<string, number>)[n] ?? 0)).toEqual({nodeName: expected})
  })

  test('a pod that fits nowhere is unschedulable with the scheduler message', () => {
    const decision = pickNode(pod({nodeSelector: {'mygate.dev/capacity': 'gpu'}}), nodes, () => 0)
    expect(decision).toEqual({unschedulable: expect.stringMatching(/^0\/3 nodes are available: 3 node\(s\) didn't match Pod's node affinity\/selector/)})
  })

  test('full nodes take no more pods', () => {
    expect('unschedulable' in pickNode(pod(), nodes, () => 250)).toBe(true)
  })
})

describe('allocatePodIp', () => {
  test.each([
    ['10.244.1.0/24', [], '10.244.1.2'],
    ['10.244.1.0/24', ['10.244.1.2', '10.244.1.3'], '10.244.1.4'],
    ['bad', [], undefined],
  ])('%s with %j used -> %s', (cidr, used, expected) => {
    expect(allocatePodIp(cidr, new Set(used))).toBe(expected)
  })

  test('a full range gives undefined', () => {
    const used = new Set(Array.from({length: 253}, (_, i) => `10.244.0.${i + 2}`))
    expect(allocatePodIp('10.244.0.0/24', used)).toBeUndefined()
  })
})
