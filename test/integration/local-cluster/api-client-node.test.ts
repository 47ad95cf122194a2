import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import type * as k8s from '@kubernetes/client-node'
import {startApiServer, type ApiServer} from '../../../src/local-cluster/api-server/index.js'
import {createObjectStore, type LocalObjectStore} from '../../../src/local-cluster/store/index.js'

let client: typeof k8s
let server: ApiServer
let store: LocalObjectStore
let kc: k8s.KubeConfig

beforeAll(async () => {
  client = await import('@kubernetes/client-node')
  store = createObjectStore()
  server = await startApiServer({store, bookmarkIntervalMs: 100})
  kc = new client.KubeConfig()
  kc.loadFromString(
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      // client-node 1.x refuses plain http unless the cluster says insecure-skip-tls-verify.
      clusters: [{name: 'local', cluster: {server: server.url, 'insecure-skip-tls-verify': true}}],
      users: [{name: 'local', user: {}}],
      contexts: [{name: 'local', context: {cluster: 'local', user: 'local'}}],
      'current-context': 'local',
    }),
  )
})

afterAll(async () => {
  await server?.close()
  await store?.close()
})

function deployment(name: string, image: string): k8s.V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {name, labels: {app: name}},
    spec: {
      replicas: 2,
      selector: {matchLabels: {app: name}},
      template: {metadata: {labels: {app: name}}, spec: {containers: [{name: 'app', image}]}},
    },
  }
}

async function statusOf(promise: Promise<unknown>): Promise<{code: number; body: Record<string, unknown>}> {
  try {
    await promise
  } catch (error) {
    const e = error as {code: number; body: string}
    return {code: e.code, body: JSON.parse(e.body) as Record<string, unknown>}
  }
  throw new Error('expected the call to fail')
}

