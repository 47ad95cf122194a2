import {describe, expect, test} from 'vitest'
import {errorRateQuery, latencyP99Query, requestRateQuery} from '../../../src/analysis/queries.js'
import type {KubeObject} from '../../../src/kube/types.js'
import {PODS, SERVICES, VIRTUALSERVICES} from '../../../src/local-cluster/controllers/resources.js'
import {injectFault} from '../../../src/local-cluster/faults/index.js'
import {createPrometheusProxy} from '../../../src/local-cluster/metrics/prometheus-proxy.js'
import {MetricsRecorder} from '../../../src/local-cluster/metrics/recorder.js'
import {BASELINE_ERROR_RATE, PREVIEW_SMOKE_RPS, baseRequestRate} from '../../../src/local-cluster/metrics/traffic-model.js'
import {createObjectStore} from '../../../src/local-cluster/store/index.js'
import type {ObjectStore, ResourceType} from '../../../src/local-cluster/store/types.js'
import {ensureNamespace} from './controllers-harness.js'

const T0 = Date.parse('2026-11-23T12:00:00Z')

const istio = (resource: string, kind: string): ResourceType => ({group: 'networking.istio.io', version: 'v1beta1', resource, kind, listKind: `${kind}List`, singular: kind.toLowerCase(), namespaced: true})

/** A ready pod of `service` at `version` on `track`, written straight into the store (no controllers). */
function readyPod(store: ObjectStore, name: string, version: string, track = 'stable', ready = true): void {
  const created = store.create(PODS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {name, namespace: 'mygate', labels: {'app.kubernetes.io/name': 'visitors', 'app.kubernetes.io/version': version, 'mygate.dev/track': track}},
    spec: {containers: [{name: 'app', image: 'visitors'}]},
  })
  store.update(PODS, {...created, status: {phase: 'Running', conditions: [{type: 'Ready', status: ready ? 'True' : 'False'}]}}, {subresource: 'status'})
}

interface Harness {
  store: ObjectStore
  query(query: string, method?: 'GET' | 'POST'): Promise<{status: number; body: {status: string; data?: {resultType: string; result: Array<{metric: Record<string, string>; value: [number, string]}>}; errorType?: string}}>
  /** Moves the clock forward one second at a time, as a 1 s scrape would see it. */
  advance(seconds: number): void
}

function harness(): Harness {
  const store = createObjectStore({types: [istio('virtualservices', 'VirtualService'), istio('destinationrules', 'DestinationRule')]})
  ensureNamespace(store, 'mygate')
  let now = T0
  const clock = () => now
  const recorder = new MetricsRecorder({store, clock})
  recorder.start()
  const proxy = createPrometheusProxy({store, clock, recorder})
  return {
    store,
    advance(seconds) {
      for (let i = 0; i < seconds; i++) {
        now += 1000
        recorder.sync()
      }
    },
    async query(query, method = 'GET') {
      const request =
        method === 'GET'
          ? {namespace: 'monitoring', service: 'prometheus', port: '9090', path: '/api/v1/query', query: new URLSearchParams({query}), method, body: Buffer.alloc(0)}
          : {namespace: 'monitoring', service: 'prometheus', port: '9090', path: '/api/v1/query', query: new URLSearchParams(), method, body: Buffer.from(new URLSearchParams({query}).toString())}
      const response = await proxy(request)
      if (!response) throw new Error('proxy declined')
      return {status: response.status, body: JSON.parse(String(response.body))}
    },
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve))
const valueOf = (body: Awaited<ReturnType<Harness['query']>>['body']): number | undefined => {
  const result = body.data?.result ?? []
  return result.length === 0 ? undefined : Number(result[0].value[1])
}
const sel = (version: string) => ({namespace: 'mygate', service: 'visitors', version, window: '1m'})

describe('blue-green preview traffic', () => {
  test('a preview Service gets smoke traffic, so pre-promotion analysis of the new colour has data', async () => {
    const h = harness()
    h.store.create(SERVICES, {apiVersion: 'v1', kind: 'Service', metadata: {name: 'visitors', namespace: 'mygate'}, spec: {selector: {'app.kubernetes.io/name': 'visitors', 'mygate.dev/color': 'blue'}}})
    h.store.create(SERVICES, {apiVersion: 'v1', kind: 'Service', metadata: {name: 'visitors-preview', namespace: 'mygate'}, spec: {selector: {'app.kubernetes.io/name': 'visitors', 'mygate.dev/color': 'green'}}})
    const colored = (name: string, version: string, color: string) => {
      const created = h.store.create(PODS, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {name, namespace: 'mygate', labels: {'app.kubernetes.io/name': 'visitors', 'app.kubernetes.io/version': version, 'mygate.dev/color': color}},
        spec: {containers: [{name: 'app', image: 'visitors'}]},
      })
      h.store.update(PODS, {...created, status: {phase: 'Running', conditions: [{type: 'Ready', status: 'True'}]}}, {subresource: 'status'})
    }
    colored('blue-1', '1.0.0', 'blue')
    colored('green-1', '2.0.0', 'green')
    await settle()
    h.advance(90)
    const active = valueOf((await h.query(requestRateQuery(sel('1.0.0')))).body)
    const preview = valueOf((await h.query(requestRateQuery(sel('2.0.0')))).body)
    expect(active).toBeCloseTo(baseRequestRate('visitors'), 0)
    expect(preview).toBeCloseTo(PREVIEW_SMOKE_RPS, 0)
    expect(valueOf((await h.query(errorRateQuery(sel('2.0.0')))).body)).toBeCloseTo(BASELINE_ERROR_RATE, 4)
  })
})

