import {afterEach, describe, expect, test} from 'vitest'

import {KindNotServedError} from '../../../src/kube/api-error.js'
import {json, startScriptedApiServer, type ScriptedApiServer} from '../../helpers/scripted-api-server.js'

/** kind -> REST path: built-in kinds from a fixed table, everything else by discovery. */

let server: ScriptedApiServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

describe('pathFor', () => {
  test.each([
    [{apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'a'}, '/api/v1/namespaces/ns/configmaps/a'],
    [{apiVersion: 'v1', kind: 'Namespace', namespace: 'ignored', name: 'ns'}, '/api/v1/namespaces/ns'],
    [{apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'mygate'}, '/apis/apps/v1/namespaces/mygate/deployments'],
    [{apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: 'mygate-system', name: 'l'}, '/apis/coordination.k8s.io/v1/namespaces/mygate-system/leases/l'],
    [{apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'r'}, '/apis/rbac.authorization.k8s.io/v1/clusterroles/r'],
  ])('built in, no request: %j -> %s', async (ref, path) => {
    server = await startScriptedApiServer()
    const client = await server.client()
    expect(await client.pathFor(ref)).toBe(path)
    expect(client.requestCount).toBe(0)
  })

  test('a custom resource is discovered once per group/version; a kind the cluster lacks is KindNotServedError', async () => {
    let discoveries = 0
    server = await startScriptedApiServer((request, res) => {
      if (request.url.pathname !== '/apis/networking.istio.io/v1beta1') return false
      discoveries++
      json(res, 200, {resources: [{name: 'virtualservices', kind: 'VirtualService', namespaced: true}, {name: 'virtualservices/status', kind: 'VirtualService', namespaced: true}]})
      return true
    })
    const client = await server.client()
    const ref = {apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', namespace: 'mygate', name: 'visitors'}
    expect(await client.pathFor(ref)).toBe('/apis/networking.istio.io/v1beta1/namespaces/mygate/virtualservices/visitors')
    expect(await client.pathFor(ref)).toBe('/apis/networking.istio.io/v1beta1/namespaces/mygate/virtualservices/visitors')
    expect(discoveries).toBe(1)
    await expect(client.pathFor({...ref, kind: 'Gateway'})).rejects.toThrow(KindNotServedError)
    await expect(client.pathFor({apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor'})).rejects.toThrow('the cluster does not serve kind ServiceMonitor in monitoring.coreos.com/v1')
  })
})