describe('@kubernetes/client-node against the local API server', () => {
  test('Deployment: create, get, list, patch (merge + strategic), scale, delete', async () => {
    const apps = kc.makeApiClient(client.AppsV1Api)
    const created = await apps.createNamespacedDeployment({namespace: 'default', body: deployment('web', 'web:1')})
    expect(created.metadata?.uid).toBeTruthy()
    expect(created.spec?.strategy?.type).toBe('RollingUpdate')

    const got = await apps.readNamespacedDeployment({name: 'web', namespace: 'default'})
    expect(got.spec?.template.spec?.containers[0].image).toBe('web:1')

    const list = await apps.listNamespacedDeployment({namespace: 'default', labelSelector: 'app=web'})
    expect(list.items.map((d) => d.metadata?.name)).toEqual(['web'])
    expect(list.metadata?.resourceVersion).toBe(store.resourceVersion())
    expect((await apps.listDeploymentForAllNamespaces()).items).toHaveLength(1)

    const merged = await apps.patchNamespacedDeployment(
      {name: 'web', namespace: 'default', body: {metadata: {labels: {tier: 'front'}}}},
      client.setHeaderOptions('Content-Type', client.PatchStrategy.MergePatch),
    )
    expect(merged.metadata?.labels).toEqual({app: 'web', tier: 'front'})
    expect(merged.metadata?.generation).toBe(1)

    const strategic = await apps.patchNamespacedDeployment(
      {name: 'web', namespace: 'default', body: {spec: {template: {spec: {containers: [{name: 'app', image: 'web:2'}]}}}}},
      client.setHeaderOptions('Content-Type', client.PatchStrategy.StrategicMergePatch),
    )
    expect(strategic.spec?.template.spec?.containers).toHaveLength(1)
    expect(strategic.spec?.template.spec?.containers[0].image).toBe('web:2')
    expect(strategic.metadata?.generation).toBe(2)

    const scale = await apps.replaceNamespacedDeploymentScale({
      name: 'web',
      namespace: 'default',
      body: {apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: {name: 'web', namespace: 'default'}, spec: {replicas: 4}},
    })
    expect(scale.spec?.replicas).toBe(4)
    expect(scale.status?.selector).toBe('app=web')
    expect((await apps.readNamespacedDeployment({name: 'web', namespace: 'default'})).spec?.replicas).toBe(4)

    const statusWrite = await apps.replaceNamespacedDeploymentStatus({
      name: 'web',
      namespace: 'default',
      body: {...(await apps.readNamespacedDeployment({name: 'web', namespace: 'default'})), status: {replicas: 4, readyReplicas: 4}},
    })
    expect(statusWrite.status?.readyReplicas).toBe(4)

    const stale = await statusOf(apps.replaceNamespacedDeployment({name: 'web', namespace: 'default', body: {...created, spec: {...created.spec!, replicas: 9}}}))
    expect(stale.code).toBe(409)
    expect(stale.body).toMatchObject({kind: 'Status', reason: 'Conflict', code: 409})

    await apps.deleteNamespacedDeployment({name: 'web', namespace: 'default'})
    const gone = await statusOf(apps.readNamespacedDeployment({name: 'web', namespace: 'default'}))
    expect(gone).toMatchObject({code: 404, body: {reason: 'NotFound', message: 'deployments.apps "web" not found', details: {name: 'web', group: 'apps', kind: 'deployments'}}})
  })

  test('ConfigMap: create, replace, JSON patch, watch from a resourceVersion, delete', async () => {
    const core = kc.makeApiClient(client.CoreV1Api)
    const start = store.resourceVersion()
    const events: string[] = []
    let bookmarks = 0
    const watch = new client.Watch(kc)
    const done = new Promise<void>((resolve) => {
      void watch
        .watch(
          '/api/v1/namespaces/default/configmaps',
          {resourceVersion: start, allowWatchBookmarks: true},
          (phase, object: k8s.V1ConfigMap) => {
            if (phase === 'BOOKMARK') bookmarks++
            else events.push(`${phase} ${object.metadata?.name} ${JSON.stringify(object.data ?? {})}`)
            if (phase === 'DELETED') resolve()
          },
          () => resolve(),
        )
        .then((controller) => done.then(() => controller.abort()))
    })
    const cm = await core.createNamespacedConfigMap({namespace: 'default', body: {metadata: {name: 'settings'}, data: {a: '1'}}})
    await core.replaceNamespacedConfigMap({name: 'settings', namespace: 'default', body: {...cm, data: {a: '2'}}})
    await core.patchNamespacedConfigMap(
      {name: 'settings', namespace: 'default', body: [{op: 'add', path: '/data/b', value: '3'}]},
      client.setHeaderOptions('Content-Type', client.PatchStrategy.JsonPatch),
    )
    await new Promise((resolve) => setTimeout(resolve, 250))
    await core.deleteNamespacedConfigMap({name: 'settings', namespace: 'default'})
    await done
    expect(events).toEqual(['ADDED settings {"a":"1"}', 'MODIFIED settings {"a":"2"}', 'MODIFIED settings {"a":"2","b":"3"}', 'DELETED settings {"a":"2","b":"3"}'])
    expect(bookmarks).toBeGreaterThan(0)
  })

  test('a CRD serves its custom resources until it is deleted', async () => {
    const ext = kc.makeApiClient(client.ApiextensionsV1Api)
    const custom = kc.makeApiClient(client.CustomObjectsApi)
    const crd = await ext.createCustomResourceDefinition({
      body: {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: {name: 'virtualservices.networking.istio.io'},
        spec: {
          group: 'networking.istio.io',
          scope: 'Namespaced',
          names: {plural: 'virtualservices', singular: 'virtualservice', kind: 'VirtualService', shortNames: ['vs']},
          versions: [{name: 'v1', served: true, storage: true, schema: {openAPIV3Schema: {type: 'object', x_kubernetes_preserve_unknown_fields: true}}}],
        },
      },
    })
    expect(crd.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True')
    await custom.createNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1',
      namespace: 'default',
      plural: 'virtualservices',
      body: {apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: {name: 'web'}, spec: {hosts: ['web']}},
    })
    const patched = (await custom.patchNamespacedCustomObject(
      {group: 'networking.istio.io', version: 'v1', namespace: 'default', plural: 'virtualservices', name: 'web', body: {spec: {hosts: ['web', 'web.example.com']}}},
      client.setHeaderOptions('Content-Type', client.PatchStrategy.MergePatch),
    )) as {spec: {hosts: string[]}}
    expect(patched.spec.hosts).toEqual(['web', 'web.example.com'])
    const listed = (await custom.listNamespacedCustomObject({group: 'networking.istio.io', version: 'v1', namespace: 'default', plural: 'virtualservices'})) as {items: unknown[]}
    expect(listed.items).toHaveLength(1)

    await ext.deleteCustomResourceDefinition({name: 'virtualservices.networking.istio.io'})
    const gone = await statusOf(custom.listNamespacedCustomObject({group: 'networking.istio.io', version: 'v1', namespace: 'default', plural: 'virtualservices'}))
    expect(gone.code).toBe(404)
  })
})