describe('simulated metrics through the Prometheus proxy', () => {
  test('error-rate fault 0.3 on v2, 50/50 ready pods: v2 reads ~0.3, v1 ~0.001, each gets half the traffic', async () => {
    const h = harness()
    for (const i of [1, 2]) readyPod(h.store, `v1-${i}`, '1.0.0')
    for (const i of [1, 2]) readyPod(h.store, `v2-${i}`, '2.0.0', 'canary')
    injectFault(h.store, 'mygate', {service: 'visitors', version: '2.0.0', errorRate: 0.3})
    await settle()
    h.advance(90)
    const v2 = valueOf((await h.query(errorRateQuery(sel('2.0.0')))).body)
    const v1 = valueOf((await h.query(errorRateQuery(sel('1.0.0')), 'POST')).body)
    expect(v2).toBeCloseTo(1 - (1 - BASELINE_ERROR_RATE) * 0.7, 6)
    expect(v1).toBeCloseTo(BASELINE_ERROR_RATE, 6)
    const rate = valueOf((await h.query(requestRateQuery(sel('2.0.0')))).body) as number
    expect(rate / baseRequestRate('visitors')).toBeGreaterThan(0.48)
    expect(rate / baseRequestRate('visitors')).toBeLessThan(0.52)
  })

  test('p99 latency: baseline 80-150 ms, a 800 ms latency fault pushes it past 0.8 s', async () => {
    const h = harness()
    readyPod(h.store, 'v1-1', '1.0.0')
    readyPod(h.store, 'v2-1', '2.0.0', 'canary')
    injectFault(h.store, 'mygate', {service: 'visitors', version: '2.0.0', latencyMs: 800})
    await settle()
    h.advance(61)
    const base = valueOf((await h.query(latencyP99Query(sel('1.0.0')))).body) as number
    const slow = valueOf((await h.query(latencyP99Query(sel('2.0.0')))).body) as number
    expect(base).toBeGreaterThan(0.07)
    expect(base).toBeLessThan(0.16)
    expect(slow).toBeGreaterThan(0.8)
    expect(slow).toBeLessThan(1.1)
  })

  test('a fault injected mid-window shows in proportion, and fully once the window has passed', async () => {
    const h = harness()
    readyPod(h.store, 'v1-1', '1.0.0')
    await settle()
    h.advance(60)
    injectFault(h.store, 'mygate', {service: 'visitors', errorRate: 0.5})
    await settle()
    h.advance(30)
    const half = valueOf((await h.query(errorRateQuery(sel('1.0.0')))).body) as number
    expect(half).toBeGreaterThan(0.2)
    expect(half).toBeLessThan(0.3)
    h.advance(60)
    expect(valueOf((await h.query(errorRateQuery(sel('1.0.0')))).body)).toBeCloseTo(1 - (1 - BASELINE_ERROR_RATE) * 0.5, 6)
  })

  test('VirtualService weights decide the split, not the ready pods', async () => {
    const h = harness()
    for (const i of [1, 2, 3]) readyPod(h.store, `v1-${i}`, '1.0.0')
    readyPod(h.store, 'v2-1', '2.0.0', 'canary')
    h.store.create(VIRTUALSERVICES, {
      apiVersion: 'networking.istio.io/v1beta1',
      kind: 'VirtualService',
      metadata: {name: 'visitors', namespace: 'mygate'},
      spec: {hosts: ['visitors.mygate.svc.cluster.local'], http: [{route: [{destination: {host: 'visitors', subset: 'stable'}, weight: 90}, {destination: {host: 'visitors', subset: 'canary'}, weight: 10}]}]},
    } as KubeObject)
    await settle()
    h.advance(61)
    const canary = valueOf((await h.query(requestRateQuery(sel('2.0.0')))).body) as number
    const stable = valueOf((await h.query(requestRateQuery(sel('1.0.0')))).body) as number
    expect(canary / (canary + stable)).toBeGreaterThan(0.09)
    expect(canary / (canary + stable)).toBeLessThan(0.11)
  })

  test('no ready pods or an unknown version: an empty vector, not zero; bad PromQL: bad_data 400', async () => {
    const h = harness()
    readyPod(h.store, 'v1-1', '1.0.0', 'stable', false)
    h.store.create(SERVICES, {apiVersion: 'v1', kind: 'Service', metadata: {name: 'visitors', namespace: 'mygate'}, spec: {selector: {'app.kubernetes.io/name': 'visitors'}, ports: [{port: 80}]}})
    await settle()
    h.advance(61)
    expect((await h.query(errorRateQuery(sel('1.0.0')))).body).toEqual({status: 'success', data: {resultType: 'vector', result: []}})
    expect((await h.query(errorRateQuery(sel('9.9.9')))).body.data?.result).toEqual([])
    const bad = await h.query('sum(rate(http_requests_total[1m])) * 100')
    expect(bad.status).toBe(400)
    expect(bad.body).toMatchObject({status: 'error', errorType: 'bad_data'})
  })

  test('the proxy answers only prometheus.monitoring, plus buildinfo and 404s', async () => {
    const store = createObjectStore()
    const proxy = createPrometheusProxy({store, clock: () => T0})
    const request = {namespace: 'monitoring', service: 'prometheus', port: '9090', query: new URLSearchParams(), method: 'GET', body: Buffer.alloc(0)}
    expect(await proxy({...request, service: 'grafana', path: '/api/v1/query'})).toBeUndefined()
    const info = await proxy({...request, path: '/api/v1/status/buildinfo'})
    expect(JSON.parse(String(info?.body))).toMatchObject({status: 'success', data: {version: expect.stringMatching(/^2\./)}})
    expect((await proxy({...request, path: '/api/v1/nothing'}))?.status).toBe(404)
  })
})
