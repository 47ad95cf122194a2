import {describe, expect, test} from 'vitest'

import {describeChanges, lowerNodeGroups, raiseNodeGroups} from '../../../src/failover/node-capacity.js'
import type {CloudNodeGroups} from '../../../src/providers/cloud-failover.js'
import type {GroupSize} from '../../../src/providers/node-group-sizing.js'
import {createCatalog} from '../../../src/catalog/catalog.js'
import {testService} from '../../helpers/builders.js'
import {fakeKube} from '../../helpers/fake-kube.js'

/** Node groups held in memory, counting the resizes sent. */
function groups(initial: Record<string, GroupSize>): CloudNodeGroups & {sizes: Map<string, GroupSize>; resizes: string[]} {
  const sizes = new Map(Object.entries(initial))
  const resizes: string[] = []
  return {
    sizes,
    resizes,
    read: async (_region, names) => names.filter((name) => sizes.has(name)).map((name) => ({name, size: sizes.get(name)!})),
    resize: async (_region, name, size) => {
      resizes.push(name)
      sizes.set(name, size)
      return true
    },
  }
}

const size = (minSize: number, maxSize: number, desiredSize: number) => ({minSize, maxSize, desiredSize})
const catalog = createCatalog([testService({name: 'visitors', spot: true})])

describe('raiseNodeGroups', () => {
  test('standby groups go to the tier\'s full sizes; a second run sends nothing; a missing group is named', async () => {
    const cloud = groups({'ng-on-demand': size(1, 3, 1)})
    const first = await raiseNodeGroups(cloud, {region: 'b', tier: 'dev', catalog})
    expect(cloud.sizes.get('ng-on-demand')).toEqual(size(1, 3, 2))
    expect(first.missing).toEqual(['ng-spot'])
    expect(describeChanges('b', first.changes, first.missing)).toBe('b node groups: ng-on-demand 1..3 desired 1 -> 1..3 desired 2, ng-spot absent')
    const second = await raiseNodeGroups(cloud, {region: 'b', tier: 'dev', catalog})
    expect(cloud.resizes).toEqual(['ng-on-demand'])
    expect(describeChanges('b', second.changes)).toBe('b node groups: ng-on-demand already 1..3 desired 2')
  })
})

describe('lowerNodeGroups', () => {
  test('standby sizes, kept at the nodes the remaining pods take (deleted and finished pods do not count)', async () => {
    const kube = fakeKube()
    const node = (name: string, capacity: string) =>
      kube.put({apiVersion: 'v1', kind: 'Node', metadata: {name, labels: {'mygate.dev/capacity': capacity}}, status: {allocatable: {cpu: '2', memory: '8Gi'}}})
    const pod = (name: string, nodeName: string, cpu: string, extra: Record<string, unknown> = {}) =>
      kube.put({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {name, namespace: 'mygate-data', ...(extra.metadata as object)},
        spec: {nodeName, containers: [{name: 'c', resources: {requests: {cpu, memory: '1Gi'}}}]},
        status: {phase: (extra.phase as string) ?? 'Running'},
      })
    node('od-1', 'on-demand')
    node('od-2', 'on-demand')
    node('spot-1', 'spot')
    pod('billing-db-0', 'od-1', '1500m')
    pod('auth-db-0', 'od-2', '1500m')
    pod('going', 'od-2', '4', {metadata: {deletionTimestamp: '2026-12-03T13:00:00Z'}})
    pod('done', 'spot-1', '4', {phase: 'Succeeded'})
    const cloud = groups({'ng-on-demand': size(1, 3, 3), 'ng-spot': size(0, 3, 3)})
    const {changes} = await lowerNodeGroups(cloud, {region: 'a', tier: 'dev', catalog, client: kube})
    // 3000m of requests on 2000m nodes: two nodes, above the standby desired of one.
    expect(cloud.sizes.get('ng-on-demand')).toEqual(size(1, 3, 2))
    expect(cloud.sizes.get('ng-spot')).toEqual(size(1, 3, 1))
    expect(changes.map((change) => change.changed)).toEqual([true, true])
  })
})
