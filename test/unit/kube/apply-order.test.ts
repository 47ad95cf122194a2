import {describe, expect, test} from 'vitest'

import {KIND_ORDER, compareObjects, kindRank, sortObjects} from '../../../src/kube/apply-order.js'
import type {KubeObject} from '../../../src/kube/types.js'

const object = (kind: string, name = 'x', namespace?: string): KubeObject => ({apiVersion: 'v1', kind, metadata: {name, ...(namespace ? {namespace} : {})}})

/** Fisher-Yates with a small linear congruential generator: the same shuffle for the same seed. */
function shuffle<T>(items: T[], seed: number): T[] {
  const out = [...items]
  let state = seed
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31
    const j = state % (i + 1)
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

describe('the one apply order (Helm InstallOrder)', () => {
  // [first, then, why]: each pair is a dependency a real cluster enforces or mygate relies on.
  const pairs: Array<[string, string, string]> = [
    ['PriorityClass', 'Namespace', 'Helm puts priority classes first'],
    ['Namespace', 'NetworkPolicy', 'namespaced objects need their namespace'],
    ['Namespace', 'CustomResourceDefinition', 'Helm order'],
    ['ResourceQuota', 'Deployment', 'quota admission counts the pods a workload creates'],
    ['LimitRange', 'StatefulSet', 'limit-range defaults apply only to pods admitted after it'],
    ['PodDisruptionBudget', 'Deployment', 'Helm order'],
    ['ServiceAccount', 'Secret', 'token Secrets reference their ServiceAccount'],
    ['Secret', 'Deployment', 'a pod referencing a missing Secret fails with CreateContainerConfigError'],
    ['ConfigMap', 'StatefulSet', 'a pod referencing a missing ConfigMap fails with CreateContainerConfigError'],
    ['StorageClass', 'PersistentVolumeClaim', 'a claim binds through its class'],
    ['PersistentVolumeClaim', 'Pod', 'a pod mounts the claim'],
    ['CustomResourceDefinition', 'VirtualService', 'a custom resource needs its CRD'],
    ['CustomResourceDefinition', 'PrometheusRule', 'a custom resource needs its CRD'],
    ['ClusterRole', 'ClusterRoleBinding', 'a binding names its role'],
    ['Role', 'RoleBinding', 'a binding names its role'],
    ['RoleBinding', 'Deployment', 'pods start with their permissions'],
    ['Service', 'Deployment', 'Service env vars are injected into pods started after the Service'],
    ['Deployment', 'HorizontalPodAutoscaler', 'an HPA scales an existing target'],
    ['HorizontalPodAutoscaler', 'StatefulSet', 'Helm order'],
    ['Job', 'CronJob', 'Helm order'],
    ['IngressClass', 'Ingress', 'an Ingress names its class'],
    ['APIService', 'DestinationRule', 'unlisted-by-Helm kinds come last'],
    ['DestinationRule', 'PeerAuthentication', 'custom resources alphabetically, as Helm sorts unknown kinds'],
    ['PeerAuthentication', 'PrometheusRule', 'alphabetically'],
    ['PrometheusRule', 'VirtualService', 'alphabetically'],
    ['VirtualService', 'Widget', 'a kind nobody lists comes last'],
    ['Alpha', 'Widget', 'unlisted kinds among themselves: alphabetically'],
  ]
  test.each(pairs)('%s before %s (%s)', (first, then) => {
    expect(compareObjects(object(first), object(then))).toBeLessThan(0)
    expect(compareObjects(object(then), object(first))).toBeGreaterThan(0)
  })

  test.each([
    ['same kind: by namespace first', object('ConfigMap', 'b', 'a-ns'), object('ConfigMap', 'a', 'b-ns')],
    ['same kind and namespace: by name', object('Service', 'api', 'mygate'), object('Service', 'billing', 'mygate')],
    ['cluster-scoped before namespaced of the same kind', object('Role', 'z'), object('Role', 'a', 'mygate')],
  ])('%s', (_why, first, then) => {
    expect(compareObjects(first, then)).toBeLessThan(0)
  })

  test('every unlisted kind shares one rank, after every listed one', () => {
    expect(kindRank('Widget')).toBe(kindRank('Gadget'))
    expect(kindRank('Widget')).toBe(KIND_ORDER.length)
    for (const kind of KIND_ORDER) expect(kindRank(kind)).toBeLessThan(kindRank('Widget'))
  })

  test('sorting is total and deterministic: any shuffle sorts to the same list', () => {
    const objects = [
      object('Deployment', 'visitors', 'mygate'), object('Namespace', 'mygate'), object('Secret', 'redis-auth', 'mygate'),
      object('VirtualService', 'visitors', 'mygate'), object('CustomResourceDefinition', 'virtualservices.networking.istio.io'),
      object('Service', 'visitors', 'mygate'), object('ResourceQuota', 'apps', 'mygate'), object('StatefulSet', 'visitors-db', 'mygate-data'),
    ]
    const expected = [
      'Namespace/mygate', 'ResourceQuota/apps', 'Secret/redis-auth', 'CustomResourceDefinition/virtualservices.networking.istio.io',
      'Service/visitors', 'Deployment/visitors', 'StatefulSet/visitors-db', 'VirtualService/visitors',
    ]
    for (let seed = 1; seed <= 20; seed++) {
      expect(sortObjects(shuffle(objects, seed)).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(expected)
    }
    expect(objects.map((o) => o.kind)[0]).toBe('Deployment') // the input is left as it was
  })
})
