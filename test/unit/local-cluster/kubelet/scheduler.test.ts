import {describe, expect, test} from 'vitest'
import type {KubeObject} from '../../../../src/kube/types.js'
import {buildNodes} from '../../../../src/local-cluster/kubelet/nodes.js'
import {allocatePodIp} from '../../../../src/local-cluster/kubelet/pod-ip.js'
import {EMPTY_USAGE, type NodeUsage, pickNode, type VolumeLookup} from '../../../../src/local-cluster/kubelet/scheduler.js'

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
    expect(pickNode(pod(spec), nodes, (n) => ({...EMPTY_USAGE, pods: (load as Record<string, number>)[n] ?? 0}))).toEqual({nodeName: expected})
  })

  // Expected texts: the scheduler's FitError (pkg/scheduler/framework/types.go, "0/%v nodes are
  // available" + sorted reason histogram) and the DefaultPreemption post-filter, as real clusters
  // print them, e.g. "0/4 nodes are available: 1 Insufficient cpu. preemption: 0/4 nodes are
  // available: 4 No preemption victims found for incoming pod." (kubernetes/kubernetes#121007).
  const sized = (cpu: string, memory: string, extra: Record<string, unknown> = {}) => pod({containers: [{name: 'c', resources: {requests: {cpu, memory}}}], ...extra})
  const used = (table: Record<string, Partial<NodeUsage>>) => (n: string): NodeUsage => ({...EMPTY_USAGE, ...table[n]})

  test.each<[string, KubeObject, Record<string, Partial<NodeUsage>>, string]>([
    [
      'requests beyond every node\'s allocatable cpu (7800m)',
      sized('8', '1Gi'),
      {},
      '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
    ],
    [
      'each node short of something',
      sized('4', '20Gi'),
      {'c-node-1': {cpuMilli: 5000}, 'c-node-2': {memoryBytes: 15 * 1024 ** 3}, 'c-node-3': {cpuMilli: 5000, memoryBytes: 15 * 1024 ** 3}},
      '0/3 nodes are available: 2 Insufficient cpu, 2 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
    ],
    [
      'a selector rules one node out, the others are full',
      sized('4', '1Gi', {nodeSelector: {'mygate.dev/capacity': 'on-demand'}}),
      {'c-node-1': {cpuMilli: 4000}, 'c-node-2': {cpuMilli: 7000}},
      "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.",
    ],
    [
      'full nodes take no more pods',
      pod(),
      {'c-node-1': {pods: 250}, 'c-node-2': {pods: 250}, 'c-node-3': {pods: 250}},
      '0/3 nodes are available: 3 Too many pods. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
    ],
    [
      'nothing matches the selector',
      pod({nodeSelector: {'mygate.dev/capacity': 'gpu'}}),
      {},
      "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    ],
  ])('unschedulable: %s', (_, p, table, message) => {
    expect(pickNode(p, nodes, used(table))).toEqual({unschedulable: message})
  })

  test('a pod that exactly fills the remaining room fits; pods without requests fit anywhere, on the freest node', () => {
    const full = used({'c-node-1': {cpuMilli: 7800}, 'c-node-2': {cpuMilli: 7800}, 'c-node-3': {cpuMilli: 7300}})
    expect(pickNode(sized('500m', '1Gi'), nodes, full)).toEqual({nodeName: 'c-node-3'})
    expect(pickNode(pod(), nodes, used({'c-node-1': {cpuMilli: 7800}, 'c-node-2': {cpuMilli: 7800}, 'c-node-3': {cpuMilli: 7800}}))).toEqual({nodeName: 'c-node-1'})
  })

  test('the node with the most cpu and memory left wins (LeastAllocated), even with more pods', () => {
    const usage = used({'c-node-1': {pods: 1, cpuMilli: 6000}, 'c-node-2': {pods: 5, cpuMilli: 1000}, 'c-node-3': {pods: 2, cpuMilli: 3000, memoryBytes: 20 * 1024 ** 3}})
    expect(pickNode(sized('500m', '1Gi'), nodes, usage)).toEqual({nodeName: 'c-node-2'})
  })

  describe('claims (VolumeBinding pre-filter)', () => {
    const claim = (name: string, phase: string | undefined, storageClassName = 'standard', extra: Record<string, unknown> = {}) => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {name, namespace: 'ns', ...extra},
      spec: {storageClassName, ...(phase === 'Bound' ? {volumeName: `pv-${name}`} : {})},
      ...(phase ? {status: {phase}} : {}),
    })
    const classes: Record<string, KubeObject> = {
      standard: {apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: {name: 'standard'}, volumeBindingMode: 'Immediate'} as KubeObject,
      late: {apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: {name: 'late'}, volumeBindingMode: 'WaitForFirstConsumer'} as KubeObject,
    }
    const lookup = (claims: KubeObject[]): VolumeLookup => ({
      claim: (_ns, name) => claims.find((c) => c.metadata.name === name),
      storageClass: (name) => classes[name],
    })
    const withClaim = {...pod({volumes: [{name: 'data', persistentVolumeClaim: {claimName: 'data-0'}}]}), metadata: {name: 'p', namespace: 'ns'}}
    const notHelpful = 'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.'

    test.each<[string, KubeObject[], string | undefined]>([
      ['bound', [claim('data-0', 'Bound')], undefined],
      ['pending with an Immediate class', [claim('data-0', 'Pending')], `0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. ${notHelpful}`],
      ['pending with a WaitForFirstConsumer class', [claim('data-0', 'Pending', 'late')], undefined],
      ['missing', [], `0/3 nodes are available: persistentvolumeclaim "data-0" not found. ${notHelpful}`],
      ['being deleted', [claim('data-0', 'Bound', 'standard', {deletionTimestamp: '2026-01-01T00:00:00Z'})], `0/3 nodes are available: persistentvolumeclaim "data-0" is being deleted. ${notHelpful}`],
    ])('%s', (_, claims, message) => {
      expect(pickNode(withClaim, nodes, () => EMPTY_USAGE, lookup(claims))).toEqual(message ? {unschedulable: message} : {nodeName: 'c-node-1'})
    })
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
