import {describe, expect, test} from 'vitest'

import {meshRouter, replicaRatioRouter} from '../../../src/traffic/traffic-router.js'
import {fakeKube} from '../../helpers/fake-kube.js'

const deployment = (name: string, replicas: number) => ({apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name, namespace: 'mygate'}, spec: {replicas}})

describe('replica-ratio router', () => {
  test.each([
    [10, 25, 8, 2],
    [4, 10, 3, 1],
    [1, 50, 1, 1],
    [4, 100, 0, 4],
  ])('total %i at %i%% -> stable %i, canary %i', async (total, weight, stable, canary) => {
    const kube = fakeKube()
    kube.put(deployment('visitors', total))
    const router = replicaRatioRouter({client: kube, service: 'visitors', totalReplicas: total})
    expect(router.replicasFor(weight)).toEqual({stable, canary})
    await router.shiftTraffic(weight)
    expect((kube.objects.get('Deployment/mygate/visitors')?.spec as {replicas: number}).replicas).toBe(stable)
  })

  test('reset puts stable back to its size and the canary to 0; a missing canary is fine', async () => {
    const kube = fakeKube()
    kube.put(deployment('visitors', 2))
    const router = replicaRatioRouter({client: kube, service: 'visitors', totalReplicas: 4})
    await router.resetToStable()
    expect((kube.objects.get('Deployment/mygate/visitors')?.spec as {replicas: number}).replicas).toBe(4)
    kube.put(deployment('visitors-canary', 2))
    await router.resetToStable()
    expect((kube.objects.get('Deployment/mygate/visitors-canary')?.spec as {replicas: number}).replicas).toBe(0)
  })
})

describe('mesh router', () => {
  test('patches the VirtualService weights, stable first, and sizes the canary for its share', async () => {
    const kube = fakeKube()
    kube.put({apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', metadata: {name: 'visitors', namespace: 'mygate'}, spec: {hosts: ['visitors.mygate.svc.cluster.local']}})
    kube.put(deployment('visitors-canary', 1))
    const router = meshRouter({client: kube, service: 'visitors', totalReplicas: 4})
    expect(router.replicasFor(10)).toEqual({stable: 4, canary: 1})
    expect(router.replicasFor(50)).toEqual({stable: 4, canary: 2})
    await router.shiftTraffic(25)
    const vs = kube.objects.get('VirtualService/mygate/visitors')?.spec as {http: Array<{route: Array<{destination: {subset: string; host: string}; weight: number}>}>}
    expect(vs.http[0].route.map((r) => [r.destination.subset, r.weight])).toEqual([['stable', 75], ['canary', 25]])
    expect(vs.http[0].route[0].destination.host).toBe('visitors.mygate.svc.cluster.local')
    await router.resetToStable()
    const after = kube.objects.get('VirtualService/mygate/visitors')?.spec as typeof vs
    expect(after.http[0].route.map((r) => r.weight)).toEqual([100, 0])
    expect((kube.objects.get('Deployment/mygate/visitors-canary')?.spec as {replicas: number}).replicas).toBe(0)
    // The weight flip comes before the canary's scale-down: traffic leaves first.
    expect(kube.patches.map((p) => p.kind)).toEqual(['VirtualService', 'VirtualService', 'Deployment'])
  })
})
