import {describe, expect, test} from 'vitest'

import {ExternalError} from '../../../src/errors.js'
import {KindNotServedError} from '../../../src/kube/api-error.js'
import {notServedLine, servesKind} from '../../../src/kube/discovery.js'
import {bootstrapObjects, crdGroupsWithoutFromEnv} from '../../../src/local-cluster/bootstrap.js'

describe('discovery before applying operator kinds', () => {
  test.each([
    ['monitoring.coreos.com/v1', 'PrometheusRule', 'PrometheusRule not served by the cluster (install prometheus-operator): alerts not applied'],
    ['networking.istio.io/v1', 'VirtualService', 'VirtualService not served by the cluster (install Istio): mesh routing not applied'],
    ['example.com/v1', 'Widget', 'Widget not served by the cluster (example.com/v1: install its CRD)'],
  ])('%s %s: "%s"', (apiVersion, kind, line) => {
    expect(notServedLine(apiVersion, kind)).toBe(line)
  })

  test('served, not served, and a failure that is not an answer', async () => {
    const client = (error?: Error) => ({resourceFor: async () => (error ? Promise.reject(error) : {plural: 'prometheusrules', namespaced: true})})
    expect(await servesKind(client(), 'monitoring.coreos.com/v1', 'PrometheusRule')).toBe(true)
    expect(await servesKind(client(new KindNotServedError('no kind')), 'monitoring.coreos.com/v1', 'PrometheusRule')).toBe(false)
    // An unreachable cluster is not "not served": applying nothing silently would hide the outage.
    await expect(servesKind(client(new ExternalError('connection refused')), 'monitoring.coreos.com/v1', 'PrometheusRule')).rejects.toThrow('connection refused')
  })
})

describe('the local control plane without an operator\'s CRDs (MYGATE_LOCAL_WITHOUT_CRDS)', () => {
  const crdNames = (objects: ReturnType<typeof bootstrapObjects>) => objects.filter((o) => o.object.kind === 'CustomResourceDefinition').map((o) => String(o.object.metadata.name))

  test.each([
    [undefined, []],
    ['', []],
    ['monitoring.coreos.com', ['monitoring.coreos.com']],
    [' monitoring.coreos.com , networking.istio.io ', ['monitoring.coreos.com', 'networking.istio.io']],
  ])('MYGATE_LOCAL_WITHOUT_CRDS=%j -> %j', (value, groups) => {
    expect(crdGroupsWithoutFromEnv(value === undefined ? {} : {MYGATE_LOCAL_WITHOUT_CRDS: value})).toEqual(groups)
  })

  test('by default a cluster has prometheus-operator\'s CRDs; without the group it has none of them and keeps the rest', () => {
    expect(crdNames(bootstrapObjects())).toContain('prometheusrules.monitoring.coreos.com')
    const without = crdNames(bootstrapObjects({withoutCrdGroups: ['monitoring.coreos.com']}))
    expect(without.filter((name) => name.endsWith('.monitoring.coreos.com'))).toEqual([])
    expect(without).toContain('virtualservices.networking.istio.io')
  })
})
